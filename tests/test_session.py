"""The hands-free session's states, with fakes at the true edges: a scripted recogniser
(speech in, the words it was told to hear out) and a recording voice. The real engines, the
real audio server and real speech are in test_listen_e2e.py and test_voice_cli.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from voice_skill.asr.base import Transcript, Word
from voice_skill.asr.wake.base import WakeHeard
from voice_skill.audio.devices import Stalled
from voice_skill.content.loader import load_content
from voice_skill.errors import AudioError
from voice_skill.nlu.dialog import Skill
from voice_skill.settings import Settings, VoiceSettings, shipped_dialogs
from voice_skill.tts.playback import Delivery
from voice_skill.voice.app import build_session
from voice_skill.voice.commands import (
    in_order_share,
    interruption,
    is_own_voice,
    manner,
    strip_wake_phrase,
)
from voice_skill.voice.events import (
    Answered,
    Fault,
    Ignored,
    Interrupted,
    Recovered,
    State,
    StateChanged,
    VoiceChanged,
    WakeDetected,
)
from voice_skill.voice.resilience import LiveMicrophone, ResilientRecognizer, backoff

RATE = 16000
CHUNK = 1600  # 100 ms
PHRASE = VoiceSettings().wake_phrase


def silence(seconds: float) -> bytes:
    rng = np.random.default_rng(1)
    return (rng.normal(0, 30, int(RATE * seconds))).astype("<i2").tobytes()


def burst(seconds: float = 1.0) -> bytes:
    """Loud enough in the speech band to be speech to the endpointer."""
    t = np.arange(int(RATE * seconds)) / RATE
    return (6000 * np.sin(2 * np.pi * 800 * t)).astype("<i2").tobytes()


def chunks(pcm: bytes) -> list[bytes]:
    return [pcm[i:i + CHUNK * 2] for i in range(0, len(pcm), CHUNK * 2)]


class ScriptedRecognizer:
    """Hears the next line of its script in each utterance; partials grow word by word."""

    description = "scripted"

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.fed = 0

    def _line(self) -> str:
        return self.script[0] if self.script else ""

    def accept(self, pcm: bytes) -> str:
        self.fed += 1
        words = self._line().split()
        return " ".join(words[:self.fed])

    def finish(self) -> Transcript:
        text = self.script.pop(0) if self.script else ""
        self.fed = 0
        return Transcript(text, tuple(Word(w, 1.0, 0, 0) for w in text.split()), 1.0, "fake")

    def reset(self) -> None:
        self.fed = 0


class RecordingVoice:
    """Speaks for a given number of chunks (or at once); records everything."""

    def __init__(self, chunks_per_answer: int = 0) -> None:
        self.said: list[tuple[str, int | None, float | None]] = []
        self.earcons: list[str] = []
        self.stops = 0
        self.chunks_per_answer = chunks_per_answer
        self.left = 0

    def start(self, text: str, delivery: Delivery | None = None) -> None:
        self.said.append((text, delivery.rate if delivery else None,
                          delivery.volume if delivery else None))
        self.left = self.chunks_per_answer

    def wait(self, timeout: float | None = None) -> bool:
        self.left = 0
        return True

    def stop(self) -> None:
        self.stops += 1
        self.left = 0

    @property
    def speaking(self) -> bool:
        if self.left > 0:
            self.left -= 1  # one chunk of audio passes each time the session looks
            return True
        return False

    def earcon(self, name: str) -> None:
        self.earcons.append(name)


class ScriptedWake:
    """Fires whenever the audio passes one of the given positions (seconds since reset)."""

    def __init__(self, at: list[float]) -> None:
        self.at = list(at)
        self.position = 0.0
        self.resets = 0

    description = "scripted"

    def feed(self, pcm: bytes) -> WakeHeard | None:
        self.position += len(pcm) / 2 / RATE
        if self.at and self.position >= self.at[0]:
            self.at.pop(0)
            return WakeHeard(PHRASE, self.position)
        return None

    def reset(self) -> None:
        self.position, self.resets = 0.0, self.resets + 1


@pytest.fixture(scope="module")
def skill() -> Skill:
    return Skill(load_content(shipped_dialogs()), settings_with())


def settings_with(**voice) -> Settings:
    base = Settings()
    settings = dataclasses.replace(base, voice=dataclasses.replace(VoiceSettings(), **voice))
    return dataclasses.replace(settings, dialog=dataclasses.replace(base.dialog,
                                                                    safety_check=False))


def run(skill, script, audio, voice=None, wake=None, live=True, **voice_settings):
    events: list = []
    settings = settings_with(**voice_settings)
    voice = voice or RecordingVoice()
    session = build_session(skill, ScriptedRecognizer(script), voice, settings, [events.append],
                            wake=wake, live=live)
    session.begin()
    for chunk in chunks(audio):
        session.feed(chunk)
        if session.stopped:
            break
    else:
        session.finish()
    return session, voice, events


def answers(events) -> list[tuple[str, str | None]]:
    return [(e.question, e.reply.intent) for e in events if isinstance(e, Answered)]


def states(events) -> list[State]:
    return [e.state for e in events if isinstance(e, StateChanged)]


def test_always_on_answers_each_question_in_turn(skill):
    audio = silence(1) + burst() + silence(1) + burst() + silence(1)
    _, voice, events = run(skill, ["why is my calf twitching", "what is a fasciculation"], audio)
    assert [q for q, _ in answers(events)] == ["why is my calf twitching",
                                               "what is a fasciculation"]
    assert voice.said[0][0] == skill.opening()
    assert len(voice.said) == 3
    assert states(events)[:3] == [State.SPEAKING, State.LISTENING, State.THINKING]
    assert states(events)[-1] is State.STOPPED


def test_goodbye_ends_an_always_on_session_but_only_the_conversation_on_a_kiosk(skill):
    audio = silence(1) + burst() + silence(1) + burst() + silence(1)
    session, _, events = run(skill, ["goodbye", "why is my calf twitching"], audio)
    assert answers(events) == [("goodbye", "stop")] and session.stopped
    _, _, events = run(skill, [f"{PHRASE} goodbye", f"{PHRASE} why is my calf twitching"],
                       audio, wake=ScriptedWake([1.2, 1.0]), start="wake")
    assert [intent for _, intent in answers(events)] == ["stop", "twitch_causes"]


def test_wake_mode_answers_only_after_the_wake_phrase(skill):
    # first burst: a conversation nobody addressed to the skill; the wake fires in the second
    audio = silence(8) + burst() + silence(8) + burst(2) + silence(1)
    # The window after the opening closes at 3 s, where the spotter's positions start; it
    # fires half way through the second burst (17.9 s), which is then recognised whole.
    wake = ScriptedWake([14.9])
    _, voice, events = run(skill, [f"{PHRASE} why is my calf twitching"], audio, wake=wake,
                           start="wake", follow_up=3.0)
    assert [q for q, _ in answers(events)] == ["why is my calf twitching"]
    assert any(isinstance(e, WakeDetected) for e in events)
    assert "listening" in voice.earcons and "done" in voice.earcons
    assert State.WAITING in states(events)


def test_a_follow_up_needs_no_wake_phrase_within_the_window(skill):
    audio = silence(1) + burst() + silence(1.5) + burst() + silence(5)
    _, _, events = run(skill, ["why is my calf twitching", "what is a fasciculation"], audio,
                       wake=ScriptedWake([]), start="wake", follow_up=4.0)
    assert len(answers(events)) == 2
    assert states(events)[-2] is State.WAITING  # the window closed after the second answer


def test_stop_interrupts_a_spoken_answer_and_is_not_answered(skill):
    voice = RecordingVoice(chunks_per_answer=40)
    audio = silence(1) + burst() + silence(1) + burst(0.5) + silence(3)
    _, voice, events = run(skill, ["why is my calf twitching", "stop"], audio, voice=voice)
    # the opening is 40 chunks long too: the first burst is heard over it, as a question
    assert voice.stops >= 1
    assert any(isinstance(e, Interrupted) for e in events)
    assert all(q != "stop" for q, _ in answers(events))


def test_its_own_voice_heard_back_is_ignored(skill):
    voice = RecordingVoice(chunks_per_answer=40)
    opening_echo = " ".join(skill.opening().split()[:8])
    audio = silence(1) + burst() + silence(3)
    _, voice, events = run(skill, [opening_echo], audio, voice=voice)
    assert answers(events) == []
    assert any(isinstance(e, Ignored) and e.why == "own voice" for e in events)
    assert voice.stops == 0


GARBLED = "what are the legs can easily on restless the old clot really and a few you really"


def test_a_long_garble_heard_through_most_of_the_answer_is_its_own_voice(skill):
    """Too garbled for the text check (is_own_voice is False), but it lasted 8 of the 9 s the
    opening had been speaking: the echo, not a question."""
    assert not is_own_voice(GARBLED, skill.opening())
    voice = RecordingVoice(chunks_per_answer=120)
    audio = silence(1) + burst(8.0) + silence(4)
    _, voice, events = run(skill, [GARBLED], audio, voice=voice)
    assert answers(events) == [] and voice.stops == 0
    assert any(isinstance(e, Ignored) and e.why == "own voice" for e in events)


def test_the_same_words_said_briefly_over_the_answer_are_a_question(skill):
    """The other half: the same transcript from a 2 s utterance, late in a long answer, is a
    person talking over it, and interrupts it."""
    voice = RecordingVoice(chunks_per_answer=120)
    audio = silence(7) + burst(2.0) + silence(4)
    _, voice, events = run(skill, [GARBLED], audio, voice=voice)
    assert [q for q, _ in answers(events)] == [GARBLED] and voice.stops >= 1


def test_no_barge_in_when_it_is_off(skill):
    voice = RecordingVoice(chunks_per_answer=40)
    audio = silence(1) + burst() + silence(3)
    _, voice, events = run(skill, ["stop"], audio, voice=voice, barge_in=False)
    assert voice.stops == 0 and answers(events) == []


def test_slower_changes_the_voice_and_repeats_the_last_answer(skill):
    audio = silence(1) + burst() + silence(1) + burst() + silence(1)
    _, voice, events = run(skill, ["why is my calf twitching", "slower please"], audio)
    changed = [e for e in events if isinstance(e, VoiceChanged)]
    assert changed and changed[0].rate < Settings().tts.rate
    last_text, last_rate, _ = voice.said[-1]
    assert last_rate == changed[0].rate and voice.said[-2][0] in last_text


def test_a_recording_is_heard_whole_with_no_echo_guard(skill):
    """listen --stdin: speech right after the opening is not dropped as echo."""
    audio = silence(0.6) + burst() + silence(0.8) + burst() + silence(1)
    _, _, events = run(skill, ["why is my calf twitching", "what is a fasciculation"], audio,
                       live=False)
    assert len(answers(events)) == 2


def test_a_last_question_with_no_trailing_silence_is_answered(skill):
    audio = silence(1) + burst()
    _, _, events = run(skill, ["why is my calf twitching"], audio, live=False)
    assert len(answers(events)) == 1


def test_short_commands_are_told_from_questions():
    assert interruption("stop") == "stop" and interruption("okay wait please") == "wait"
    assert interruption("why does it stop and start") is None
    assert manner("slower please") is not None and manner("louder") is not None
    assert manner("why is it slower") is None
    assert strip_wake_phrase("hey helper why is my calf twitching", "hey helper") == \
        "why is my calf twitching"
    assert strip_wake_phrase("why is my calf twitching", "hey helper") == \
        "why is my calf twitching"
    assert is_own_voice("muscle fires on its own the medical",
                        "so the muscle fires on its own. The medical word is fasciculation.")
    assert not is_own_voice("stop", "so the muscle fires on its own")


ANSWER = ("Fluttering in the legs can be a sign of restless legs syndrome, where you feel "
          "pulling, tingling, bubbling or crawling under the skin, usually in the calf, with a "
          "strong urge to move your legs. See a doctor if these feelings keep coming back or "
          "disturb your sleep.")


def test_garbled_echo_of_the_answer_is_own_voice_but_a_question_about_it_is_not() -> None:
    # What the plain model heard of this answer coming back through a room (test_session_e2e).
    echo = ("fluttering in the legs can be a sign of restless legs the the blue tingling crawly "
            "on the skin you worry little does not be all and see a doctor fix these the keep "
            "are or all sleep")
    assert is_own_voice(echo, ANSWER)
    assert not is_own_voice("is restless legs syndrome the reason my calf is twitching", ANSWER)
    assert not is_own_voice("can magnesium help with the crawling feeling", ANSWER)
    assert in_order_share("a b c".split(), "a x b y".split()) == 2 / 3
    assert in_order_share([], ["a"]) == 0.0


class FlakySource:
    """Fails to open `failures` times, then gives `count` chunks."""

    def __init__(self, failures: int, count: int) -> None:
        self.failures, self.count, self.opened = failures, count, 0

    def __call__(self):
        self.opened += 1
        if self.opened <= self.failures:
            raise AudioError("no such device")
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def chunks(self):
        yield from [b"\0\0" * CHUNK] * self.count
        raise AudioError("unplugged")


def test_a_lost_microphone_is_logged_once_and_comes_back():
    events: list = []
    source = FlakySource(failures=3, count=5)
    mic = LiveMicrophone(source, [events.append], sleep=lambda s: None)
    got = []
    for chunk in mic.chunks():
        got.append(chunk)
        if len(got) == 7:
            mic.stopped = True
    faults = [e for e in events if isinstance(e, Fault)]
    assert len(got) == 7
    assert len(faults) == 2  # once for the first outage, once when it was unplugged
    assert any(isinstance(e, Recovered) for e in events)
    assert [backoff(n) for n in (1, 2, 3, 10)] == [1.0, 2.0, 4.0, 30.0]


def test_a_microphone_that_goes_silent_is_reopened_and_the_stalled_one_left_alone():
    class Stalls(FlakySource):
        closed = 0

        def __exit__(self, *exc):
            Stalls.closed += 1
            return False

        def chunks(self):
            yield b"\0\0" * CHUNK
            raise Stalled("input device 'x' gave no audio for 2 s")

    events: list = []
    mic = LiveMicrophone(Stalls(0, 1), [events.append], sleep=lambda s: None)
    stream = mic.chunks()
    next(stream)
    next(stream)  # the stall is noticed, the device reopened, its first chunk arrives
    assert any(isinstance(e, Fault) and "no audio" in e.message for e in events)
    assert Stalls.closed == 0  # closing a stalled stream can block for ever


def test_a_recogniser_that_raises_is_replaced():
    class Breaks(ScriptedRecognizer):
        def accept(self, pcm: bytes) -> str:
            raise RuntimeError("decoder died")

    opened: list = []

    def open_one():
        opened.append(1)
        return Breaks(["x"]) if len(opened) == 1 else ScriptedRecognizer(["hello there"])

    events: list = []
    recognizer = ResilientRecognizer(open_one, [events.append])
    assert recognizer.accept(b"\0\0") == ""
    assert recognizer.accept(b"\0\0") == "hello"
    assert recognizer.finish().text == "hello there"
    assert any(isinstance(e, Fault) and e.part == "recogniser" for e in events)


def test_unanswered_spoken_questions_are_logged_only_when_the_owner_opts_in(skill, tmp_path):
    import io

    from voice_skill.settings import PrivacySettings
    from voice_skill.voice.app import observers_for

    log = tmp_path / "unanswered.jsonl"
    audio = silence(1) + burst() + silence(1) + burst() + silence(1)
    script = ["what is the capital of france", "why is my calf twitching"]
    for opted_in in (False, True):
        settings = dataclasses.replace(settings_with(), privacy=PrivacySettings(
            log_unanswered=opted_in, unanswered_log=log))
        observers = observers_for(settings, io.StringIO(), io.StringIO())
        session = build_session(skill, ScriptedRecognizer(script), RecordingVoice(), settings,
                                observers, live=False)
        session.begin()
        for chunk in chunks(audio):
            session.feed(chunk)
        session.finish()
        assert log.exists() == opted_in
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and "capital of france" in lines[0]
    assert "twitching" not in lines[0]


class PressedOnce:
    """A button pressed once, at a given chunk."""

    def __init__(self, at_chunk: int) -> None:
        self.at_chunk, self.calls = at_chunk, 0

    def pressed(self) -> bool:
        self.calls += 1
        return self.calls == self.at_chunk


def test_push_to_talk_answers_only_after_a_press(skill):
    # follow_up 3 s: the window after the opening closes at 3 s; a question at 4-5 s is not
    # answered; the press at about 9 s opens the window for the one at 10-11 s.
    audio = silence(4) + burst() + silence(5) + burst() + silence(4)
    settings = settings_with(start="button", follow_up=3.0)
    events: list = []
    button = PressedOnce(at_chunk=92)  # the button is asked once a chunk (100 ms)
    session = build_session(skill, ScriptedRecognizer(["why is my calf twitching"]),
                            RecordingVoice(), settings, [events.append], button=button)
    session.begin()
    for chunk in chunks(audio):
        session.feed(chunk)
    session.finish()
    reasons = [e.reason for e in events if isinstance(e, StateChanged)]
    assert "button pressed" in reasons
    assert [q for q, _ in answers(events)] == ["why is my calf twitching"]


def test_enter_is_a_press_and_gpio_without_gpiozero_is_one_clear_error():
    import os
    import time

    from voice_skill.errors import ConfigError
    from voice_skill.voice.buttons import EnterButton, GpioButton

    read_end, write_end = os.pipe()
    button = EnterButton(os.fdopen(read_end))
    assert not button.pressed()
    os.write(write_end, b"\n")
    deadline = time.monotonic() + 5
    while not button.pressed():
        assert time.monotonic() < deadline, "Enter was never seen"
        time.sleep(0.01)
    assert not button.pressed()  # one press, taken once
    os.close(write_end)
    try:
        import gpiozero  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"\[voice\] button_gpio needs gpiozero"):
            GpioButton(17)


def test_captions_show_partial_words_on_a_terminal_and_escalations_unmistakably(skill):
    import io

    from voice_skill.nlu.dialog import Conversation
    from voice_skill.voice.captions import Captions
    from voice_skill.voice.events import Heard, Partial

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out, status = Terminal(), io.StringIO()
    captions = Captions(out, status)
    captions(Partial("my leg"))
    captions(Heard("my leg suddenly went weak", 1.0))
    reply = skill.respond(Conversation(), "my leg suddenly went weak and i fell", 0.0,
                          spoken=True)
    captions(Answered("my leg suddenly went weak and i fell", reply))
    shown = out.getvalue()
    assert "… my leg" in shown and "you> my leg suddenly went weak" in shown
    assert reply.escalation in ("urgent", "emergency")
    assert f"[{reply.escalation.upper()}]" in shown and "\033[1;" in shown
    piped = io.StringIO()
    Captions(piped, status)(Partial("my leg"))
    assert piped.getvalue() == ""  # a pipe or a log gets whole lines only
