"""Speech output benchmark: prints numbers, asserts nothing.

    .venv/bin/python bench/bench_tts.py [--runs N] [--voice V] [--output-device NAME]

Measures worker start-up, "answer decided -> first synthesised audio", synthesis real-time
factor for a 45-word answer, the worker's peak memory, and, when an output device exists,
"answer decided -> first audio handed to PortAudio".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voice_skill.errors import AudioError
from voice_skill.settings import TtsSettings
from voice_skill.tts.speaker import DeviceSpeaker, split_sentences
from voice_skill.tts.worker import SpeechWorker

ANSWER = (
    "Calf twitching is usually harmless and often follows exercise, caffeine, stress or poor "
    "sleep. Magnesium may help, and so can gentle stretching before bed and drinking plenty of "
    "water. See a doctor if the twitching spreads, comes with weakness, or lasts more than two "
    "weeks."
)


def summary(seconds: list[float]) -> str:
    """Median and worst of a list of durations, in milliseconds."""
    return f"median {1000 * statistics.median(seconds):7.1f} ms   max {1000 * max(seconds):7.1f} ms"


def peak_memory_kib(pid: int) -> int:
    """Peak resident memory of a process (VmHWM in /proc, kibibytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def bench_worker(settings: TtsSettings, runs: int) -> None:
    """Start-up, first-sentence latency, real-time factor and memory of the worker."""
    starts = []
    for _ in range(runs):
        worker = SpeechWorker(settings)
        began = time.perf_counter()
        worker.start()
        starts.append(time.perf_counter() - began)
        worker.close()
    print(f"worker start-up (spawn, load pyttsx3, warm-up): {summary(starts)}")

    sentences = split_sentences(ANSWER)
    with SpeechWorker(settings) as worker:
        worker.start()  # warm, as in the voice loop: start-up is measured above
        first = []
        for _ in range(runs):
            began = time.perf_counter()
            worker.synthesize(split_sentences(ANSWER)[0])
            first.append(time.perf_counter() - began)
        words = len(sentences[0].split())
        print(f"answer decided -> first sentence's audio ready ({words} words): {summary(first)}")

        by_sentence, whole, audio = [], [], 0.0
        for _ in range(runs):
            began = time.perf_counter()
            audio = sum(worker.synthesize(s).duration for s in sentences)
            by_sentence.append(time.perf_counter() - began)
            began = time.perf_counter()
            worker.synthesize(ANSWER)
            whole.append(time.perf_counter() - began)
        words = len(ANSWER.split())
        print(f"{words}-word answer: {audio:.2f} s of audio")
        print(f"  synthesis by sentence ({len(sentences)} requests): {summary(by_sentence)}"
              f"   real-time factor {statistics.median(by_sentence) / audio:.4f}")
        print(f"  synthesis in one request:            {summary(whole)}"
              f"   real-time factor {statistics.median(whole) / audio:.4f}")
        print(f"worker peak memory (VmHWM): {peak_memory_kib(worker.pid or 0) / 1024:.1f} MiB")


def bench_device(settings: TtsSettings, device: str | None, runs: int) -> None:
    """Answer decided -> first audio handed to PortAudio (Playing.since), on a real device."""
    try:
        speaker = DeviceSpeaker(settings, device)
    except AudioError as error:
        print(f"no output device ({error}): first-sample-played not measured")
        return
    delays = []
    for _ in range(runs):
        began = time.monotonic()
        speaker.start(split_sentences(ANSWER)[0])
        while speaker.now_playing is None and speaker.speaking:
            time.sleep(0.001)
        if speaker.now_playing is not None:
            delays.append(speaker.now_playing.since - began)
        speaker.wait()
    speaker.close()
    print(f"{speaker.description}")
    if delays:
        print(f"answer decided -> first audio handed to PortAudio: {summary(delays)}")
        print("  (bench/bench_barge_in.py measures when it is heard, on a test server)")
    else:
        print("the device played nothing (see the warning above)")


def main() -> None:
    """Parse flags and run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--voice", default=None)
    parser.add_argument("--rate", type=int, default=TtsSettings.rate)
    parser.add_argument("--output-device", default=None)
    args = parser.parse_args()
    settings = TtsSettings(voice=args.voice, rate=args.rate)
    bench_worker(settings, args.runs)
    bench_device(settings, args.output_device, max(3, args.runs // 3))


if __name__ == "__main__":
    main()
