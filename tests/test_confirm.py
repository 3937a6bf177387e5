"""Red flags the recogniser was unsure of are asked back ("Did you mention weakness?"): the
sure/unsure split on hand-made transcripts, the conversation's yes / no / anything else, and
what one-shot ask shows. The shipped dialogs and the real Skill throughout."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from voice_skill.asr.base import Word
from voice_skill.cli.textmode import format_one_shot, reply_record, run_ask
from voice_skill.content.loader import Content, load_content
from voice_skill.errors import ContentError
from voice_skill.nlu.dialog import Conversation, Reply, Skill, confirm_answer
from voice_skill.nlu.doubt import hit_confidence, split_doubts, word_confidences
from voice_skill.nlu.safety import assess
from voice_skill.settings import SafetySettings, Settings

SURE, UNSURE = 1.0, 0.05
"""Word confidences well above and well below SafetySettings().confirm_below."""


def heard(text: str, confidence: float = SURE, **unsure_words: float) -> tuple[Word, ...]:
    """A transcript's words: each at confidence, those named at their own."""
    return tuple(Word(w, unsure_words.get(w, confidence), i * 0.3, i * 0.3 + 0.3)
                 for i, w in enumerate(text.split()))


def spoken(skill: Skill, text: str, alternatives: tuple[str, ...] = (),
           state: Conversation | None = None, **unsure_words: float) -> Reply:
    return skill.respond(state or Conversation(), text, 0.0, alternatives, spoken=True,
                         words=heard(text, **unsure_words))


@pytest.fixture(scope="module")
def never_asks(content: Content) -> Skill:
    return Skill(content, Settings(safety=SafetySettings(confirm=False)))


# --- sure or unsure -------------------------------------------------------------------------


def test_a_red_flag_on_confident_words_of_the_best_reading_is_sure(skill: Skill) -> None:
    decision = skill.decide("my leg is weak", spoken=True, words=heard("my leg is weak"))
    assert (decision.outcome, decision.escalation, decision.confirm) == ("escalate", "urgent",
                                                                          None)


def test_a_red_flag_only_a_next_best_reading_has_is_unsure(skill: Skill) -> None:
    decision = skill.decide("why is my calf twitching", ("why is my calf weak",), spoken=True,
                            words=heard("why is my calf twitching"))
    assert decision.outcome == "confirm" and decision.escalation == "none"
    assert decision.confirm is not None
    assert (decision.confirm.level, decision.confirm.rule) == ("urgent", "weakness")
    assert decision.confirm.question == "Did you mention weakness?"
    assert decision.confirmed.outcome == "escalate"
    assert decision.confirmed.escalation == "urgent"
    assert (decision.denied.outcome, decision.denied.intent) == ("answer", "twitch_causes")


def test_a_red_flag_on_a_word_heard_below_the_threshold_is_unsure(skill: Skill) -> None:
    decision = skill.decide("my leg is weak", spoken=True,
                            words=heard("my leg is weak", weak=UNSURE))
    assert decision.outcome == "confirm" and decision.confirm is not None
    assert decision.confirm.rule == "weakness"


def test_an_unsure_word_elsewhere_leaves_the_red_flag_sure(skill: Skill) -> None:
    decision = skill.decide("my leg is weak", spoken=True, words=heard("my leg is weak",
                                                                        my=UNSURE))
    assert decision.outcome == "escalate"


def test_another_models_reading_is_unsure_too(skill: Skill) -> None:
    decision = skill.decide("why is my calf twitching", spoken=True,
                            second_opinions=("i suddenly can't move my leg at all",),
                            words=heard("why is my calf twitching"))
    assert decision.confirm is not None and decision.confirm.level == "emergency"
    assert decision.confirm.question == "Did you mention a leg that suddenly will not move?"


def test_a_sure_red_flag_as_urgent_as_the_unsure_one_escalates_without_asking(
        skill: Skill) -> None:
    decision = skill.decide("my leg is weak", ("my leg is numb",), spoken=True,
                            words=heard("my leg is weak"))
    assert (decision.outcome, decision.escalation) == ("escalate", "urgent")


