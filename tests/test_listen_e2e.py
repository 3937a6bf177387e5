"""Hands-free, end to end, through a real audio server.

A private PulseAudio server gets a virtual microphone (module-pipe-source) fed with questions
synthesised by espeak-ng, and a null sink whose monitor is recorded. `voice-skill listen` runs
against them through the same sounddevice code a real microphone uses; the recording of what
it said is recognised back, so the test proves the right answer was actually spoken.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import pytest
from pulse import pulse_audio_fixture  # noqa: F401  (the fixture)
from speech import synthesize

from voice_skill.asr.base import transcribe
from voice_skill.asr.sphinx import SphinxRecognizer
from voice_skill.audio.wav import read_wav

VOICE_SKILL = Path(sys.executable).with_name("voice-skill")


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def _wait_listening(lines: queue.Queue, seen: list[str], timeout: float = 120.0) -> None:
    """Block until the skill says it is listening again (it does not listen while speaking)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            continue
        seen.append(line)
        if line.strip() == "voice-skill: listening":
            return
    raise AssertionError(f"the skill never went back to listening: {seen}")


@contextlib.contextmanager
def _ctrl_c_as_at_a_terminal():
    """Children get Ctrl-C as a person at a terminal has it. A test run started in the
    background (nohup, `&` in a script) has SIGINT ignored, children inherit that through exec,
    and Python then never raises KeyboardInterrupt; a handled signal is reset to the default."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _start_listen(pulse_audio, rate: int) -> tuple[subprocess.Popen, queue.Queue, list[str]]:
    """`voice-skill listen` on the test server, its stderr lines collected as they come."""
    with _ctrl_c_as_at_a_terminal():
        listen = subprocess.Popen(
            [str(VOICE_SKILL), "listen", "--engine", "pocketsphinx", "--rate", str(rate)],
            env=pulse_audio.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(listen.stderr, lines), daemon=True).start()
    return listen, lines, []


def _recording_seconds(path: Path) -> float:
    with wave.open(str(path)) as recording:
        return recording.getnframes() / recording.getframerate()


@pytest.mark.slow
def test_listen_answers_aloud_through_the_audio_server(pulse_audio, tmp_path: Path) -> None:
    recording = tmp_path / "spoken.wav"
    with pulse_audio.record_sink(recording):
        listen, lines, seen = _start_listen(pulse_audio, rate=170)
        try:
            _wait_listening(lines, seen)
            pulse_audio.feed(synthesize("can dehydration cause twitching", voice="en-us"),
                             pad=1.5)
            _wait_listening(lines, seen)
            pulse_audio.feed(synthesize("stop", voice="en-us"), pad=1.5)
            try:
                listen.wait(timeout=60)
            except subprocess.TimeoutExpired:  # misheard once: a person would say it again
                pulse_audio.feed(synthesize("stop", voice="en-us"), pad=1.5)
                listen.wait(timeout=60)
            out = listen.stdout.read()
        finally:
            if listen.poll() is None:
                listen.kill()
    assert listen.returncode == 0, seen
    assert "you> can dehydration cause twitching" in out, out
    assert "water" in out.lower(), out
    assert _recording_seconds(recording) > 5
    # Listen back: the answer about water and salt balance was really played.
    heard = transcribe(SphinxRecognizer(("drinking water keeps the salt balance in your muscles",
                                         "losing too much water can cause muscle twitching")),
                       read_wav(recording)).text
    assert "water" in heard, heard


@pytest.mark.slow
def test_ctrl_c_ends_listen_cleanly(pulse_audio) -> None:
    listen, lines, seen = _start_listen(pulse_audio, rate=300)
    try:
        _wait_listening(lines, seen)
        listen.send_signal(signal.SIGINT)
        listen.wait(timeout=30)
    except subprocess.TimeoutExpired:
        listen.send_signal(signal.SIGUSR1)  # its threads' stacks, for the failure message
        time.sleep(2.0)
    finally:
        if listen.poll() is None:
            listen.kill()
            listen.wait()
    time.sleep(0.5)  # the reader thread drains the last stderr lines
    while not lines.empty():
        seen.append(lines.get())
    assert listen.returncode == 130, seen
    assert not any("Traceback" in line for line in seen), seen
