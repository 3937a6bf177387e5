"""Does the early end cut questions short? The development questions, spoken by espeak-ng one
after another in one stream (a pause between them), through the `listen` loop's
StreamingListener, with the early end off and on (for several partial-stability waits).

For each setting: turns heard (one per question when nothing splits), early-ended turns, turns
whose decision (outcome and intent) differs from the early-end-off run on the same question
(the cost of ending early), intent accuracy on the labelled questions, and the median endpoint
delay: audio from the last speech sample to the end of the chunk the endpoint fired in.

Usage: python bench/eval_early_end.py [--limit N] [--stable 0,0.1,0.2,0.3] [--pause 1.0]
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from bench_loop import last_loud_byte  # noqa: E402
from speech import synthesize  # noqa: E402

from voice_skill.asr.sphinx import SphinxRecognizer  # noqa: E402
from voice_skill.content.loader import load_content  # noqa: E402
from voice_skill.nlu.dialog import Skill  # noqa: E402
from voice_skill.settings import PROJECT_ROOT, AudioSettings, Settings  # noqa: E402
from voice_skill.voice.listener import (  # noqa: E402
    BYTES_PER_SECOND,
    StreamingListener,
    confident_question,
)

DEV_SET = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
CHUNK = BYTES_PER_SECOND // 10  # 100 ms, as the microphone delivers


def stream_of(texts: list[str], pause: float) -> tuple[bytes, list[float]]:
    """All questions in one stream, and the stream time each one's last speech sample ends."""
    pcm, ends = b"\0\0" * 16000, []
    for text in texts:
        speech = synthesize(text, pad=0.0)
        ends.append((len(pcm) + last_loud_byte(speech)) / BYTES_PER_SECOND)
        pcm += speech + b"\0\0" * int(16000 * pause)
    return pcm + b"\0\0" * 32000, ends


def listen(skill: Skill, pcm: bytes, early: bool, stable: float) -> list[tuple[float, str, bool]]:
    """(stream time fired, text, ended early) of every turn."""
    options = {}
    if "stable_seconds" in inspect.signature(StreamingListener).parameters:
        options["stable_seconds"] = stable
    listener = StreamingListener(SphinxRecognizer(skill.content.recognition_phrases()),
                                 AudioSettings(),
                                 confident_question(skill) if early else (lambda p: False),
                                 **options)
    turns = []
    for offset in range(0, len(pcm), CHUNK):
        fired = listener.feed(pcm[offset:offset + CHUNK])
        # Works on the old API too (one Heard or None), to measure before/after.
        for heard in fired if isinstance(fired, list) else [fired] if fired else []:
            turns.append(((offset + CHUNK) / BYTES_PER_SECOND, heard.transcript.text, heard.early))
    return turns


def assign(turns: list[tuple[float, str, bool]], ends: list[float]) -> list[list[tuple]]:
    """Turns per question: those that fired after its speech ended and before the next's."""
    per: list[list[tuple]] = [[] for _ in ends]
    for turn in turns:
        index = max((i for i, end in enumerate(ends) if end <= turn[0] + 0.5), default=0)
        per[index].append(turn)
    return per


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--stable", default="0,0.1,0.2,0.3")
    parser.add_argument("--pause", type=float, default=1.0)
    args = parser.parse_args()
    rows = [json.loads(line) for line in DEV_SET.read_text().splitlines() if line.strip()]
    rows = rows[: args.limit or None]
    skill = Skill(load_content(PROJECT_ROOT / "dialogs"), Settings())
    pcm, ends = stream_of([row["text"] for row in rows], args.pause)

    def decision(text: str) -> tuple[str, str | None]:
        found = skill.decide(text, spoken=True)
        return found.outcome, found.intent

    reference = assign(listen(skill, pcm, False, 0.0), ends)
    settings = [("off", False, 0.0)] + [(f"on, stable {s} s", True, float(s))
                                         for s in args.stable.split(",")]
    print(f"{len(rows)} questions, espeak-ng en-us, pause {args.pause} s, 100 ms chunks")
    for label, early, stable in settings:
        per = reference if not early else assign(listen(skill, pcm, True, stable), ends)
        turns = sum(len(p) for p in per)
        early_count = sum(t[2] for p in per for t in p)
        differs = sum(1 for p, r in zip(per, reference, strict=True)
                      if [decision(t[1]) for t in p] != [decision(t[1]) for t in r])
        labelled = [(row, p) for row, p in zip(rows, per, strict=True) if row["intents"]]
        right = sum(1 for row, p in labelled if p and decision(p[-1][1])[1] in row["intents"])
        delays = [p[-1][0] - end for p, end in zip(per, ends, strict=True) if p]
        print(f"early end {label:16} turns {turns:3}, early {early_count:3}, decision differs "
              f"from off {differs:3}, intent right {right}/{len(labelled)}, endpoint delay "
              f"median {statistics.median(delays):.3f} s")
        for row, p, r in zip(rows, per, reference, strict=True):
            if early and [decision(t[1]) for t in p] != [decision(t[1]) for t in r]:
                print(f"    {row['text']!r}: {[t[1] for t in p]} (off: {[t[1] for t in r]})")


if __name__ == "__main__":
    main()
