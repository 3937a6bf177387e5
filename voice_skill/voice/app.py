"""The hands-free appliance put together: settings in, a running session out. The command
line (`voice-skill listen`) and the service both start here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO

from ..asr.base import Recognizer
from ..asr.wake.base import WakeSpotter
from ..errors import ConfigError
from ..nlu.dialog import Skill
from ..settings import Settings
from ..unanswered import UnansweredLog
from .buttons import EnterButton, GpioButton
from .captions import Captions
from .commands import INTERRUPTIONS
from .events import Answered, Observer, log_event
from .listener import StreamingListener, confident_question
from .resilience import LiveMicrophone, ResilientRecognizer
from .session import Session, Voice


def listening_phrases(skill: Skill, settings: Settings) -> tuple[str, ...]:
    """What the recogniser should expect: the content's phrases, the wake phrase (a woken
    utterance is recognised whole) and the words that interrupt or change the voice."""
    extra = [settings.voice.wake_phrase, *sorted(INTERRUPTIONS), "slower", "louder", "faster",
             "softer", "slow down", "speak up"]
    return tuple(dict.fromkeys([*skill.content.recognition_phrases(), *extra]))


def choose_button(settings: Settings, raw_stdin: bool,
                  terminal: IO[str]) -> EnterButton | GpioButton | None:
    """The push-to-talk button settings ask for: GPIO when a pin is set, else Enter."""
    if settings.voice.start != "button":
        return None
    if settings.voice.button_gpio is not None:
        return GpioButton(settings.voice.button_gpio)
    if raw_stdin:
        raise ConfigError("[voice] start = \"button\" with --stdin: stdin carries the audio, so "
                          "Enter cannot be the button; set [voice] button_gpio")
    return EnterButton(terminal)


def observers_for(settings: Settings, out: IO[str], status: IO[str]) -> list[Observer]:
    """Logging always; captions unless the session is quiet."""
    observers: list[Observer] = [log_event]
    if settings.voice.captions:
        wake = settings.voice.wake_phrase if settings.voice.start == "wake" else ""
        observers.append(Captions(out, status, wake))
        # The captions are the terminal's view of the session; its log lines are the
        # journal's, and on a terminal they would say everything twice (--debug shows them).
        if not logging.getLogger().isEnabledFor(logging.DEBUG):
            logging.getLogger("voice_skill.session").setLevel(logging.WARNING)
    unanswered = UnansweredLog.open(settings.privacy)
    if unanswered is not None:
        observers.append(unanswered_recorder(unanswered))
    return observers


def unanswered_recorder(log: UnansweredLog) -> Observer:
    """Opt-in ([privacy] log_unanswered): questions the skill could not answer, as text."""

    def observe(event: object) -> None:
        if isinstance(event, Answered):
            log.record(event.reply, datetime.now().astimezone())

    return observe


def build_session(skill: Skill, recognizer: Recognizer, speaker: Voice, settings: Settings,
                  observers: list[Observer], *, wake: WakeSpotter | None = None,
                  button: object | None = None, live: bool = True) -> Session:
    """A session over the given parts (tests build one with fakes at the edges)."""
    listener = StreamingListener(recognizer, settings.audio, confident_question(skill))
    return Session(skill, listener, speaker, settings, observers, wake=wake,
                   button=button, live=live)  # type: ignore[arg-type]


def run_session(session: Session, chunks: Iterator[bytes]) -> int:
    """Feed every chunk to the session until it stops or the audio ends."""
    session.begin()
    for chunk in chunks:
        session.feed(chunk)
        if session.stopped:
            return 0
    session.finish()
    return 0


def microphone_chunks(settings: Settings, observers: list[Observer]) -> Iterator[bytes]:
    """The microphone for as long as the session runs, reopened after faults."""
    from ..audio.devices import Microphone

    return LiveMicrophone(lambda: Microphone(settings.audio), observers).chunks()


def resilient_recognizer(open_recognizer: Callable[[], Recognizer],
                         observers: list[Observer]) -> ResilientRecognizer:
    """The recogniser, reopened if its engine fails mid-session."""
    return ResilientRecognizer(open_recognizer, observers)