def test_a_more_urgent_unsure_red_flag_is_asked_and_a_no_keeps_the_sure_one(
        skill: Skill) -> None:
    decision = skill.decide("my leg is weak", ("my leg is weak and i wet myself",),
                            spoken=True, words=heard("my leg is weak"))
    assert decision.confirm is not None and decision.confirm.level == "emergency"
    assert decision.escalation == "urgent"  # acted on now: the sure one
    assert (decision.denied.outcome, decision.denied.escalation) == ("escalate", "urgent")
    rules = [hit.rule.id for hit in decision.confirmed.assessment.hits]
    assert rules == ["bladder_bowel_control", "weakness"]


def test_typed_text_is_always_sure(skill: Skill) -> None:
    decision = skill.decide("why is my calf twitching", ("why is my calf weak",))
    assert (decision.outcome, decision.escalation) == ("escalate", "urgent")


def test_with_confirmation_off_every_reading_escalates_at_once(never_asks: Skill) -> None:
    decision = never_asks.decide("why is my calf twitching", ("why is my calf weak",),
                                 spoken=True, words=heard("why is my calf twitching"))
    assert (decision.outcome, decision.escalation) == ("escalate", "urgent")


def test_the_split_itself(content: Content) -> None:
    """split_doubts on assessments, without the matcher."""
    def judged(text: str):  # type: ignore[no-untyped-def]
        return assess(text, content.rules, True, content.cues)

    words = heard("my leg is weak", weak=0.1)
    doubts = split_doubts(judged("my leg is weak"), [judged("my leg is numb")], words, 0.2)
    assert doubts.sure.level == "none" and doubts.unsure is not None
    assert [h.rule.id for h in doubts.unsure.hits] == ["weakness", "numbness"]
    assert split_doubts(judged("my leg is weak"), [], words, 0.1).unsure is None


def test_a_word_heard_twice_is_as_sure_as_its_less_sure_hearing() -> None:
    assert word_confidences(heard("weak and weak", 0.9, weak=0.3))["weak"] == 0.3
    words = (Word("can't", 0.4, 0, 0.3), Word("move", 0.9, 0.3, 0.6))
    assert word_confidences(words) == {"can": 0.4, "not": 0.4, "move": 0.9}


def test_a_red_flag_traced_to_no_recognised_word_counts_as_sure(content: Content) -> None:
    """normalize mends "week ness" into "weakness": no single word of the reading is it."""
    assessment = assess("my leg has week ness", content.rules, True, content.cues)
    assert hit_confidence(assessment.hits[0], heard("my leg has week ness", 0.1)) == 1.0


# --- the conversation -------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["yes", "yes it is", "yeah", "I did", "yes I did",
                                    "that's right", "I think so", "I'm not sure"])
def test_a_yes_escalates(skill: Skill, answer: str) -> None:
    asked = spoken(skill, "why is my calf twitching", ("why is my calf weak",))
    assert asked.confirm is not None and asked.text == "Did you mention weakness?"
    assert asked.escalation == "none" and asked.intent is None
    reply = spoken(skill, answer, state=asked.state)
    assert reply.escalation == "urgent" and reply.text.startswith("You mentioned weakness.")
    assert reply.state.confirming is None


@pytest.mark.parametrize("answer", ["no", "know", "nope", "no I didn't", "I did not",
                                    "no I did not say that"])
def test_a_no_answers_what_was_asked(skill: Skill, answer: str) -> None:
    """'know': how pocketsphinx hears a lone 'no' (the safety check's answers, reused)."""
    asked = spoken(skill, "what is sciatica", ("what is sciatica my leg is weak",))
    assert asked.confirm is not None
    reply = spoken(skill, answer, state=asked.state)
    assert (reply.escalation, reply.intent) == ("none", "sciatica")
    assert reply.text.startswith(skill.content.dialog("sciatica").answer)


