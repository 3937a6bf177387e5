"""What happens in a hands-free session, as plain values anyone may watch.

The session announces every change through these events; captions, logging, an LED hook,
the service watchdog and tests are observers, so none of them reaches into the session.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..nlu.dialog import Reply

log = logging.getLogger("voice_skill.session")


class State(enum.Enum):
    """Where the session is; each change is a StateChanged event."""

    WAITING = "waiting"
    """For the wake phrase or the button; nothing heard is answered."""
    LISTENING = "listening"
    """A question may be spoken; in always-on mode the session rests here."""
    THINKING = "thinking"
    """An utterance ended; the decision is being made."""
    SPEAKING = "speaking"
    """The answer is being spoken; "stop", "wait" or a new question interrupts it."""
    STOPPED = "stopped"
    """The person said goodbye, or the input ended."""


@dataclass(frozen=True)
class StateChanged:
    state: State
    previous: State
    reason: str
    """Why, in a few words ("wake phrase", "answer spoken", "follow-up window closed")."""


@dataclass(frozen=True)
class WakeDetected:
    phrase: str
    at: float
    """Where the phrase ended in the session's audio (seconds)."""


@dataclass(frozen=True)
class Partial:
    text: str
    """The words recognised so far in the utterance being spoken."""


@dataclass(frozen=True)
class Heard:
    text: str
    """The recogniser's final reading of an utterance."""
    at: float
    """Where the utterance ended in the session's audio (seconds)."""


@dataclass(frozen=True)
class Answered:
    question: str
    """What was heard; '' when a red flag asked back got no reply in time (voice/session.py)."""
    reply: Reply


@dataclass(frozen=True)
class Spoken:
    text: str
    """What the skill says (the opening, an answer, an acknowledgement)."""


@dataclass(frozen=True)
class Interrupted:
    by: str
    """"stop", "wait", or the new question that cut the answer short."""


@dataclass(frozen=True)
class Ignored:
    text: str
    why: str
    """"own voice" (the skill heard its answer through the room), "not woken"."""


@dataclass(frozen=True)
class VoiceChanged:
    rate: int
    """Words per minute from now on."""
    volume: float
    """0..1 from now on."""


@dataclass(frozen=True)
class Fault:
    part: str
    """"microphone", "speaker", "recogniser"."""
    message: str


@dataclass(frozen=True)
class Recovered:
    part: str


@dataclass(frozen=True)
class Tick:
    """Sent for every chunk of audio handled, and while a lost microphone is retried: proof
    of life for a watchdog."""

    at: float | None
    """The session's audio position (seconds); None while no audio arrives."""


Event = (StateChanged | WakeDetected | Partial | Heard | Answered | Spoken | Interrupted | Ignored
         | VoiceChanged | Fault | Recovered | Tick)
Observer = Callable[[Event], None]


def log_event(event: Event) -> None:
    """The journal's view: what happened, never what was said (transcripts stay out of logs
    unless --debug; privacy is opt-in)."""
    if isinstance(event, StateChanged):
        log.info("%s (%s)", event.state.value, event.reason)
    elif isinstance(event, Answered):
        log.info("answered: intent %s, escalation %s", event.reply.intent, event.reply.escalation)
        log.debug("question: %s", event.question)
    elif isinstance(event, Fault):
        log.warning("%s: %s", event.part, event.message)
    elif isinstance(event, Recovered):
        log.info("%s is back", event.part)
    elif isinstance(event, (Interrupted, WakeDetected, VoiceChanged)):
        log.info("%s", type(event).__name__)
    elif isinstance(event, (Heard, Ignored)):
        log.debug("%s: %s", type(event).__name__, event)
