"""What a person hears of the hands-free session's speed, through a real audio server.

A private PulseAudio (tests/pulse.py) gives the skill a loudspeaker whose output is recorded
with timestamps (tests/monitor.py). The real Session, real pocketsphinx and the real device
speaker run in this process; questions synthesised by espeak-ng and flite are fed to the
session chunk by chunk (100 ms) at real-time pace, as a microphone delivers them.

  gap        last speech sample fed -> first sample of the answer heard (median, p95), split
             into trailing silence waited by the endpointer (audio time) and the rest
  stop       the last sample of a spoken "stop" fed -> the answer falls silent
  idle CPU   CPU seconds per second of idle listening (room noise), always-on and wake mode

Usage: python bench/bench_session.py [--questions 12]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from bench_loop import last_loud_byte  # noqa: E402
from monitor import MonitorRecorder  # noqa: E402
from pulse import SINK, PulseServer  # noqa: E402
from speech import synthesize, synthesize_flite  # noqa: E402

CHUNK = 3200  # 100 ms of 16 kHz s16le
QUESTIONS = (
    "why is my calf twitching", "what is restless legs syndrome", "can dehydration cause "
    "twitching", "how do i stretch my calf", "what is sciatica", "is magnesium good for cramps",
)


def paced(session, pcm: bytes, started: float | None = None) -> float:
    """Feed pcm at real-time pace; returns when it was all fed (monotonic)."""
    started = time.monotonic() if started is None else started
    for index, at in enumerate(range(0, len(pcm), CHUNK)):
        delay = started + index * CHUNK / 32000 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        session.feed(pcm[at:at + CHUNK])
    return time.monotonic()


def room(seconds: float, rng: np.random.Generator) -> bytes:
    return rng.normal(0, 40, int(16000 * seconds)).astype("<i2").tobytes()


def in_room(pcm: bytes, rng: np.random.Generator) -> bytes:
    """Speech as a microphone hears it: the room's noise under it too. (A synthesiser pads its
    output with digital silence, which no microphone gives: the endpointer's floor sinks in
    it to its lowest, and the room noise after the speech then holds the utterance open.)"""
    speech = np.frombuffer(pcm, dtype="<i2").astype(np.int32)
    noise = rng.normal(0, 40, speech.size).astype(np.int32)
    return np.clip(speech + noise, -32768, 32767).astype("<i2").tobytes()


def build(settings, speaker, events):
    from voice_skill.asr.models import models_dir
    from voice_skill.asr.registry import open_recognizer
    from voice_skill.content.loader import load_content
    from voice_skill.nlu.dialog import Skill
    from voice_skill.settings import shipped_dialogs
    from voice_skill.voice.app import build_session, listening_phrases

    skill = Skill(load_content(shipped_dialogs()), settings)
    recognizer = open_recognizer(settings.asr, listening_phrases(skill, settings), models_dir())
    return build_session(skill, recognizer, speaker, settings, [events.append])


class QuietVoice:
    """Speaks instantly and silently: for measuring the loop, not the synthesiser."""

    speaking = False

    def start(self, text: str, delivery: object = None) -> None:
        pass

    def wait(self, timeout: float | None = None) -> bool:
        return True

    def stop(self) -> None:
        pass

    def earcon(self, name: str) -> None:
        pass


def speaking_session(settings, rng, events: list):
    """A session on the real device speaker, its opening cut short, a second of room heard."""
    from voice_skill.tts.speaker import open_speaker

    speaker = open_speaker(settings.tts)
    session = build(settings, speaker, events)
    session.begin()
    speaker.stop()
    paced(session, room(1.0, rng))
    return speaker, session


def measure_gaps(server, settings, clips, rng) -> list[tuple[float, float]]:
    """(gap, trailing silence) per question, seconds."""
    from voice_skill.voice.events import Answered

    events: list = []
    speaker, session = speaking_session(settings, rng, events)
    results = []
    for clip in clips:
        with MonitorRecorder(server.env, SINK) as recording:
            speech_end = last_loud_byte(clip) / 32000
            started = time.monotonic()
            answered_before = sum(isinstance(e, Answered) for e in events)
            paced(session, clip + room(2.0, rng), started)
            last_speech = started + speech_end
            deadline = time.monotonic() + 10
            while sum(isinstance(e, Answered) for e in events) == answered_before and \
                    time.monotonic() < deadline:
                paced(session, room(0.1, rng))
            time.sleep(1.5)
            speaker.stop()
        heard = [recording.time_of(int(i)) for i in recording.loud_windows()]
        first = next((t for t in heard if t > last_speech), None)
        if first is not None:
            results.append((first - last_speech, settings.audio.trailing_silence))
        paced(session, room(1.0, rng))
    speaker.close()
    return results


def measure_stop(server, settings, rng, voice: str) -> float | None:
    """Seconds from the end of a spoken 'stop' to the answer falling silent."""
    speaker, session = speaking_session(settings, rng, [])
    stop = in_room(synthesize("stop", voice=voice), rng)
    with MonitorRecorder(server.env, SINK) as recording:
        paced(session, in_room(synthesize("why is my calf twitching", voice=voice), rng)
              + room(3.0, rng))
        fed_at = paced(session, stop)
        stop_end = fed_at - (len(stop) - last_loud_byte(stop)) / 32000
        paced(session, room(2.0, rng))
    speaker.close()
    last = recording.last_sound()
    return None if last is None else last - stop_end


def measure_wake(server, settings, rng) -> tuple[list[float], int, int]:
    """(wake phrase end -> listening earcon heard, per wake), first words kept, wakes tried.

    Each item is the wake phrase then, 0.1 s later, a question, spoken as one breath; the
    question's first word must survive in what the session answers."""
    from voice_skill.asr.models import models_dir
    from voice_skill.asr.registry import open_wake_spotter
    from voice_skill.tts.earcon import earcon_volume
    from voice_skill.tts.speaker import open_speaker
    from voice_skill.voice.events import Answered, State, StateChanged, WakeDetected

    events: list = []
    woken_at: list[float] = []
    speaker = open_speaker(settings.tts, earcon_volume=earcon_volume(settings.voice))
    session = build(settings, speaker, events)
    session.observers.append(lambda e: woken_at.append(time.monotonic())
                             if isinstance(e, WakeDetected) else None)
    session.wake = open_wake_spotter(settings, "pocketsphinx", models_dir())
    session.begin()
    speaker.stop()
    latencies, kept, tried = [], 0, 0
    for index, question in enumerate(QUESTIONS):
        while session.state is not State.WAITING:
            paced(session, room(0.5, rng))
        voice = "en-us" if index % 2 == 0 else "en-gb"
        phrase = in_room(synthesize(settings.voice.wake_phrase, voice=voice, pad=0.0), rng)
        asked = in_room(synthesize(question, voice=voice, pad=0.0), rng)
        before = len(events)
        with MonitorRecorder(server.env, SINK) as recording:
            started = time.monotonic()
            phrase_end = started + (0.5 + last_loud_byte(phrase) / 32000)
            paced(session, room(0.5, rng) + phrase + room(0.1, rng) + asked + room(2.5, rng),
                  started)
            time.sleep(1.0)
            speaker.stop()
        tried += 1
        woke = [e for e in events[before:] if isinstance(e, StateChanged)
                and e.reason == "wake phrase"]
        heard = [recording.time_of(int(i)) for i in recording.loud_windows()]
        tone = next((at for at in heard if at > phrase_end - 0.2), None)
        if woke and tone is not None:
            latencies.append((tone - phrase_end, woken_at[-1] - phrase_end))
        answers = [e for e in events[before:] if isinstance(e, Answered)]
        if answers and answers[0].question.split()[:1] == question.split()[:1]:
            kept += 1
        paced(session, room(settings.voice.follow_up + 1.0, rng))
    speaker.close()
    return latencies, kept, tried  # type: ignore[return-value]


