"""Conversation state: repeat, more, help, stop, clarification replies and an idle reset.

`Skill.respond(state, text, now)` is the whole text-mode skill: it takes plain values and
returns a Reply with the next state, so chat, ask and the voice loop share it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .content import Content, Dialog
from .safety import escalation_advice
from .settings import Settings
from .understand import Decision, Matcher, decide

_YES = {"yes", "yeah", "yep", "yup", "correct", "right", "sure", "exactly", "first", "former",
        "one"}
_NO = {"no", "nope", "nah", "second", "latter", "other", "last"}
_NEITHER = {"neither", "none", "nothing", "never"}


@dataclass(frozen=True)
class Conversation:
    """What the skill remembers between turns."""

    last_said: str = ""
    topic: str | None = None
    """The last FAQ dialog answered, for 'tell me more'."""
    pending: tuple[str, str] | None = None
    """The two dialog ids of an open 'Did you mean A or B?'."""
    asked_again: bool = False
    """The pending question was already asked a second time."""
    last_heard_at: float | None = None
    """Monotonic seconds of the last input."""


@dataclass(frozen=True)
class Reply:
    text: str
    """Everything to say, escalation advice first."""
    intent: str | None
    """The dialog that answered (a resolved clarification counts as its dialog)."""
    decision: Decision
    state: Conversation
    ends: bool = False
    """The person said stop or goodbye."""

    @property
    def escalation(self) -> str:
        return self.decision.escalation


def _resolve_choice(words: list[str], first: Dialog, second: Dialog) -> Dialog | None:
    """Which of two topics a short reply picks, or None."""
    named = [d for d in (first, second) if any(w in d.topic.lower().split() and len(w) > 3
                                               for w in words)]
    if len(named) == 1:
        return named[0]
    if words and words[0] in _YES or "first" in words:
        return first
    if words and words[0] in _NO or "second" in words or "other" in words:
        return second
    return None


def _with_doctor_advice(text: str, see_doctor: str) -> str:
    """Add when to see a doctor, unless the text already says it (no advice twice)."""
    if not see_doctor or "doctor" in text.lower():
        return text
    return f"{text} {see_doctor}"


class Skill:
    """The content, its matcher and the settings, ready to answer."""

    def __init__(self, content: Content, settings: Settings) -> None:
        self.content = content
        self.settings = settings
        self.matcher = Matcher(content.dialogs, keyword_floor=settings.match.answer_threshold)

    def decide(self, text: str, alternatives: tuple[str, ...] = (),
               spoken: bool = False, second_opinions: tuple[str, ...] = ()) -> Decision:
        """Red flags, then FAQ matching, for one utterance (spoken: a recogniser's reading, with
        its alternatives and other models' readings)."""
        return decide(text, self.content, self.matcher, self.settings.match, alternatives,
                      spoken, second_opinions)

    def opening(self) -> str:
        """Spoken once when a session starts: a greeting and the disclaimer."""
        greeting = self.content.dialog("greeting").answer if self.content.has_dialog(
            "greeting") else ""
        return " ".join(p for p in (greeting, self.content.messages.disclaimer) if p)

    def respond(self, state: Conversation, text: str, now: float = 0.0,
                alternatives: tuple[str, ...] = (), spoken: bool = False,
                second_opinions: tuple[str, ...] = ()) -> Reply:
        """The reply to one utterance and the conversation after it."""
        if state.last_heard_at is not None and \
                now - state.last_heard_at > self.settings.dialog.idle_reset_seconds:
            state = Conversation()
        state = dataclasses.replace(state, last_heard_at=now)
        decision = self.decide(text, alternatives, spoken, second_opinions)
        if decision.outcome == "escalate":
            advice = escalation_advice(decision.assessment, self.content,
                                       self.settings.safety.emergency_number)
            return self._say(state, advice, decision.intent, decision, pending=None)
        if state.pending is not None:
            reply = self._clarification_reply(state, decision)
            if reply is not None:
                return reply
        return self._answer(state, decision)

    def _say(self, state: Conversation, text: str, intent: str | None, decision: Decision,
             **changes: object) -> Reply:
        state = dataclasses.replace(state, last_said=text, **changes)  # type: ignore[arg-type]
        return Reply(text, intent, decision, state, ends=intent == "stop")

    def _faq(self, state: Conversation, dialog: Dialog, decision: Decision) -> Reply:
        text = _with_doctor_advice(dialog.answer, dialog.see_doctor)
        return self._say(state, text, dialog.id, decision, topic=dialog.id, pending=None,
                         asked_again=False)

    def _clarification_reply(self, state: Conversation, decision: Decision) -> Reply | None:
        assert state.pending is not None
        first, second = (self.content.dialog(i) for i in state.pending)
        words = decision.normalized.split()
        chosen = _resolve_choice(words, first, second) if len(words) <= 4 else None
        if chosen is None and decision.outcome == "answer" \
                and decision.intent not in (None, first.id, second.id):
            return None  # a fresh question, not an answer to ours
        if chosen is None and decision.intent in (first.id, second.id):
            chosen = self.content.dialog(decision.intent)
        if chosen is not None:
            return self._faq(state, chosen, decision)
        if words and words[0] in _NEITHER or state.asked_again:
            return self._say(state, self.content.messages.fallback, None, decision,
                             pending=None, asked_again=False)
        again = self.content.messages.clarify_again.format(first=first.topic, second=second.topic)
        return self._say(state, again, None, decision, asked_again=True)

    def _conversation(self, state: Conversation, dialog: Dialog, decision: Decision) -> Reply:
        if dialog.id == "repeat":
            return Reply(state.last_said or dialog.answer, "repeat", decision, state)
        if dialog.id == "more":
            topic = self.content.dialog(state.topic) if state.topic else None
            text = _with_doctor_advice(topic.more, topic.see_doctor) if topic else ""
            return self._say(state, text or dialog.answer, "more", decision)
        return self._say(state, dialog.answer, dialog.id, decision, pending=None)

    def _answer(self, state: Conversation, decision: Decision) -> Reply:
        messages = self.content.messages
        if decision.outcome in ("fallback", "empty") or decision.intent is None:
            return self._say(state, messages.fallback, None, decision, pending=None)
        if decision.outcome == "clarify":
            first, second = (self.content.dialog(m.dialog_id) for m in decision.candidates[:2])
            question = messages.clarify.format(first=first.topic, second=second.topic)
            return self._say(state, question, decision.intent, decision,
                             pending=(first.id, second.id), asked_again=False)
        dialog = self.content.dialog(decision.intent)
        if dialog.is_conversation:
            return self._conversation(state, dialog, decision)
        return self._faq(state, dialog, decision)
