"""Live captions on the terminal: the words as they are recognised, the answer as it is
spoken, escalations that cannot be missed. An observer of the session's events."""

from __future__ import annotations

from typing import IO

from ..cli.textmode import format_reply
from .events import (
    Answered,
    Event,
    Fault,
    Heard,
    Interrupted,
    Partial,
    Recovered,
    Spoken,
    State,
    StateChanged,
    VoiceChanged,
    WakeDetected,
)

_BOLD_RED, _BOLD_YELLOW, _DIM, _RESET = "\033[1;97;41m", "\033[1;33m", "\033[2m", "\033[0m"
_LEVEL_STYLE = {"emergency": _BOLD_RED, "urgent": _BOLD_YELLOW}


class Captions:
    """Prints the conversation on out and what the session is doing on status."""

    def __init__(self, out: IO[str], status: IO[str], wake_phrase: str = "") -> None:
        self.out, self.status, self.wake_phrase = out, status, wake_phrase
        self.styled = out.isatty()
        """A terminal gets colour and partial words that rewrite their line; a pipe or a
        log gets whole lines only."""
        self._answered = ""
        self._partial_shown = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, Partial) and self.styled:
            self._write(self.out, f"\r{_DIM}… {event.text}{_RESET}\033[K", newline=False)
            self._partial_shown = True
        elif isinstance(event, Heard):
            self._line(self.out, f"you> {event.text}")
        elif isinstance(event, Answered):
            self._answered = event.reply.text
            self._line(self.out, self._reply_line(event))
        elif isinstance(event, Spoken) and event.text != self._answered:
            self._line(self.out, f"skill> {event.text}")
        elif isinstance(event, StateChanged):
            self._state(event)
        elif isinstance(event, Interrupted):
            self._line(self.status, f"voice-skill: stopped speaking ({event.by})")
        elif isinstance(event, WakeDetected):
            self._line(self.status, "voice-skill: wake phrase heard")
        elif isinstance(event, VoiceChanged):
            self._line(self.status, f"voice-skill: speaking at {event.rate} words a minute, "
                                    f"volume {event.volume:.1f}")
        elif isinstance(event, Fault):
            self._line(self.status, f"voice-skill: {event.part}: {event.message}")
        elif isinstance(event, Recovered):
            self._line(self.status, f"voice-skill: {event.part} is back")

    def _reply_line(self, event: Answered) -> str:
        line = f"skill> {format_reply(event.reply)}"
        style = _LEVEL_STYLE.get(event.reply.escalation)
        return f"{style}{line}{_RESET}" if style and self.styled else line

    def _state(self, event: StateChanged) -> None:
        if event.state is State.LISTENING:
            self._line(self.status, "voice-skill: listening")
        elif event.state is State.WAITING:
            say = f"say {self.wake_phrase!r}" if self.wake_phrase else "press the button"
            self._line(self.status, f"voice-skill: waiting ({say} to ask a question)")

    def _line(self, stream: IO[str], text: str) -> None:
        if self._partial_shown:
            self._write(self.out, "\r\033[K", newline=False)
            self._partial_shown = False
        self._write(stream, text)

    @staticmethod
    def _write(stream: IO[str], text: str, newline: bool = True) -> None:
        print(text, file=stream, end="\n" if newline else "", flush=True)
