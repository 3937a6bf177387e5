"""The session's one safety check: asked before the first answer to someone reporting
twitching, cramps or leg pain, on the shipped dialogs with the real Skill."""

from __future__ import annotations

import pytest

from voice_skill.content.loader import Content
from voice_skill.nlu.dialog import Conversation, Reply, Skill, check_answer
from voice_skill.nlu.normalize import normalize
from voice_skill.settings import DialogSettings, Settings


def talk(skill: Skill, *lines: str, step: float = 1.0) -> list[Reply]:
    """One session: each line `step` seconds after the last; the replies in order."""
    state, replies = Conversation(), []
    for number, line in enumerate(lines):
        reply = skill.respond(state, line, number * step)
        replies.append(reply)
        state = reply.state
    return replies


@pytest.fixture(scope="module")
def unchecked(content: Content) -> Skill:
    return Skill(content, Settings(dialog=DialogSettings(safety_check=False)))


def is_check(skill: Skill, reply: Reply) -> bool:
    return reply.safety_check == reply.text == skill.content.messages.safety_check


# --- when it is asked ----------------------------------------------------------------------


@pytest.mark.parametrize("report", [
    "my calf keeps twitching",
    "my son gets leg cramps at night",
    "why is my calf twitching",
    "I get cramps in my calves after running",
    "my legs ache at night",
    # (Not "all week": the second opinion reads a week's jumping as routine at 0.67.)
    "my husband's calf keeps jumping",
])
def test_a_report_gets_the_check_before_its_answer(skill: Skill, report: str) -> None:
    (reply,) = talk(skill, report)
    assert is_check(skill, reply)
    assert (reply.intent, reply.escalation) == (None, "none")
    assert reply.state.check == "asked"
    assert reply.held is not None and reply.held.intent is not None


@pytest.mark.parametrize("question", [
    "what causes calf twitching?",
    "can twitching be a sign of ALS",
    "does magnesium help with cramps",
    "tell me more about sciatica",
    "what is a herniated disc",
])
def test_a_general_question_is_answered_without_the_check(skill: Skill, question: str) -> None:
    (reply,) = talk(skill, question)
    assert reply.safety_check is None
    assert reply.intent is not None
    assert reply.state.check == "due"


def test_the_check_wording_comes_from_messages(skill: Skill) -> None:
    question = skill.content.messages.safety_check
    assert question.endswith("?") and len(question.split()) <= 25
    for sign in ("weakness", "numbness", "bladder", "bowels", "spreading"):
        assert sign in question


def test_a_red_flag_in_the_report_escalates_without_the_check(skill: Skill) -> None:
    warning, later = talk(skill, "my calf twitches and my leg is weak",
                          "my calf keeps twitching")
    assert (warning.escalation, warning.safety_check) == ("urgent", None)
    assert later.safety_check is None and later.intent == "twitch_causes"


def test_an_unrelated_escalation_leaves_the_check_due(skill: Skill) -> None:
    warning, report = talk(skill, "my son just had a seizure", "my calf keeps twitching")
    assert warning.escalation == "emergency"
    assert is_check(skill, report)


# --- no: the answer to what they asked -----------------------------------------------------


@pytest.mark.parametrize("no", ["no", "No.", "nope", "nah", "no, none of those",
                                "not really", "none", "I don't think so",
                                "I haven't noticed any of that"])
def test_no_gets_the_answer_to_the_first_question(skill: Skill, unchecked: Skill,
                                                  no: str) -> None:
    _, answer = talk(skill, "my calf keeps twitching", no)
    (straight,) = talk(unchecked, "my calf keeps twitching")
    assert (answer.intent, answer.text) == (straight.intent, straight.text) == (
        "twitch_causes", straight.text)
    assert answer.escalation == "none"
    assert answer.state.check == "done" and answer.state.held is None


def test_tell_me_more_after_no_is_about_the_first_question(skill: Skill) -> None:
    *_, more = talk(skill, "my calf keeps twitching", "no", "tell me more")
    assert more.intent == "more"
    assert more.text.startswith(skill.content.dialog("twitch_causes").more)


def test_no_with_a_new_question_answers_the_new_question(skill: Skill) -> None:
    _, reply = talk(skill, "my calf keeps twitching", "no, but could magnesium help")
    assert reply.intent == "deficiency"


# --- yes: which one, then the escalation ---------------------------------------------------


@pytest.mark.parametrize("sign, level, heard", [
    ("my bladder", "emergency", "bladder or bowel control"),
    ("trouble with my bowels", "emergency", "bladder or bowel control"),
    ("weakness", "urgent", "weakness"),
    ("numbness", "urgent", "numb"),
    ("pins and needles", "urgent", "numb"),
    ("the twitching is spreading", "urgent", "spread"),
    ("it's spreading to my arms", "urgent", "spread"),
])
def test_yes_asks_which_then_escalates_that_sign(skill: Skill, sign: str, level: str,
                                                 heard: str) -> None:
    check, which, warning = talk(skill, "my calf keeps twitching", "yes", sign)
    assert is_check(skill, check)
    assert which.text == skill.content.messages.safety_check_which
    assert (which.escalation, which.state.check) == ("none", "which")
    assert warning.escalation == level
    assert warning.text.startswith("You mentioned") and heard in warning.text
    assert warning.state.check == "done"


