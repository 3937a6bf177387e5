"""The gap a person hears: last speech sample -> answer decided -> first sample of the answer.

Questions are synthesised by espeak-ng, followed by silence, and streamed chunk by chunk
(100 ms) through the same StreamingListener the `listen` loop uses. For each question:

  endpoint delay   audio time from the last speech sample to the endpoint firing (the
                   trailing silence the endpointer waited; shorter when the words so far
                   already made a confident question and it ended early)
  decide           wall time from the endpoint firing to the answer being decided
                   (recogniser finish + red flags + matching)
  first audio      wall time from the answer decided to its first synthesised sample

Prints medians per engine, the first question apart (a listener decodes its first utterance
again as a whole, with every warped decoder: once per session), and peak memory of this process
(pocketsphinx loaded).
Usage: python bench/bench_loop.py [--engine pocketsphinx] [--adaptations espeak-ng|""]
                                  [--warp-search on|off]

Measured 2026-12-01 (pocketsphinx, plain model, with the test suite on the other core):
warps on, endpoint -> decided median 68 ms (max 114), first utterance 486 ms; with early end
65 ms, first 496. Warps off: 47 ms (max 80), first 192 ms. Endpoint delay 0.623 s, 0.323 s
with early end. Decided -> first sentence synthesised 92 ms. Peak memory 150 MB.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from speech import synthesize  # noqa: E402

from voice_skill.asr.models import models_dir  # noqa: E402
from voice_skill.asr.registry import open_recognizer  # noqa: E402
from voice_skill.content.loader import load_content  # noqa: E402
from voice_skill.nlu.dialog import Skill  # noqa: E402
from voice_skill.settings import AsrSettings, Settings  # noqa: E402
from voice_skill.voice.listener import (  # noqa: E402
    BYTES_PER_SECOND,
    StreamingListener,
    confident_question,
)

QUESTIONS = (
    "why is my calf twitching",
    "what is restless legs syndrome",
    "can dehydration cause muscle twitching",
    "my leg feels weak",
    "how do i stretch my calf",
    "what is sciatica",
)
CHUNK = 3200  # 100 ms


def last_loud_byte(pcm: bytes, threshold: int = 300) -> int:
    """Byte offset just after the last sample louder than threshold (espeak-ng pads its own
    output with silence, which must not count as speech)."""
    samples = array("h", pcm)
    for index in range(len(samples) - 1, -1, -1):
        if abs(samples[index]) > threshold:
            return (index + 1) * 2
    return 0


def run_question(skill: Skill, listener: StreamingListener, text: str) -> tuple[float, float]:
    """(endpoint delay in audio seconds, endpoint -> decided in wall seconds)."""
    speech = synthesize(text, pad=0.0)
    pcm = b"\0\0" * 8000 + speech + b"\0\0" * 32000
    speech_end = (8000 * 2 + last_loud_byte(speech)) / BYTES_PER_SECOND
    for offset in range(0, len(pcm), CHUNK):
        for heard in listener.feed(pcm[offset:offset + CHUNK]):
            fired_at = (offset + CHUNK) / BYTES_PER_SECOND
            skill.decide(heard.transcript.text)
            return fired_at - speech_end, time.perf_counter() - heard.endpoint_at
    raise RuntimeError(f"no endpoint for {text!r}")


def first_audio_seconds(text: str, settings: Settings) -> float | None:
    """Wall time to the first synthesised sample, through the project's speech worker."""
    try:
        from voice_skill.tts.speaker import synthesize_wav
    except ImportError:
        return None
    start = time.perf_counter()
    synthesize_wav(text.split(".")[0] + ".", settings.tts)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="pocketsphinx")
    parser.add_argument("--adaptations", default=",".join(AsrSettings().sphinx_adaptations),
                        help="pocketsphinx MLLR transforms, comma-separated; empty for none")
    parser.add_argument("--warp-search", choices=("on", "off"), default="on")
    args = parser.parse_args()
    adaptations = tuple(a for a in args.adaptations.split(",") if a)
    settings = Settings(asr=AsrSettings(engine=args.engine, sphinx_adaptations=adaptations,
                                        warp_search=args.warp_search == "on"))
    skill = Skill(load_content(settings.content.dialogs_dir), settings)
    start = time.perf_counter()
    recognizer = open_recognizer(settings.asr, skill.content.recognition_phrases(), models_dir())
    print(f"{recognizer.description}: loaded in {time.perf_counter() - start:.2f} s")
    for early in (False, True):
        listener = StreamingListener(recognizer, settings.audio,
                                     confident_question(skill) if early else (lambda p: False))
        listener.feed(b"\0\0" * 8000)  # noise-floor calibration
        delays, decides = zip(*(run_question(skill, listener, q) for q in QUESTIONS), strict=True)
        label = "early end on" if early else "early end off"
        print(f"{label:14} endpoint delay median {statistics.median(delays):.3f} s, "
              f"endpoint -> decided median {statistics.median(decides[1:]) * 1000:.0f} ms "
              f"(max {max(decides[1:]) * 1000:.0f} ms), first utterance "
              f"{decides[0] * 1000:.0f} ms")
    answer = skill.content.dialog("twitch_causes").answer
    first = first_audio_seconds(answer, settings)
    if first is not None:
        print(f"answer decided -> first sentence synthesised: {first * 1000:.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
