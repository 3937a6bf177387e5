"""The hands-free session as explicit states: waiting -> listening -> thinking -> speaking.

Audio drives it: every chunk from the microphone goes to `Session.feed`, whatever the state,
so the endpointer always knows the room, a wake phrase or a "stop" can be heard at any time,
and time inside the session is audio position, not the wall clock (a recording fed faster
than real time behaves exactly as the same speech heard live).

Each change is an event (voice/events.py) that captions, logs, an LED hook, the service
watchdog and tests observe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..asr.base import Transcript
from ..asr.wake.base import WakeSpotter
from ..nlu.dialog import Conversation, Skill
from ..settings import Settings
from ..tts.earcon import EarconName
from ..tts.playback import Delivery
from .commands import (
    OWN_VOICE_LOOSE_WORDS,
    Manner,
    interruption,
    is_own_voice,
    manner,
    strip_wake_phrase,
)
from .events import (
    Answered,
    Event,
    Heard,
    Ignored,
    Interrupted,
    Observer,
    Partial,
    Spoken,
    State,
    StateChanged,
    Tick,
    VoiceChanged,
    WakeDetected,
)
from .listener import BYTES_PER_SECOND, ECHO_GUARD_SECONDS, StreamingListener, respond_to_speech
from .listener import Heard as HeardTurn

ECHO_SPAN_SHARE = 0.6
ECHO_SPAN_MIN_SECONDS = 6.0
"""An utterance heard over an answer started at least ECHO_SPAN_MIN_SECONDS of stream ago,
lasting ECHO_SPAN_SHARE of that time or more, with at least
OWN_VOICE_LOOSE_WORDS words, is the skill's own voice. The text check alone let one through on
a loaded machine (test_session_e2e, a 15 s answer heard back whole: 44 words, partial ratio
51, 0.34 of them in order) and was answered as a question. The floor of 6 s keeps a person
who goes on talking as a short answer starts from being taken for it."""


class Voice(Protocol):
    """How the session speaks (tts/speaker.py's speakers, or a fake in tests)."""

    def start(self, text: str, delivery: Delivery | None = None) -> None:
        """Begin speaking text; returns at once."""

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the speech is over (True) or timeout passes (False)."""

    def stop(self) -> None:
        """Stop speaking now."""

    @property
    def speaking(self) -> bool:
        """Still speaking."""

    def earcon(self, name: EarconName) -> None:
        """Play a short tone: "listening" or "done"."""


class Button(Protocol):
    """Push-to-talk: Enter on a terminal, or a GPIO button (voice/buttons.py)."""

    def pressed(self) -> bool:
        """True once for each press since the last call."""


class Session:
    """One hands-free session. Call begin(), then feed() every chunk, then finish()."""

    def __init__(self, skill: Skill, listener: StreamingListener, voice: Voice,
                 settings: Settings, observers: Sequence[Observer] = (), *,
                 wake: WakeSpotter | None = None, button: Button | None = None,
                 live: bool = True) -> None:
        self.skill, self.listener, self.voice = skill, listener, voice
        self.settings = settings.voice
        self.observers = list(observers)
        self.wake, self.button, self.live = wake, button, live
        self.state = State.LISTENING
        self.position = 0.0
        """Seconds of audio handled so far."""
        self.conversation = Conversation()
        self.delivery = Delivery.from_settings(settings.tts)
        """How answers are spoken; "slower", "louder" change it for the rest of the session."""
        self._guard_until = 0.0
        self._window_ends: float | None = None
        self._wake_origin = 0.0
        self._speaking_text = ""
        self._speaking_since = 0.0
        """Stream position (seconds) when the answer being spoken was started."""
        self._ending = False
        self._after_speaking = "open"
        self._swallow_utterance = False
        self._hear_pending = False
        self._confirm_ends: float | None = None
        """When a red flag asked back ("Did you mention weakness?") is taken as unanswered."""

    # --- the outside -------------------------------------------------------------------

    def begin(self) -> None:
        """Speak the opening; then listen (always-on) or wait for the wake phrase / button."""
        self._speak(self.skill.opening())

    def feed(self, chunk: bytes) -> None:
        """Handle the next chunk of microphone audio."""
        start = self.position
        self.position += len(chunk) / BYTES_PER_SECOND
        self._emit(Tick(self.position))
        if self.state is State.SPEAKING:
            self._while_speaking(chunk, start)
        elif self.state is State.WAITING:
            self._while_waiting(chunk)
        elif self.state is State.LISTENING:
            self._while_listening(chunk, start)

    def finish(self) -> None:
        """End of input: speech still open is answered, then the session stops."""
        if self.state is State.LISTENING:
            self._heard(self.listener.finish())
        self._move(State.STOPPED, "end of input")

    @property
    def stopped(self) -> bool:
        return self.state is State.STOPPED

    # --- states ------------------------------------------------------------------------

    def _while_waiting(self, chunk: bytes) -> None:
        self.listener.feed(chunk)  # hearing is off: it only follows the room
        if self.button is not None and self.button.pressed():
            self._open_window("button pressed")
            return
        if self.wake is None:
            return
        spotted = self.wake.feed(chunk)
        if spotted is not None:
            self._emit(WakeDetected(spotted.phrase, self._wake_origin + spotted.end))
            self._open_window("wake phrase")

    def _while_listening(self, chunk: bytes, start: float) -> None:
        if self._hear_pending:
            self._hear_pending = False
            self.listener.hear()
        if start < self._guard_until:
            return  # the tail of the skill's own voice, still in the room
        if self.button is not None and self.button.pressed() and not self.listener.in_speech:
            self._open_window("button pressed")
        partial = self.listener.partial
        self._heard(self.listener.feed(chunk))
        if self.listener.partial and self.listener.partial != partial:
            self._emit(Partial(self.listener.partial))
        if (self.state is State.LISTENING and self._confirm_ends is not None
                and not self.listener.in_speech and self.position >= self._confirm_ends):
            self._unanswered_confirmation()
        if (self.state is State.LISTENING and self._window_ends is not None
                and not self.listener.in_speech and self.position >= self._window_ends):
            self._close_window("no follow-up question")

    def _while_speaking(self, chunk: bytes, start: float) -> None:
        if not self.voice.speaking:
            self._done_speaking()
            self._while_listening(chunk, start)
            return
        if not (self.live and self.settings.barge_in):
            return
        if self.button is not None and self.button.pressed():
            self._interrupt("button")
            return
        heard = self.listener.feed(chunk)
        partial = self.listener.partial
        word = interruption(partial) if partial else None
        if word is not None and not is_own_voice(partial, self._speaking_text):
            self._swallow_utterance = True  # its final reading is this same "stop"
            self._interrupt(word)
            return
        for turn in heard:
            self._barge_in(turn)

    # --- what was heard ----------------------------------------------------------------

    def _heard(self, heard: list[HeardTurn]) -> None:
        for transcript in (turn.transcript for turn in heard):
            if self.state is not State.LISTENING:
                return
            if self._swallow_utterance:
                self._swallow_utterance = False
                continue
            self._answer(transcript)

    def _barge_in(self, turn: HeardTurn) -> None:
        transcript = turn.transcript
        text = transcript.text.strip()
        if not text:
            return
        if is_own_voice(text, self._speaking_text) or self._spans_the_answer(turn):
            self._emit(Ignored(text, "own voice"))
            return
        if self._swallow_utterance:
            self._swallow_utterance = False
            return
        word = interruption(text)
        self._interrupt(word or text)
        if word is None:  # a new question: answered at once
            self._answer(transcript)

    def _spans_the_answer(self, turn: HeardTurn) -> bool:
        """A long utterance that lasted most of the time the skill has been speaking: its own
        voice however garbled (a person does not talk through most of an answer; its echo
        does, and what another talker says at length over it was not said to the skill)."""
        speaking_for = self.position - self._speaking_since
        return (speaking_for >= ECHO_SPAN_MIN_SECONDS
                and turn.duration >= ECHO_SPAN_SHARE * speaking_for
                and len(turn.transcript.text.split()) >= OWN_VOICE_LOOSE_WORDS)

    def _answer(self, transcript: Transcript) -> None:
        text = strip_wake_phrase(transcript.text, self.settings.wake_phrase).strip()
        if not text:
            return
        transcript = Transcript(text, transcript.words, transcript.confidence, transcript.engine,
                                transcript.alternatives, transcript.second_opinions)
        self._emit(Heard(text, self.position))
        self._confirm_ends = None
        change = manner(text)
        if change is not None:
            self._change_manner(change)
            return
        self._move(State.THINKING, "utterance ended")
        reply = respond_to_speech(self.skill, self.conversation, transcript)
        self.conversation = reply.state
        self._emit(Answered(text, reply))
        # On a kiosk "goodbye" ends the conversation, not the appliance.
        self._ending = reply.ends and self.settings.start == "always"
        if reply.ends and not self._ending:
            self.conversation = Conversation()
        self._speak(reply.text, ends_conversation=reply.ends)

    def _unanswered_confirmation(self) -> None:
        """No reply to a red flag asked back: silence is not a no, so its escalation is spoken."""
        self._confirm_ends = None
        reply = self.skill.unanswered_confirmation(self.conversation)
        if reply is None:
            return
        self.conversation = reply.state
        self._emit(Answered("", reply))
        self._speak(reply.text)

    def _change_manner(self, change: Manner) -> None:
        self.delivery = change.apply(self.delivery)
        self._emit(VoiceChanged(self.delivery.rate, self.delivery.volume))
        again = self.conversation.last_said
        self._speak(f"{change.acknowledgement} {again}".strip())

    # --- speaking ----------------------------------------------------------------------

    def _speak(self, text: str, ends_conversation: bool = False) -> None:
        self._speaking_text = text
        self._speaking_since = self.position
        self._after_speaking = "close" if ends_conversation else "open"
        self._move(State.SPEAKING, "answering")
        self._emit(Spoken(text))
        if self.live and self.settings.barge_in:
            self.listener.hear()
        else:
            self.listener.stop_hearing()
        self.voice.start(text, self.delivery)
        if not self.live:  # a recording waits for the answer: nothing can be missed
            self.voice.wait()
            self._done_speaking()

    def _interrupt(self, by: str) -> None:
        self.voice.stop()
        self._emit(Interrupted(by))
        self._after_speaking = "open"
        self._ending = False
        self._done_speaking(guard=False)

    def _done_speaking(self, guard: bool = True) -> None:
        if guard and self.live:  # a recording has no echo: its next words are a question
            self._guard_until = self.position + ECHO_GUARD_SECONDS
            self.listener.abandon()  # an utterance still open is the tail of the echo
        if self.conversation.confirming is not None:
            # The reply is heard without the wake phrase (the follow-up window), and waited
            # for as long as a follow-up question is: it ends with the window, before the
            # window closes.
            self._confirm_ends = self.position + self.settings.follow_up
        if self._ending:
            self._move(State.STOPPED, "goodbye")
        elif self._after_speaking == "close" and self.settings.start != "always":
            self._close_window("conversation ended")
        elif self.settings.start == "always":
            self.listener.hear()
            self._move(State.LISTENING, "answer spoken")
        else:
            self._open_window("follow-up")

    def _open_window(self, reason: str) -> None:
        """Listen without the wake phrase for a while (after a wake, a press or an answer)."""
        self._window_ends = self.position + self.settings.follow_up
        if self.settings.earcons:
            self.voice.earcon("listening")
            # hear() may decode a second of speech already said, in C, holding the GIL the
            # speaker's thread needs to start the tone: it waits for the next chunk.
            self._hear_pending = True
        else:
            self.listener.hear()
        self._move(State.LISTENING, reason)

    def _close_window(self, reason: str) -> None:
        self._window_ends = None
        self.listener.stop_hearing()
        if self.wake is not None:
            self.wake.reset()
            self._wake_origin = self.position
        if self.settings.earcons:
            self.voice.earcon("done")
        self._move(State.WAITING, reason)

    # --- events ------------------------------------------------------------------------

    def _move(self, state: State, reason: str) -> None:
        if state is not self.state:
            previous, self.state = self.state, state
            self._emit(StateChanged(state, previous, reason))

    def _emit(self, event: Event) -> None:
        for observer in self.observers:
            observer(event)
