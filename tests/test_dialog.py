"""Conversation: repeat, more, help, stop, thanks, clarification replies, idle reset, disclaimer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voice_skill.content.loader import load_content
from voice_skill.nlu.dialog import Conversation, Reply, Skill
from voice_skill.settings import DialogSettings, Settings


def talk(skill: Skill, *lines: str, start: float = 0.0, step: float = 1.0) -> list[Reply]:
    """One session: each line a second after the last; the replies in order."""
    state, replies = Conversation(), []
    for number, line in enumerate(lines):
        reply = skill.respond(state, line, start + number * step)
        replies.append(reply)
        state = reply.state
    return replies


def miss(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


# --- repeat --------------------------------------------------------------------------------


@pytest.mark.parametrize("ask_again", ["say that again", "could you repeat that", "pardon?",
                                       "what did you say", "sorry, I missed that"])
def test_repeat_says_the_last_thing_again(skill: Skill, ask_again: str) -> None:
    answer, again = talk(skill, "what is sciatica", ask_again)
    assert again.intent == "repeat"
    assert again.text == answer.text


def test_repeat_repeats_an_escalation(skill: Skill) -> None:
    warning, again = talk(skill, "my calf is hot and swollen", "say that again")
    assert warning.escalation == "urgent"
    assert again.text == warning.text
    assert again.text.startswith("You mentioned")


def test_repeat_twice_is_still_the_answer(skill: Skill) -> None:
    answer, _, again = talk(skill, "what is sciatica", "repeat that", "repeat that")
    assert again.text == answer.text


def test_repeat_before_anything_was_said(skill: Skill) -> None:
    (reply,) = talk(skill, "say that again")
    assert reply.intent == "repeat"
    assert reply.text == skill.content.dialog("repeat").answer


def test_repeat_repeats_a_clarifying_question(tiny: Skill) -> None:
    question, again = talk(tiny, "knee", "say that again")
    assert again.text == question.text == "Did you mean knee pain or knee ache?"


# --- more ----------------------------------------------------------------------------------


@pytest.mark.parametrize("more", ["tell me more", "go on", "more details please",
                                  "can you explain more"])
def test_more_gives_the_follow_up_of_the_last_topic(skill: Skill, more: str) -> None:
    _, reply = talk(skill, "what is sciatica", more)
    assert reply.intent == "more"
    assert reply.text.startswith(skill.content.dialog("sciatica").more)


def test_more_without_a_topic(skill: Skill) -> None:
    (reply,) = talk(skill, "tell me more")
    assert reply.intent == "more"
    assert reply.text == skill.content.dialog("more").answer


def test_more_follows_the_latest_topic(skill: Skill) -> None:
    *_, reply = talk(skill, "what is sciatica", "what is a herniated disc", "tell me more")
    assert reply.text.startswith(skill.content.dialog("herniated_disc").more)


def test_topic_survives_thanks_and_help(skill: Skill) -> None:
    *_, reply = talk(skill, "what is sciatica", "thanks", "help", "tell me more")
    assert reply.text.startswith(skill.content.dialog("sciatica").more)


def test_more_in_the_tiny_content(tiny: Skill) -> None:
    _, reply = talk(tiny, "why does my knee ache", "tell me more")
    assert reply.text == "More about knee ache."


def test_a_question_naming_more_is_still_a_question(skill: Skill) -> None:
    (reply,) = talk(skill, "tell me more about sciatica")
    assert reply.intent == "sciatica"


# --- help, thanks, stop --------------------------------------------------------------------


def test_help_gives_three_example_questions_that_work(skill: Skill) -> None:
    (reply,) = talk(skill, "what can you do")
    assert reply.intent == "help"
    examples = re.findall(r"[A-Za-z][^.?!:]*\?", reply.text.split(":", 1)[-1])
    assert len(examples) >= 3, reply.text
    for example in examples[:3]:
        # "why is my calf twitching?" is a report: its answer comes after the safety check.
        answered = skill.respond(Conversation(), example).answered
        assert answered.decision.outcome == "answer", example
        assert not skill.content.dialog(answered.intent).is_conversation, example


@pytest.mark.parametrize("text", ["help", "what can I ask you", "give me some examples"])
def test_ways_to_ask_for_help(skill: Skill, text: str) -> None:
    assert talk(skill, text)[0].intent == "help"


@pytest.mark.parametrize("text", ["thanks", "thank you so much", "cheers", "thankyou",
                                  "that was helpful"])
def test_thanks(skill: Skill, text: str) -> None:
    (reply,) = talk(skill, text)
    assert (reply.intent, reply.ends) == ("thanks", False)
    assert reply.text == skill.content.dialog("thanks").answer


@pytest.mark.parametrize("text", ["stop", "goodbye", "good bye", "bye", "bye bye",
                                  "that's all for now", "I'm done", "no more questions"])
def test_stop_and_goodbye_end_the_session(skill: Skill, text: str) -> None:
    _, reply = talk(skill, "what is sciatica", text)
    assert (reply.intent, reply.ends) == ("stop", True)
    assert reply.text == skill.content.dialog("stop").answer


@pytest.mark.parametrize("text", ["how do I make the twitching stop",
                                  "why won't my calf stop twitching"])
def test_a_question_with_stop_in_it_does_not_end(skill: Skill, text: str) -> None:
    (reply,) = talk(skill, text)
    assert not reply.ends
    assert reply.answered.intent not in (None, "stop")  # "my calf" is held by the safety check


@pytest.mark.parametrize("text", ["hello", "hi there", "good morning"])
def test_greeting(skill: Skill, text: str) -> None:
    (reply,) = talk(skill, text)
    assert reply.intent == "greeting"
    assert reply.text == skill.content.dialog("greeting").answer


# --- disclaimer and idle reset -------------------------------------------------------------


def test_the_disclaimer_is_in_the_opening_once(skill: Skill) -> None:
    disclaimer = skill.content.messages.disclaimer
    assert skill.opening().count(disclaimer) == 1
    assert skill.opening().startswith(skill.content.dialog("greeting").answer)


def test_the_disclaimer_is_not_repeated_in_replies(skill: Skill) -> None:
    replies = talk(skill, "hello", "why is my calf twitching", "tell me more", "what is ALS",
                   "my leg is weak", "thanks", "goodbye")
    assert not any(skill.content.messages.disclaimer in reply.text for reply in replies)


def test_idle_reset_forgets_the_topic(skill: Skill) -> None:
    idle = skill.settings.dialog.idle_reset_seconds
    answer = skill.respond(Conversation(), "what is sciatica", now=100.0)
    later = skill.respond(answer.state, "tell me more", now=100.0 + idle + 1)
    assert later.text == skill.content.dialog("more").answer
    assert later.state.topic is None


def test_within_the_idle_period_the_topic_is_kept(skill: Skill) -> None:
    idle = skill.settings.dialog.idle_reset_seconds
    answer = skill.respond(Conversation(), "what is sciatica", now=100.0)
    later = skill.respond(answer.state, "tell me more", now=100.0 + idle - 1)
    assert later.text.startswith(skill.content.dialog("sciatica").more)


def test_idle_reset_forgets_what_was_said(skill: Skill) -> None:
    answer = skill.respond(Conversation(), "what is sciatica", now=0.0)
    later = skill.respond(answer.state, "say that again", now=1e6)
    assert later.text == skill.content.dialog("repeat").answer


def test_idle_reset_forgets_a_pending_question(tiny: Skill) -> None:
    question = tiny.respond(Conversation(), "knee", now=0.0)
    assert question.state.pending is not None
    later = tiny.respond(question.state, "the first", now=1e6)
    assert later.intent != "knee_pain"
    assert later.state.pending is None


def test_the_idle_period_is_a_setting(content) -> None:
    quick = Skill(content, Settings(dialog=DialogSettings(idle_reset_seconds=5.0)))
    answer = quick.respond(Conversation(), "what is sciatica", now=0.0)
    assert quick.respond(answer.state, "tell me more", now=6.0).state.topic is None


# --- clarification replies (tiny content: 'knee' asks knee pain or knee ache) -------------


@pytest.fixture
def tiny(tiny_dialogs: Path) -> Skill:
    return Skill(load_content(tiny_dialogs), Settings())


@pytest.mark.parametrize("answer, chosen", [
    ("yes", "knee_pain"),
    ("yeah", "knee_pain"),
    ("the first", "knee_pain"),
    ("the first one", "knee_pain"),
    ("yes the first one", "knee_pain"),
    ("the second", "knee_ache"),
    ("the second one", "knee_ache"),
    ("the other one", "knee_ache"),
    ("no the second", "knee_ache"),
    ("knee ache", "knee_ache"),
    ("knee pain please", "knee_pain"),
    ("the ache one", "knee_ache"),
    pytest.param("no", "knee_ache"),
    pytest.param("ache", "knee_ache"),
])
def test_a_clarifying_question_is_resolved(tiny: Skill, answer: str, chosen: str) -> None:
    question, reply = talk(tiny, "knee", answer)
    assert question.state.pending == ("knee_pain", "knee_ache")
    assert (reply.intent, reply.ends, reply.state.pending) == (chosen, False, None)
    assert reply.text == tiny.content.dialog(chosen).answer


def test_a_resolved_topic_is_the_topic_for_more(tiny: Skill) -> None:
    *_, more = talk(tiny, "knee", "the second", "tell me more")
    assert more.text == "More about knee ache."


def test_a_new_question_instead_of_a_reply_is_answered(tiny: Skill) -> None:
    _, reply = talk(tiny, "knee", "how much sleep do adults need")
    assert (reply.intent, reply.text, reply.state.pending) == ("sleep", "Sleep answer.", None)


def test_neither_falls_back(tiny: Skill) -> None:
    _, reply = talk(tiny, "knee", "neither")
    assert (reply.intent, reply.state.pending) == (None, None)
    assert reply.text == tiny.content.messages.fallback


def test_an_unclear_reply_asks_once_more_then_falls_back(tiny: Skill) -> None:
    _, again, gave_up = talk(tiny, "knee", "banana", "banana")
    assert again.text == tiny.content.messages.clarify_again.format(
        first="knee pain", second="knee ache")
    assert again.state.pending == ("knee_pain", "knee_ache")
    assert gave_up.text == tiny.content.messages.fallback
    assert gave_up.state.pending is None


def test_asked_again_can_still_be_answered(tiny: Skill) -> None:
    *_, reply = talk(tiny, "knee", "banana", "the second")
    assert reply.intent == "knee_ache"


def test_a_red_flag_while_asking_escalates(tiny: Skill) -> None:
    _, reply = talk(tiny, "knee", "my calf is hot and swollen")
    assert reply.escalation == "urgent"
    assert reply.state.pending is None
    assert reply.text.startswith("You mentioned")


def test_goodbye_while_asking_ends(tiny: Skill) -> None:
    _, reply = talk(tiny, "knee", "goodbye")
    assert (reply.intent, reply.ends) == ("stop", True)
