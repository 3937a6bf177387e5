"""The hands-free session end to end, through the real audio server: `voice-skill listen`
on a private PulseAudio with a virtual microphone (fed espeak-ng speech) and a virtual
loudspeaker (recorded with timestamps), real pocketsphinx, real speech out.

Barge-in, and devices pulled out and put back while the skill runs.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from monitor import MonitorRecorder
from pulse import SINK, pulse_audio_fixture  # noqa: F401  (the fixture)
from speech import synthesize, synthesize_flite

VOICE_SKILL = Path(sys.executable).with_name("voice-skill")
pytestmark = pytest.mark.slow


class Listen:
    """A running `voice-skill listen`, its output lines (stdout and stderr) as they come."""

    def __init__(self, env: dict[str, str], *flags: str) -> None:
        self.process = subprocess.Popen(
            [str(VOICE_SKILL), "listen", "--engine", "pocketsphinx", *flags],
            env={**env, "VOICE_SKILL_DIALOG_SAFETY_CHECK": "false"}, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float = 90.0) -> float:
        """The moment a line containing text was printed (monotonic seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                at, line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return at
        raise AssertionError(f"never printed {text!r}; output: {self.seen}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def listening(pulse_audio, *flags: str):
    listen = Listen(pulse_audio.env, *flags)
    try:
        listen.wait_for("voice-skill: listening")
        yield listen
    finally:
        listen.stop()
    assert not any("Traceback" in line for line in listen.seen), listen.seen


def test_stop_cuts_a_long_answer_short(pulse_audio) -> None:
    with MonitorRecorder(pulse_audio.env, SINK) as recording, listening(pulse_audio) as listen:
        pulse_audio.feed(synthesize("why is my calf twitching", voice="en-us"), pad=0.8)
        answered = listen.wait_for("skill> A twitch happens")
        time.sleep(2.5)  # the answer (about 20 s) is under way
        pulse_audio.feed(synthesize("stop", voice="en-us"), pad=0.8)
        stopped = listen.wait_for("stopped speaking (stop)", timeout=30)
        time.sleep(4.0)
    before = recording.sound_between(answered, stopped)
    after = recording.sound_between(stopped + 0.5, stopped + 4.0)
    assert before > 1.0, "the answer was not heard before the stop"
    assert after == 0.0, f"{after:.2f} s of the answer still played after the stop"
    assert "skill> stop" not in "\n".join(listen.seen)


def test_without_a_stop_the_answer_plays_on(pulse_audio) -> None:
    """The other half of the barge-in test: the same answer, not interrupted, is still
    sounding seconds later (so the silence above was the stop's doing)."""
    with MonitorRecorder(pulse_audio.env, SINK) as recording, listening(pulse_audio) as listen:
        pulse_audio.feed(synthesize("why is my calf twitching", voice="en-us"), pad=0.8)
        answered = listen.wait_for("skill> A twitch happens")
        time.sleep(8.0)
    assert recording.sound_between(answered + 5.0, answered + 8.0) > 1.0


def test_a_microphone_pulled_out_and_put_back(pulse_audio) -> None:
    try:
        with listening(pulse_audio) as listen:
            # With the loudspeaker gone too, no other source (a sink's monitor) is left to
            # take the skill's recording stream, so it dies, as a pulled-out USB microphone's
            # does on a machine with only that one.
            pulse_audio.unplug_speaker()
            pulse_audio.unplug_microphone()
            listen.wait_for("microphone: ", timeout=60)  # the fault, logged once
            time.sleep(4.0)  # retried with backoff meanwhile
            pulse_audio.plug_speaker()
            pulse_audio.plug_microphone()
            listen.wait_for("microphone is back", timeout=90)
            pulse_audio.feed(synthesize("can dehydration cause twitching", voice="en-us"),
                             pad=1.0)
            listen.wait_for("you> ", timeout=60)
            listen.wait_for("skill> ", timeout=60)
    finally:
        if pulse_audio._module("module-null-sink") is None:
            pulse_audio.plug_speaker()
        if pulse_audio._module("module-pipe-source") is None:
            pulse_audio.plug_microphone()
    assert "water" in listen.seen[-1].lower(), listen.seen
    assert sum("voice-skill: microphone: " in line for line in listen.seen) == 1, listen.seen


def test_a_speaker_pulled_out_leaves_captions_and_comes_back(pulse_audio) -> None:
    try:
        with listening(pulse_audio) as listen:
            pulse_audio.unplug_speaker()
            pulse_audio.feed(synthesize("what is a fasciculation", voice="en-us"), pad=1.0)
            listen.wait_for("skill> ", timeout=60)  # the answer, as captions
            listen.wait_for("captions only", timeout=30)
            pulse_audio.plug_speaker()
            time.sleep(3.0)  # the speaker retries after 1, 2, 4 ... s
            with MonitorRecorder(pulse_audio.env, SINK) as recording:
                pulse_audio.feed(synthesize("can dehydration cause twitching", voice="en-us"),
                                 pad=1.0)
                answered = listen.wait_for("skill> ", timeout=60)
                time.sleep(5.0)
    finally:
        if pulse_audio._module("module-null-sink") is None:
            pulse_audio.plug_speaker()
    assert recording.sound_between(answered, answered + 5.0) > 0.5, listen.seen


@contextlib.contextmanager
def a_room(pulse_audio):
    """A room the skill hears: a null sink whose monitor is its microphone, into which the
    skill's own loudspeaker is looped back (as a speaker a metre from the microphone is)."""
    modules = [pulse_audio.pactl("load-module", "module-null-sink", "sink_name=room").strip()]
    try:
        modules.append(pulse_audio.pactl(
            "load-module", "module-loopback", f"source={SINK}.monitor", "sink=room",
            "latency_msec=60").strip())
        pulse_audio.pactl("set-default-source", "room.monitor")
        yield lambda pcm: subprocess.run(
            ["pacat", "--device=room", "--format=s16le", "--rate=16000", "--channels=1",
             "--latency-msec=60"], input=pcm + bytes(16000), env=pulse_audio.env, check=True,
            timeout=60)
    finally:
        pulse_audio.pactl("set-default-source", "test_mic")
        for module in reversed(modules):
            pulse_audio.pactl("unload-module", module)


def test_the_skill_never_answers_its_own_voice(pulse_audio) -> None:
    with a_room(pulse_audio) as say, listening(pulse_audio) as listen:
        # The opening came back through the room while it was spoken, and was not answered.
        say(synthesize("what is restless legs syndrome", voice="en-us"))
        listen.wait_for("skill> ", timeout=60)
        listen.wait_for("voice-skill: listening", timeout=90)  # its answer, heard back, done
        time.sleep(3.0)
        while not listen.lines.empty():
            listen.seen.append(listen.lines.get()[1])
    questions = [line for line in listen.seen if line.startswith("you> ")]
    assert len(questions) == 1 and "restless" in questions[0], listen.seen
    assert not any("stopped speaking" in line for line in listen.seen), listen.seen


def test_on_a_kiosk_only_what_follows_the_wake_phrase_is_answered(pulse_audio) -> None:
    from voice_skill.settings import VoiceSettings

    phrase = VoiceSettings().wake_phrase
    with MonitorRecorder(pulse_audio.env, SINK) as recording, \
            listening(pulse_audio, "--start", "wake") as listen:
        listen.wait_for("voice-skill: waiting", timeout=60)  # the follow-up window closed
        # People in the waiting room talk among themselves: nothing is answered.
        pulse_audio.feed(synthesize("the bus was late again this morning", voice="en-us"),
                         pad=1.0)
        pulse_audio.feed(synthesize("my calf has been twitching all week", voice="en-gb"),
                         pad=1.0)
        pulse_audio.wait_fed()
        time.sleep(3.0)
        assert not any(line.startswith("you> ") for line in listen.seen), listen.seen
        # flite: the plain model, the default, hears espeak-ng's "hey computer" poorly.
        pulse_audio.feed(synthesize_flite(f"{phrase}, can dehydration cause twitching"),
                         pad=1.5)
        listen.wait_for("wake phrase heard", timeout=60)
        asked = listen.wait_for("you> ", timeout=60)
        listen.wait_for("skill> ", timeout=60)
        time.sleep(4.0)
    questions = [line for line in listen.seen if line.startswith("you> ")]
    assert len(questions) == 1 and "dehydration" in questions[0], listen.seen
    assert "water" in "\n".join(listen.seen).lower(), listen.seen
    assert recording.sound_between(asked, asked + 4.0) > 1.0, "the answer was not spoken"


def _listen_stdin(pcm: bytes, tmp_path: Path) -> str:
    result = subprocess.run(
        [str(VOICE_SKILL), "listen", "--stdin", "--engine", "pocketsphinx",
         "--out", str(tmp_path / "said.wav")],
        input=pcm, capture_output=True, timeout=300, check=False,
        env={**os.environ, "VOICE_SKILL_DIALOG_SAFETY_CHECK": "false"})
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_a_recording_piped_faster_than_real_time_is_answered(tmp_path: Path) -> None:
    """`sox q.wav -t raw - | voice-skill listen --stdin`: no chunk is dropped as echo because
    it arrived within 0.3 s of wall-clock time of the opening (the guard is audio position)."""
    question = synthesize("why is my calf twitching", voice="en-us", pad=0.1)
    out = _listen_stdin(question + bytes(32000), tmp_path)
    assert "you> why is my calf twitching" in out, out
    assert "skill> A twitch happens" in out, out


def test_the_last_question_with_no_silence_after_it_is_answered(tmp_path: Path) -> None:
    first = synthesize("why is my calf twitching", voice="en-us")
    last = synthesize("can dehydration cause twitching", voice="en-us", pad=0.0)
    out = _listen_stdin(first + bytes(32000) + last, tmp_path)
    assert out.count("you> ") == 2 and "dehydration" in out, out
