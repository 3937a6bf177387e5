"""Barge-in benchmark: how fast stop() silences a spoken answer. Prints numbers, asserts nothing.

    .venv/bin/python bench/bench_barge_in.py [--runs N] [--voice V]

Runs a private PulseAudio server (tests/pulse.py: a null sink as the loudspeaker) and records
the sink's monitor at 10 ms latency (tests/monitor.py). Each run starts a long answer, calls
stop() 0.8 to 1.6 s into it, and measures
  - stop() -> stop() returns (the call itself),
  - stop() -> the end of the last loud 10 ms window heard on the monitor (an upper bound:
    late by up to the recorder's latency),
  - start() -> first audio handed to the device (Playing.since), and -> first sound on the sink.
Needs the Debian packages pulseaudio, pulseaudio-utils and libasound2-plugins.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from monitor import MonitorRecorder  # noqa: E402
from pulse import SINK, PulseServer, missing_parts  # noqa: E402

from voice_skill.settings import TtsSettings  # noqa: E402

ANSWER = (
    "Calf twitching is usually harmless and often follows exercise. Caffeine, stress and poor "
    "sleep can all make it worse. Magnesium may help, and so can gentle stretching before bed. "
    "See a doctor if the twitching spreads, comes with weakness, or lasts more than two weeks."
)


def summary(seconds: list[float]) -> str:
    """Median and worst of a list of durations, in milliseconds."""
    return (f"median {1000 * statistics.median(seconds):6.1f} ms   "
            f"max {1000 * max(seconds):6.1f} ms   (n={len(seconds)})")


def run(settings: TtsSettings, runs: int, server: PulseServer) -> None:
    """Start, stop and measure `runs` times."""
    from voice_skill.tts.speaker import DeviceSpeaker

    speaker = DeviceSpeaker(settings)
    calls, silences, firsts, heard = [], [], [], []
    try:
        with MonitorRecorder(server.env, SINK) as recording:
            for _ in range(runs):
                began = time.monotonic()
                speaker.start(ANSWER)
                while speaker.now_playing is None and speaker.speaking:
                    time.sleep(0.002)
                if speaker.now_playing is None:
                    print("speech did not start; is the server up?")
                    return
                firsts.append(speaker.now_playing.since - began)
                time.sleep(random.uniform(0.8, 1.6))
                onsets = [recording.time_of(int(i)) for i in recording.loud_windows()]
                heard.append(min((t for t in onsets if t >= began), default=began) - began)
                stopped = time.monotonic()
                speaker.stop()
                calls.append(time.monotonic() - stopped)
                time.sleep(0.6)
                last = recording.last_sound()
                silences.append(max(0.0, (last or stopped) - stopped))
    finally:
        speaker.close()
    print(f"stop() call returns:               {summary(calls)}")
    print(f"stop() -> last sound on the sink:  {summary(silences)}")
    print(f"start() -> first audio to device:  {summary(firsts)}")
    print(f"start() -> first sound on the sink: {summary(heard)}")


def main() -> None:
    """Parse arguments, start the audio server, run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--voice", default="en-us")
    args = parser.parse_args()
    missing = missing_parts()
    if missing:
        print(f"needs Debian packages: {', '.join(missing)}")
        return
    server = PulseServer(Path(tempfile.mkdtemp(prefix="bench-pulse-")))
    server.start()
    os.environ["PULSE_SERVER"] = server.env["PULSE_SERVER"]
    try:
        run(TtsSettings(voice=args.voice), args.runs, server)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