@pytest.mark.parametrize("answer", ["what", "the weather is nice", "hmm maybe later"])
def test_anything_else_escalates(skill: Skill, answer: str) -> None:
    asked = spoken(skill, "what is sciatica", ("what is sciatica my leg is weak",))
    reply = spoken(skill, answer, state=asked.state)
    assert reply.escalation == "urgent"


def test_silence_escalates(skill: Skill) -> None:
    asked = spoken(skill, "what is sciatica", ("what is sciatica my leg is weak",))
    reply = skill.unanswered_confirmation(asked.state)
    assert reply is not None and reply.escalation == "urgent"
    assert skill.unanswered_confirmation(Conversation()) is None


def test_a_no_with_another_red_flag_escalates_that_one(skill: Skill) -> None:
    asked = spoken(skill, "what is sciatica", ("what is sciatica my leg is weak",))
    reply = spoken(skill, "no but I wet myself", state=asked.state)
    assert reply.escalation == "emergency"


def test_a_yes_with_a_more_urgent_red_flag_escalates_the_more_urgent(skill: Skill) -> None:
    asked = spoken(skill, "what is sciatica", ("what is sciatica my leg is weak",))
    reply = spoken(skill, "yes and now I can't breathe", state=asked.state)
    assert reply.escalation == "emergency"


def test_a_no_then_a_new_question_answers_the_new_one(skill: Skill) -> None:
    asked = spoken(skill, "what is sciatica", ("what is sciatica my leg is weak",))
    reply = spoken(skill, "no what is a herniated disc", state=asked.state)
    assert reply.escalation == "none" and reply.intent == "herniated_disc"


def test_say_that_again_repeats_the_question(skill: Skill) -> None:
    asked = spoken(skill, "what is sciatica", ("what is sciatica my leg is weak",))
    again = spoken(skill, "say that again", state=asked.state)
    assert again.text == asked.text and again.state.confirming is not None
    assert spoken(skill, "no", state=again.state).intent == "sciatica"


def test_the_reply_words() -> None:
    assert confirm_answer(["i", "did"]) == "yes"
    assert confirm_answer(["i", "did", "not"]) == "no"
    assert confirm_answer(["know"]) == "no"
    assert confirm_answer(["tell", "me", "about", "sciatica"]) is None


def test_chat_never_asks(skill: Skill) -> None:
    """Typed text is what the person meant: its red flags escalate at once."""
    reply = skill.respond(Conversation(), "why is my leg weak", 0.0)
    assert reply.confirm is None and reply.escalation == "urgent"


# --- one-shot ask ------------------------------------------------------------------------------


def test_ask_json_carries_the_confirmation_and_the_escalation_a_yes_gets(skill: Skill) -> None:
    asked = spoken(skill, "why is my calf twitching", ("why is my calf weak",))
    record = reply_record("audio.wav", asked)
    assert record["confirm"] == {"question": "Did you mention weakness?", "level": "urgent",
                                 "rule": "weakness"}
    assert record["escalation"] == "urgent" and record["red_flags"] == ["weakness"]
    assert record["answer"].startswith("You mentioned weakness.")
    assert record["safety_check"] is None
    assert format_one_shot(asked).startswith("[CONFIRM] Did you mention weakness? [URGENT]")


def test_typed_ask_has_no_confirmation(skill: Skill) -> None:
    out = io.StringIO()
    run_ask(skill, ["my calf twitches all day"], True, out, io.StringIO())
    assert json.loads(out.getvalue())["confirm"] is None


# --- content ------------------------------------------------------------------------------------


def test_every_rule_can_be_asked_back_in_a_short_question(content: Content) -> None:
    for rule in content.rules:
        question = content.messages.red_flag_confirm.format(what=rule.asked_as)
        assert question.endswith("?") and len(question.split()) <= 13, rule.id