@pytest.mark.parametrize("unclear", ["yes", "I'm not sure", "hard to say really", "banana"])
def test_yes_then_an_unclear_answer_is_urgent(skill: Skill, unclear: str) -> None:
    *_, warning = talk(skill, "my son gets leg cramps at night", "yeah", unclear)
    messages = skill.content.messages
    assert warning.escalation == "urgent"
    assert warning.text == f"{messages.safety_check_yes} {skill.content.level_advice['urgent']}"
    assert warning.state.check == "done"


@pytest.mark.parametrize("both", ["yes, my leg feels weak", "yeah my bladder",
                                  "yes, some numbness in my foot"])
def test_yes_with_the_sign_answers_both_at_once(skill: Skill, both: str) -> None:
    _, warning = talk(skill, "my calf keeps twitching", both)
    assert warning.escalation in ("urgent", "emergency")
    assert warning.text.startswith("You mentioned")
    assert warning.state.check == "done"


@pytest.mark.parametrize("yes", ["yes", "yeah", "yep", "maybe", "I think so", "a bit",
                                 "not sure"])
def test_ways_to_say_yes(yes: str) -> None:
    assert check_answer(normalize(yes).split()) == "yes"


@pytest.mark.parametrize("other", ["what is sciatica", "goodbye", "tell me a joke"])
def test_other_words_are_no_answer(other: str) -> None:
    assert check_answer(normalize(other).split()) is None


# --- anything else: a new question ---------------------------------------------------------


def test_a_new_question_is_answered_and_the_check_is_over(skill: Skill) -> None:
    _, answer, report = talk(skill, "my calf keeps twitching", "what is sciatica",
                             "my calf twitches at night")
    assert (answer.intent, answer.safety_check, answer.state.check) == ("sciatica", None, "done")
    assert report.safety_check is None and report.intent == "twitch_causes"


def test_goodbye_during_the_check_ends(skill: Skill) -> None:
    _, bye = talk(skill, "my calf keeps twitching", "goodbye")
    assert (bye.intent, bye.ends) == ("stop", True)


def test_repeat_during_the_check_asks_it_again_and_keeps_it_open(skill: Skill) -> None:
    check, again, answer = talk(skill, "my calf keeps twitching", "say that again", "no")
    assert again.text == check.text and again.state.check == "asked"
    assert answer.intent == "twitch_causes"


# --- once per session ----------------------------------------------------------------------


def test_the_check_is_asked_once_per_session(skill: Skill) -> None:
    replies = talk(skill, "my calf keeps twitching", "no", "my son gets leg cramps at night",
                   "my calf keeps twitching")
    assert [r.safety_check is not None for r in replies] == [True, False, False, False]
    assert replies[2].intent == "cramps_serious"


def test_the_idle_reset_starts_a_new_session_with_a_new_check(skill: Skill) -> None:
    idle = skill.settings.dialog.idle_reset_seconds
    first, _, later = talk(skill, "my calf keeps twitching", "no", "my calf keeps twitching",
                           step=idle + 1)
    assert first.safety_check is not None and later.safety_check is not None


def test_the_idle_reset_forgets_an_open_check(skill: Skill) -> None:
    idle = skill.settings.dialog.idle_reset_seconds
    _, stop = talk(skill, "my calf keeps twitching", "no", step=idle + 1)
    assert stop.intent == "stop"  # a fresh session's "no" is not an answer to anything


# --- off by setting ------------------------------------------------------------------------


def test_a_setting_turns_the_check_off(unchecked: Skill) -> None:
    (reply,) = talk(unchecked, "my calf keeps twitching")
    assert (reply.safety_check, reply.held, reply.intent) == (None, None, "twitch_causes")
    assert reply.state.check == "due"


def test_the_check_is_on_by_default() -> None:
    assert Settings().dialog.safety_check is True


def test_one_shot_replies_carry_the_held_answer(skill: Skill, unchecked: Skill) -> None:
    reply = skill.respond(Conversation(), "my son gets leg cramps at night")
    straight = unchecked.respond(Conversation(), "my son gets leg cramps at night")
    assert reply.answered.text == straight.text
    assert reply.answered.intent == straight.intent == "cramps_serious"
    assert straight.answered is straight


def test_repeat_while_asking_which_sign_asks_that_again(skill: Skill) -> None:
    *_, which, again, warning = talk(skill, "my calf keeps twitching", "yes", "pardon?",
                                     "numbness")
    assert again.text == which.text == skill.content.messages.safety_check_which
    assert warning.escalation == "urgent" and "numb" in warning.text