def idle_cpu(settings, seconds: float, rng) -> float:
    """CPU seconds per second of room noise handled by a listening session."""

    session = build(settings, QuietVoice(), [])
    if settings.voice.start == "wake":
        from voice_skill.asr.models import models_dir
        from voice_skill.asr.registry import open_wake_spotter

        session.wake = open_wake_spotter(settings, "pocketsphinx", models_dir())
    session.begin()
    noise = room(seconds, rng)
    started = time.process_time()
    for at in range(0, len(noise), CHUNK):
        session.feed(noise[at:at + CHUNK])
    return (time.process_time() - started) / seconds


def main() -> None:
    from voice_skill.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--only", choices=("gap", "stop", "wake", "cpu"))
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    base = Settings()
    settings = dataclasses.replace(base, dialog=dataclasses.replace(base.dialog,
                                                                    safety_check=False))
    clips = [in_room(synthesize(q, voice="en-us") if i % 2 == 0
                     else synthesize_flite(q, voice="slt"), rng)
             for i, q in enumerate((QUESTIONS * 4)[: args.questions])]
    server = PulseServer(Path("/tmp") / f"bench-session-{time.time_ns()}")
    server.start()
    os.environ["PULSE_SERVER"] = server.env["PULSE_SERVER"]  # before PortAudio loads
    try:
        wanted = {args.only} if args.only else {"gap", "stop", "wake", "cpu"}
        gaps = measure_gaps(server, settings, clips, rng) if "gap" in wanted else []
        stops = ([measure_stop(server, settings, rng, voice) for voice in ("en-us", "en-gb")]
                 if "stop" in wanted else [])
        woken = dataclasses.replace(settings, voice=dataclasses.replace(
            settings.voice, start="wake", follow_up=2.0))
        wakes, kept, tried = (measure_wake(server, woken, rng) if "wake" in wanted
                              else ([], 0, 0))
    finally:
        server.stop()
    values = sorted(g for g, _ in gaps) or [float("nan")]
    print("gaps (ms): " + ", ".join(f"{g * 1000:.0f}" for g, _ in gaps))
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))] if values else float("nan")
    print(f"gap, last speech sample -> first answer sample heard, {len(values)} questions: "
          f"median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
          f"(trailing silence waited: up to {settings.audio.trailing_silence * 1000:.0f} ms, "
          f"{settings.audio.early_end_silence * 1000:.0f} ms when the words already made a "
          f"confident question)")
    print("stop, end of the spoken 'stop' -> answer silent: "
          + ", ".join("none heard" if s is None else f"{s * 1000:.0f} ms" for s in stops))
    wake_ms = ", ".join(f"{w * 1000:.0f} (spotted {s * 1000:.0f})" for w, s in sorted(wakes))
    print(f"wake phrase end -> listening earcon heard: {wake_ms or 'none'} ms "
          f"({len(wakes)} of {tried} woken); first word of the question kept: {kept} of {tried}")
    for start in ("always", "wake") if "cpu" in wanted else ():
        voice = dataclasses.replace(settings.voice, start=start)
        cpu = idle_cpu(dataclasses.replace(settings, voice=voice), 30.0, rng)
        print(f"idle CPU ({start}): {cpu * 1000:.1f} ms of CPU per second of room noise "
              f"({cpu * 100:.2f}% of one core)")


if __name__ == "__main__":
    main()