def test_a_long_about_without_confirm_is_named_with_its_line(tiny_dialogs: Path) -> None:
    red_flags = tiny_dialogs / "red_flags.yaml"
    text = red_flags.read_text(encoding="utf-8")
    text = text.replace("    confirm: a leg that suddenly will not move\n", "")
    red_flags.write_text(text, encoding="utf-8")
    line = text[:text.index("about: a leg that suddenly")].count("\n") + 1
    with pytest.raises(ContentError, match=rf"red_flags\.yaml:{line}: about has 11 words.*"
                                           "add a shorter 'confirm'"):
        load_content(tiny_dialogs)


def test_a_confirm_that_is_no_text_is_named_with_its_line(tiny_dialogs: Path) -> None:
    red_flags = tiny_dialogs / "red_flags.yaml"
    text = red_flags.read_text(encoding="utf-8").replace(
        "    confirm: a leg that suddenly will not move\n", "    confirm: [a, leg]\n")
    red_flags.write_text(text, encoding="utf-8")
    line = text[:text.index("confirm: [a, leg]")].count("\n") + 1
    with pytest.raises(ContentError, match=rf"red_flags\.yaml:{line}: confirm must be text"):
        load_content(tiny_dialogs)


# --- the voice session: asked by voice, the reply heard without the wake phrase ---------------


class DoubtfulRecognizer:
    """Hears the next line of its script in each utterance, with next-best readings given per
    line (a fake at the recogniser's edge; the real one is in test_confirm_speech.py)."""

    description = "scripted, with alternatives"

    def __init__(self, script: list[tuple[str, tuple[str, ...]]]) -> None:
        self.script = list(script)

    def accept(self, pcm: bytes) -> str:
        return ""

    def finish(self):  # type: ignore[no-untyped-def]
        from voice_skill.asr.base import Transcript

        text, alternatives = self.script.pop(0) if self.script else ("", ())
        return Transcript(text, heard(text), 1.0, "fake", alternatives)

    def reset(self) -> None:
        pass


def converse(skill: Skill, script: list[tuple[str, tuple[str, ...]]], audio: bytes,
             live: bool = False, **voice_settings: object):  # type: ignore[no-untyped-def]
    from test_session import RecordingVoice, ScriptedWake, chunks, settings_with

    from voice_skill.voice.app import build_session

    events: list = []
    voice = RecordingVoice()
    settings = settings_with(**voice_settings)
    session = build_session(skill, DoubtfulRecognizer(script), voice, settings,
                            [events.append], wake=ScriptedWake([]), live=live)
    session.begin()
    for chunk in chunks(audio):
        session.feed(chunk)
    session.finish()
    return [text for text, _, _ in voice.said][1:], events  # after the opening


QUESTION = ("hey computer what is sciatica", ("hey computer what is sciatica my leg is weak",))


@pytest.mark.parametrize("answer, escalation", [("yes", "urgent"), ("no", "none")])
def test_the_session_asks_and_hears_the_reply_without_the_wake_phrase(
        skill: Skill, answer: str, escalation: str) -> None:
    from test_session import burst, silence

    from voice_skill.voice.events import Answered

    audio = silence(1) + burst() + silence(1.5) + burst(0.5) + silence(2)
    said, events = converse(skill, [QUESTION, (answer, ())], audio, start="wake",
                            follow_up=4.0)
    assert said[0] == "Did you mention weakness?"
    replies = [e.reply for e in events if isinstance(e, Answered)]
    assert [r.escalation for r in replies] == ["none", escalation]
    assert said[1] == replies[1].text


@pytest.mark.parametrize("live", [False, True])
def test_the_session_escalates_when_the_question_gets_no_reply(skill: Skill, live: bool) -> None:
    """Live too, where the echo guard follows the question: the escalation comes before the
    follow-up window closes."""
    from test_session import burst, silence

    from voice_skill.voice.events import Answered

    said, events = converse(skill, [QUESTION], silence(1) + burst() + silence(6), live,
                            start="wake", follow_up=3.0)
    assert said[0] == "Did you mention weakness?"
    assert said[1].startswith("You mentioned weakness.")
    late = [e for e in events if isinstance(e, Answered)][-1]
    assert (late.question, late.reply.escalation) == ("", "urgent")
