"""Soak: many spoken turns through the hands-free session, looking for leaks and slow drift.

The development questions are synthesised once (espeak-ng and flite voices), then fed round
and round, chunk by chunk (100 ms) with a second of room noise after each, through the real
Session with the real pocketsphinx recogniser, real decisions and a voice that records what
it would say (speaking is measured in bench_tts.py and bench_session.py). Not run in CI.

Prints: turns done, crashes (exceptions that reached the loop), answers given, resident
memory after warm-up and at the end (growth), and endpoint -> decided latency percentiles
(wall time from feeding the chunk that ended the utterance to the answer being decided).
Usage: python bench/bench_soak.py [--turns 1000] [--questions 40]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from bench_session import QuietVoice, in_room, room  # noqa: E402
from speech import synthesize, synthesize_flite  # noqa: E402

from voice_skill.asr.models import models_dir  # noqa: E402
from voice_skill.asr.registry import open_recognizer  # noqa: E402
from voice_skill.content.loader import load_content  # noqa: E402
from voice_skill.nlu.dialog import Skill  # noqa: E402
from voice_skill.settings import Settings, shipped_dialogs  # noqa: E402
from voice_skill.voice.app import build_session, listening_phrases  # noqa: E402
from voice_skill.voice.events import Answered  # noqa: E402

CHUNK = 3200  # 100 ms of 16 kHz s16le
DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
VOICES = (("espeak", "en-us"), ("espeak", "en-gb+m3"), ("flite", "slt"), ("flite", "awb"))


def resident_mb() -> float:
    """Resident set size now (MB), from /proc (getrusage gives only the peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1e6




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args()
    rows = [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
    texts = [row["text"] for row in rows][: args.questions]
    rng = np.random.default_rng(7)
    speak = {"espeak": synthesize, "flite": synthesize_flite}
    clips = [in_room(speak[engine](text, voice=voice), rng) + room(1.0, rng)
             for i, text in enumerate(texts)
             for engine, voice in [VOICES[i % len(VOICES)]]]
    settings = Settings()
    settings = dataclasses.replace(settings, dialog=dataclasses.replace(settings.dialog,
                                                                        safety_check=False))
    skill = Skill(load_content(shipped_dialogs()), settings)
    recognizer = open_recognizer(settings.asr, listening_phrases(skill, settings), models_dir())
    answered: list[float] = []
    fed_at = [0.0]
    latencies: list[float] = []

    def observe(event: object) -> None:
        if isinstance(event, Answered):
            latencies.append(time.perf_counter() - fed_at[0])
            answered.append(1)

    session = build_session(skill, recognizer, QuietVoice(), settings, [observe])
    session.begin()
    session.feed(room(1.0, rng))
    crashes, warm_mb, started = 0, 0.0, time.perf_counter()
    for turn in range(args.turns):
        clip = clips[turn % len(clips)]
        for at in range(0, len(clip), CHUNK):
            fed_at[0] = time.perf_counter()
            try:
                session.feed(clip[at:at + CHUNK])
            except Exception as error:  # noqa: BLE001 - counted, the soak goes on
                crashes += 1
                print(f"turn {turn}: {type(error).__name__}: {error}", file=sys.stderr)
        if turn == min(49, args.turns - 1):
            warm_mb = resident_mb()
        if (turn + 1) % 100 == 0:
            print(f"turn {turn + 1}: {resident_mb():.1f} MB, {len(answered)} answers, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        if session.stopped:  # a question heard as "goodbye" ends an always-on session
            session = build_session(skill, recognizer, QuietVoice(), settings, [observe])
            session.begin()
    end_mb = resident_mb()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(f"turns {args.turns}, crashes {crashes}, answers {len(answered)}, "
          f"wall {time.perf_counter() - started:.0f} s")
    print(f"resident memory after 50 turns {warm_mb:.1f} MB, at the end {end_mb:.1f} MB, "
          f"growth {end_mb - warm_mb:+.1f} MB")
    print(f"endpoint -> decided: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p90 {quantiles[89] * 1000:.0f} ms, p95 {quantiles[94] * 1000:.0f} ms, "
          f"p99 {quantiles[98] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
