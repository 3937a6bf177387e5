"""Conversation state: repeat, more, help, stop, clarification replies, the safety check, red
flags asked back when the recogniser was unsure of them, and an idle reset.

`Skill.respond(state, text, now)` is the whole text-mode skill: it takes plain values and
returns a Reply with the next state, so chat, ask and the voice loop share it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..asr.base import Word
from ..content.loader import LEVELS, Content, Dialog
from ..settings import Settings
from .normalize import normalize
from .recall import second_opinion
from .safety import Assessment, escalation_advice
from .understand import Confirmation, Decision, Matcher, decide

_YES = {"yes", "yeah", "yep", "yup", "correct", "right", "sure", "exactly", "first", "former",
        "one"}
_NO = {"no", "nope", "nah", "second", "latter", "other", "last"}
_NEITHER = {"neither", "none", "nothing", "never"}

# Answers to the safety check. Unsure counts as yes: the next question asks which sign, and
# an unclear answer to that is advised as urgent, so doubt errs towards a doctor.
_CHECK_YES = {"yes", "yeah", "yep", "yup", "yea", "aye", "ya", "maybe", "possibly", "probably",
              "perhaps"}
_CHECK_YES_PHRASES = {"i do", "i have", "i think so", "a bit", "a little", "sometimes", "some",
                      "kind of", "sort of", "not sure", "i am not sure", "i do not know",
                      "one of them", "one of those", "a few"}
# "know": how pocketsphinx hears a lone "no" (flite's slt voice, measured in test_voice_cli).
_CHECK_NO = {"no", "nope", "nah", "none", "neither", "nothing", "negative", "know"}
_CHECK_NO_PHRASES = {"not really", "i do not think so", "i do not", "i have not", "not at all",
                     "all fine", "fine", "i am fine", "all good", "i am ok", "i am okay"}
# Answers to "Did you mention weakness?" beyond the safety check's own.
_CONFIRM_YES_PHRASES = {"i did", "i did say that", "i said that", "that is right", "right",
                        "correct", "exactly", "it is", "i do", "i am"}
_CONFIRM_NO_PHRASES = {"i did not", "i did not say that", "that is wrong", "wrong",
                       "not that", "i never said that", "you misheard", "you misheard me"}


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
    check: str = "due"
    """The session's safety check: due (not asked yet), asked (waiting for yes or no), which
    (waiting to hear which sign), done."""
    held: Decision | None = None
    """The question the safety check holds back, answered when the person says no."""
    confirming: Decision | None = None
    """An utterance whose unsure red flag was asked back: a yes (or anything but a no)
    escalates it, a no answers it."""


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
    held: Reply | None = None
    """When this reply asks a yes/no question: the reply one-shot ask shows instead (for the
    safety check the answer a no gets, for a confirmation the escalation)."""
    asks: str | None = None
    """The yes/no question this reply is: "safety_check", "confirm" or None."""

    @property
    def escalation(self) -> str:
        return self.decision.escalation

    @property
    def safety_check(self) -> str | None:
        """The safety-check question this reply asks, or None."""
        return self.text if self.asks == "safety_check" else None

    @property
    def confirm(self) -> Confirmation | None:
        """The unsure red flag this reply asks back, or None."""
        return self.decision.confirm if self.asks == "confirm" else None

    @property
    def answered(self) -> Reply:
        """The answer to the question: the held one behind a safety check, else this reply."""
        return self.held or self


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


def check_answer(words: list[str]) -> str | None:
    """'yes', 'no' or None (not an answer) for a reply to the safety check."""
    text = " ".join(words)
    if text in _CHECK_YES_PHRASES or (words and words[0] in _CHECK_YES):
        return "yes"
    if text in _CHECK_NO_PHRASES or (words and words[0] in _CHECK_NO):
        return "no"
    return None


def confirm_answer(words: list[str]) -> str | None:
    """'yes', 'no' or None (neither) for a reply to "Did you mention weakness?"."""
    text = " ".join(words)
    if text in _CONFIRM_NO_PHRASES:
        return "no"
    if text in _CONFIRM_YES_PHRASES:
        return "yes"
    return check_answer(words)


def _most_urgent(asked: Decision, reply: Decision) -> Decision:
    """The escalation a confirmation's reply leads to: the red flag asked about, or one the reply
    itself reports when that is more urgent ("yes, and now I cannot breathe")."""
    if reply.outcome == "escalate" and LEVELS.index(reply.escalation) > LEVELS.index(
            asked.escalation):
        return reply
    return asked


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
        safety = settings.safety
        self.recall = second_opinion(safety.recall, safety.recall_threshold, safety.recall_model)

    def decide(self, text: str, alternatives: tuple[str, ...] = (),
               spoken: bool = False, second_opinions: tuple[str, ...] = (),
               words: tuple[Word, ...] = (), learned: bool = True) -> Decision:
        """Red flags, then FAQ matching, for one utterance (spoken: a recogniser's reading, with
        its alternatives, other models' readings and its words' confidences; learned: False
        leaves the second opinion out)."""
        safety = self.settings.safety
        # Typed text is what the person meant: only a recogniser's doubts are asked back.
        confirm_below = safety.confirm_below if spoken and safety.confirm else None
        return decide(text, self.content, self.matcher, self.settings.match, alternatives,
                      spoken, second_opinions, words, confirm_below,
                      self.recall if learned else None)

    def opening(self) -> str:
        """Spoken once when a session starts: a greeting and the disclaimer."""
        greeting = self.content.dialog("greeting").answer if self.content.has_dialog(
            "greeting") else ""
        return " ".join(p for p in (greeting, self.content.messages.disclaimer) if p)

    def respond(self, state: Conversation, text: str, now: float = 0.0,
                alternatives: tuple[str, ...] = (), spoken: bool = False,
                second_opinions: tuple[str, ...] = (), words: tuple[Word, ...] = ()) -> Reply:
        """The reply to one utterance and the conversation after it."""
        if state.last_heard_at is not None and \
                now - state.last_heard_at > self.settings.dialog.idle_reset_seconds:
            state = Conversation()
        state = dataclasses.replace(state, last_heard_at=now)
        # A reply to the skill's own yes/no question answers it ("I don't think so"); the rules
        # still hear a red flag told in it, but the second opinion, which reads a message
        # without what was asked, would read the answer as a report.
        answering = state.confirming is not None or state.check in ("asked", "which")
        decision = self.decide(text, alternatives, spoken, second_opinions, words,
                               learned=not answering)
        if state.confirming is not None:
            return self._confirm_reply(state, decision, normalize(text).split())
        return self._respond_to(state, decision)

    def _respond_to(self, state: Conversation, decision: Decision) -> Reply:
        if decision.outcome == "escalate":
            return self._escalate(state, decision)
        if decision.outcome == "confirm":
            return self._ask_confirm(state, decision)
        if state.check in ("asked", "which") and decision.intent == "repeat":
            return Reply(state.last_said, "repeat", decision, state)  # the check stays open
        if state.check == "which":
            return self._which_sign(state, decision)
        if state.check == "asked":
            reply = self._check_reply(state, decision)
            if reply is not None:
                return reply
            state = dataclasses.replace(state, check="done", held=None)
        if state.pending is not None:
            reply = self._clarification_reply(state, decision)
            if reply is not None:
                return reply
        if self._check_due(state, decision):
            return self._ask_check(state, decision)
        return self._answer(state, decision)

    # --- a red flag the recogniser was unsure of, asked back ----------------------------

    def _ask_confirm(self, state: Conversation, decision: Decision) -> Reply:
        """Ask the unsure red flag back; the Reply carries the escalation a yes gets, which is
        what one-shot ask shows (nobody can answer it there, and no answer is not a no)."""
        assert decision.confirm is not None
        question = decision.confirm.question
        yes = self._escalate(state, decision.confirmed)
        state = dataclasses.replace(state, last_said=question, confirming=decision, pending=None)
        return Reply(question, None, decision, state, held=yes, asks="confirm")

    def _confirm_reply(self, state: Conversation, decision: Decision,
                       words: list[str]) -> Reply:
        """A yes escalates the red flag asked about; a no answers what was asked without it.
        Anything else escalates too: the question was asked because a red flag was probably
        heard, a reply the skill cannot read is most often a garbled yes or the symptom told
        again, and asking twice would double the wait for advice someone may need now.
        words: the reply's best reading, normalised. Not the reading the decision answers
        from: a lone "no" (flite slt) has "now" next best, which fits the stop dialog."""
        asked = state.confirming
        assert asked is not None
        if decision.intent == "repeat" and decision.outcome == "answer":
            return Reply(state.last_said, "repeat", decision, state)  # the question stays open
        state = dataclasses.replace(state, confirming=None)
        if confirm_answer(words) != "no":
            return self._escalate(state, _most_urgent(asked.confirmed, decision))
        if decision.outcome in ("escalate", "confirm") or (
                decision.outcome == "answer" and decision.intent not in (None, asked.intent)
                and not self.content.dialog(decision.intent).is_conversation):
            return self._respond_to(state, decision)  # "no, but my leg is numb"
        return self._respond_to(state, asked.denied)

    def unanswered_confirmation(self, state: Conversation) -> Reply | None:
        """When a question asked back gets no reply at all (the session heard nothing in time):
        the escalation, as for any reply that is not a no; None when nothing is asked."""
        if state.confirming is None:
            return None
        return self._escalate(dataclasses.replace(state, confirming=None),
                              state.confirming.confirmed)

    # --- the safety check: once a session, before the first answer to a twitching report ---

    def _escalate(self, state: Conversation, decision: Decision) -> Reply:
        advice = escalation_advice(decision.assessment, self.content,
                                   self.settings.safety.emergency_number)
        # Advice given to someone reporting twitching, or mid-check, spends the check: it
        # could only have led to the same advice. An unrelated escalation leaves it due.
        spent = state.check != "due" or self.content.symptoms.fires("report", decision.text)
        check = {"check": "done", "held": None} if spent else {}
        return self._say(state, advice, decision.intent, decision, pending=None, **check)

    def _check_due(self, state: Conversation, decision: Decision) -> bool:
        return (self.settings.dialog.safety_check and state.check == "due"
                and self.content.symptoms.fires("report", decision.text))

    def _ask_check(self, state: Conversation, decision: Decision) -> Reply:
        """Hold the answer back and ask the yes/no question; the Reply carries the answer too,
        so one-shot ask can show both."""
        answer = self._answer(state, decision)
        question = self.content.messages.safety_check
        state = dataclasses.replace(state, last_said=question, check="asked", held=decision)
        return Reply(question, None, decision, state, held=answer, asks="safety_check")

    def _check_reply(self, state: Conversation, decision: Decision) -> Reply | None:
        """A yes or no to the check, or None for something else (then it is a new question)."""
        assert state.held is not None
        words = decision.normalized.split()
        answer = check_answer(words)
        if answer is None and decision.outcome != "answer" and len(words) <= 8 \
                and {"not", "never", "none", "nothing"} & set(words):
            answer = "no"  # "i have not noticed any of that"
        if answer == "yes":
            sign = self.content.symptoms.sign_named(decision.text)
            if sign is not None:
                return self._sign_escalation(state, decision, sign.means)
            return self._say(state, self.content.messages.safety_check_which, None, decision,
                             check="which")
        if answer != "no":
            return None
        done = dataclasses.replace(state, check="done", held=None)
        if decision.outcome == "answer" and decision.intent not in (None, state.held.intent) \
                and not self.content.dialog(decision.intent).is_conversation:
            return self._answer(done, decision)  # "no, but does magnesium help?"
        return self._answer(done, state.held)

    def _which_sign(self, state: Conversation, decision: Decision) -> Reply:
        """After a yes: the sign named, read as the red-flag check's sentence for it, or, when
        the answer names none, urgent advice (they said they have one)."""
        sign = self.content.symptoms.sign_named(decision.text)
        if sign is not None:
            return self._sign_escalation(state, decision, sign.means)
        return self._urgent_after_yes(state, decision)

    def _sign_escalation(self, state: Conversation, decision: Decision, means: str) -> Reply:
        named = self.decide(means)
        if named.outcome != "escalate":  # check-dialogs reports such a sign
            return self._urgent_after_yes(state, decision)
        decision = dataclasses.replace(decision, assessment=named.assessment, outcome="escalate",
                                       intent=None)
        return self._escalate(state, decision)

    def _urgent_after_yes(self, state: Conversation, decision: Decision) -> Reply:
        advice = self.content.level_advice.get("urgent", "").replace(
            "{emergency_number}", self.settings.safety.emergency_number)
        text = " ".join(p for p in (self.content.messages.safety_check_yes, advice) if p)
        decision = dataclasses.replace(decision, outcome="escalate", intent=None,
                                       assessment=Assessment("urgent", (), False))
        return self._say(state, text, None, decision, pending=None, check="done", held=None)

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

    def _fallback(self, decision: Decision) -> str:
        """The fallback, after one sentence of what to do first when it reports a symptom."""
        messages = self.content.messages
        if decision.outcome != "fallback" or not self.content.symptoms.fires("unplaced",
                                                                             decision.text):
            return messages.fallback
        net = messages.safety_net.replace("{emergency_number}",
                                          self.settings.safety.emergency_number)
        return f"{net} {messages.fallback}"

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
            return self._say(state, self._fallback(decision), None, decision, pending=None)
        if decision.outcome == "clarify":
            first, second = (self.content.dialog(m.dialog_id) for m in decision.candidates[:2])
            question = messages.clarify.format(first=first.topic, second=second.topic)
            return self._say(state, question, decision.intent, decision,
                             pending=(first.id, second.id), asked_again=False)
        dialog = self.content.dialog(decision.intent)
        if dialog.is_conversation:
            return self._conversation(state, dialog, decision)
        return self._faq(state, dialog, decision)
