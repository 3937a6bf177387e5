"""Red flags as tables of phrasings: the shipped rule examples, and our own per rule.

Our own phrasings are paraphrases, recogniser slips, near misses and negations written for
these tests. A phrasing the skill gets wrong today is marked xfail(strict) with the reason, so
it turns into a failure the day it is fixed and the mark must go.
"""

from __future__ import annotations

import pytest
from conftest import SHIPPED_DIALOGS

from voice_skill.content.loader import LEVELS, Content, load_content
from voice_skill.nlu.dialog import Conversation, Skill
from voice_skill.nlu.safety import (
    assess,
    escalation_advice,
    restore_lost_negation,
    unfront_negation,
)
from voice_skill.nlu.slips import word_matches
from voice_skill.settings import SafetySettings, Settings

SHIPPED = load_content(SHIPPED_DIALOGS)


def miss(reason: str) -> pytest.MarkDecorator:
    """A phrasing the skill gets wrong today (reported, proposed fix in the reason)."""
    return pytest.mark.xfail(strict=True, reason=reason)


def judge(text: str, content: Content = SHIPPED, spoken: bool = False):
    return assess(text, content.rules, spoken, content.cues)


def fired(text: str, content: Content = SHIPPED) -> set[str]:
    return {hit.rule.id for hit in judge(text, content).hits}


def level(text: str, content: Content = SHIPPED) -> str:
    return judge(text, content).level


# --- the shipped examples ------------------------------------------------------------------

SHIPPED_ESCALATE = [pytest.param(rule, example, id=f"{rule.id}: {example}")
                    for rule in SHIPPED.rules for example in rule.escalate_examples]
SHIPPED_CALM = [pytest.param(rule, example, id=f"{rule.id}: {example}")
                for rule in SHIPPED.rules for example in rule.calm_examples]


def test_every_rule_has_examples_both_ways() -> None:
    lacking = [r.id for r in SHIPPED.rules if not r.escalate_examples or not r.calm_examples]
    assert lacking == []


@pytest.mark.parametrize("rule, example", SHIPPED_ESCALATE)
def test_shipped_escalate_example_fires_its_rule(rule, example: str) -> None:
    assert rule.id in fired(example)
    assert LEVELS.index(level(example)) >= LEVELS.index(rule.level)


@pytest.mark.parametrize("rule, example", SHIPPED_CALM)
def test_shipped_calm_example_does_not_fire_its_rule(rule, example: str) -> None:
    assert rule.id not in fired(example)


# --- our own phrasings, per rule -----------------------------------------------------------

ESCALATE = {
    "bladder_bowel_control": [
        "I suddenly can't hold my urine",
        "I peed myself without noticing",
        "I've lost control of my bowel movements",
        "since yesterday I am incontinent",
    ],
    "urine_retention": [
        "I can't pass water and my lower back is agony",
        "I have not peed for a whole day",
    ],
    "unresponsive": ["my husband is not responding to me", "I cannot wake my mother"],
    "sudden_confusion": ["out of nowhere my mother does not know who I am",
                         "my husband was fine this morning and now he is not making sense"],
    "saddle_numbness": [
        "my private parts feel numb",
        "there's tingling in my saddle region",
        "it's numb around my anus",
    ],
    "sudden_severe_weakness": [
        "my leg is paralyzed",
        "all of a sudden I cannot lift my foot",
        "my leg suddenly went weak and I collapsed",
    ],
    "both_legs": [
        "both of my legs are weak",
        "sciatica down both legs",
        pytest.param("my legs are both going numb"),
    ],
    "clot_with_breathing": [
        "my calf is swollen and I'm short of breath",
        "my leg hurts and I passed out",
        "my calf is swollen and I'm breathless",
        pytest.param("my calf is swollen and I can't breathe"),
        pytest.param("my leg is swollen and I can't catch my breath"),
        pytest.param("my calf aches and I blacked out earlier"),
    ],
    "chest_pain_or_coughing_blood": [
        "I coughed up blood this morning",
        "chest pain",
        "my chest hurts and my calf twitches",
        pytest.param("I have pains in my chest"),
    ],
    "fainting": [
        "I blacked out for a minute",
        "she fainted after the twitching started",
    ],
    "breathing_trouble": [
        "I suddenly can't breathe",
        "she is gasping for air",
        "I have had shortness of breath since this morning",
    ],
    "seizure": [
        "he is having convulsions",
        "my daughter had a seizure last night",
    ],
    "stroke_signs": [
        "the left side of my face is drooping",
        "my words come out wrong suddenly",
    ],
    "weakness": [
        "my leg gave out",
        "week ness in my leg",
        "weekness in my calf",
        "my calf feels weak ness",
        "my leg feels week",
        "my calf is getting weaker",
        "my calf is getting weeker",
        "WEAK LEG",
        "my knee gives way on the stairs",
        "my toes catch on the stairs",
        "I keep tripping over my own feet",
        "I can't push off with my right foot",
        "I have weakness in my leg, should I worry?",
        "is it normal that my leg is weak?",
        "I'm not sure, but my leg feels weak",
        "my leg is not numb, but it's weak",
        "my leg is not weak but it gave out yesterday",
        pytest.param("my foot is dragging"),
        pytest.param("I can't stand on my tiptoes"),
    ],
    "spreading": [
        "the twitching moved to my arms",
        "it's spread to my tongue",
        "now my whole body is twitching",
    ],
    "muscle_wasting": [
        "my calf muscle is wasting away",
        "my right calf is smaller than my left",
        "my calf has atrophied",
    ],
    "possible_clot": [
        "my calf is swollen and red",
        "my calf is hot and tender",
        "my leg is red and swollen since yesterday",
        "no chest pain, but my calf is hot and swollen",
        "no chest pain but my calf is hot and swollen",
        "my calf is hot and swollen, no chest pain",
        "No, I don't feel weak, but my calf is hot and swollen",
    ],
    "swallowing_or_speaking": [
        "I find it hard to swallow",
        pytest.param("food keeps getting stuck when I swallow"),
    ],
    "numbness": [
        "my toes are numb",
        "not spreading but my foot is numb",
        pytest.param("my shin has no feeling"),
    ],
    "long_cramp": [
        "my cramp has lasted twenty minutes",
        "the cramp won't go away even with stretching",
    ],
    "cramp_after_fluid_loss_or_wound": [
        "I had diarrhoea and now I have cramps",
        "I cut my hand on a rusty nail and my jaw is stiff",
    ],
    "persistent_twitching": [
        "my calf has been twitching for 3 weeks",
        "it's been twitching non stop for months",
    ],
    "medication_started": [
        "my calf twitches since I started new medication",
        "the cramps started with my statins",
    ],
    "cramps_severe_or_sleep": [
        "the cramps wake me up at night",
        "these cramps are agony",
    ],
    "claudication": [
        "my calf aches when I walk and gets better when I rest",
    ],
    "als_family_history": [
        "my son was told last month that he has A L S",
        "my brother died of A L S",
    ],
}

CALM = {
    "bladder_bowel_control": [
        "peeing is normal",
        "my bowels are fine and peeing is normal",
        "I have no trouble controlling my bladder",
        "I haven't lost control of my bladder",
    ],
    "unresponsive": ["the laptop is not responding", "she is awake and talking"],
    "sudden_confusion": ["these instructions are not making sense", "I was confused by the dose"],
    "urine_retention": [
        "peeing is normal and my back is fine",
        "I can't pee in public toilets",
    ],
    "saddle_numbness": ["no tingling between my legs"],
    "sudden_severe_weakness": ["I have no trouble walking"],
    "both_legs": ["I have sciatica in my left leg only"],
    "clot_with_breathing": ["my leg is swollen, no shortness of breath"],
    "chest_pain_or_coughing_blood": ["I don't have chest pain"],
    "breathing_trouble": ["my breathing is normal", "I run until I'm out of breath"],
    "fainting": ["no fainting or dizziness", "I feel a faint flutter in my leg"],
    "seizure": ["I've never had convulsions"],
    "stroke_signs": ["no drooping face and no slurred speech"],
    "weakness": [
        "no weakness",
        "I'm not weak at all",
        "I have never been weak",
        "I don't have any weakness or numbness",
        "neither weakness nor numbness",
        "my calf twitches after running, no weakness",
        "I'm not tripping or stumbling",
        "I can walk on my toes without problems",
        "it started a week ago",
        "when should I worry about weakness?",
        "can weakness be a sign of ALS",
        "is weakness a symptom of MS",
        "what does foot drop mean",
        "I read an article about muscle weakness",
    ],
    "spreading": [
        "it's not spreading",
        "the twitches haven't spread",
        "the twitching has not moved to other muscles",
    ],
    "muscle_wasting": ["my calves are the same size as always, not shrinking"],
    "possible_clot": [
        "my calf is not hot or swollen",
        "there is no swelling in my calf",
        "I took a hot bath for my calf",
        "I had red meat for dinner",
    ],
    "swallowing_or_speaking": ["swallowing is normal"],
    "numbness": ["no numbness anywhere", "no tingling or numbness anywhere"],
    "long_cramp": ["a cramp that lasted a minute"],
    "cramp_after_fluid_loss_or_wound": ["my cramps come after a long run"],
    "persistent_twitching": ["it twitched for a couple of minutes"],
    "medication_started": ["does any medicine stop twitching"],
    "cramps_severe_or_sleep": ["a mild cramp now and then"],
    "claudication": ["I rest after my walk"],
    # The source's close relatives are a parent, sibling or child.
    "als_family_history": ["my friend has ALS", "my grandfather had Lou Gehrig's disease",
                           "my uncle died of A L S"],
}


def _table(table: dict[str, list]) -> list:
    """One pytest param per (rule, phrasing), keeping any xfail mark and naming both."""
    params = []
    for rule_id, phrasings in table.items():
        for item in phrasings:
            text, marks = (item.values[0], item.marks) if hasattr(item, "values") else (item, ())
            params.append(pytest.param(rule_id, text, marks=marks, id=f"{rule_id}: {text}"))
    return params


def test_our_tables_name_real_rules_and_cover_every_rule() -> None:
    rule_ids = {rule.id for rule in SHIPPED.rules}
    assert set(ESCALATE) == rule_ids
    assert set(CALM) == rule_ids


@pytest.mark.parametrize("rule_id, text", _table(ESCALATE))
def test_phrasing_fires_rule(rule_id: str, text: str) -> None:
    rule = next(r for r in SHIPPED.rules if r.id == rule_id)
    assert rule_id in fired(text)
    assert LEVELS.index(level(text)) >= LEVELS.index(rule.level)


@pytest.mark.parametrize("rule_id, text", _table(CALM))
def test_phrasing_does_not_fire_rule(rule_id: str, text: str) -> None:
    assert rule_id not in fired(text)


# --- what the issue spells out -------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "no weakness", "it's not spreading", "peeing is normal", "my legs are fine",
    "no weakness, no numbness, no bladder problems",
    "my calf is not swollen, not red and not hot",
])
def test_negations_do_not_escalate(text: str) -> None:
    assert level(text) == "none"


def test_a_negated_flag_does_not_cancel_another() -> None:
    assessment = judge("no chest pain, but my calf is hot and swollen")
    assert assessment.level == "urgent"
    assert [hit.rule.id for hit in assessment.hits] == ["possible_clot"]


def test_negating_two_flags_keeps_the_third() -> None:
    text = "my calf twitches, it's not spreading and there's no weakness, " \
           "but I can't control my bladder"
    assert fired(text) == {"bladder_bowel_control"}
    assert level(text) == "emergency"


def test_highest_level_wins() -> None:
    assessment = judge("my leg is weak and I can't control my bladder")
    assert assessment.level == "emergency"
    assert [hit.rule.level for hit in assessment.hits] == ["emergency", "urgent"]
    assert {hit.rule.id for hit in assessment.hits} == {"bladder_bowel_control", "weakness"}


def test_routine_and_urgent_together_are_urgent() -> None:
    assert level("my calf has twitched for weeks and now my foot is numb") == "urgent"


@pytest.mark.parametrize("question", [
    "when should I worry about weakness?",
    "can weakness be a sign of ALS",
    "does a swollen calf mean a blood clot",
    "is numbness serious",
])
def test_a_question_about_red_flags_is_not_a_report(question: str) -> None:
    assessment = judge(question)
    assert (assessment.level, assessment.hits, assessment.about_question) == ("none", (), True)


@pytest.mark.parametrize(("reading", "typed", "spoken"), [
    # A recogniser's first words are its weakest: "I just had a seizure" was heard like this.
    ("why does had a seizure", "none", "emergency"),
    ("can a magnesium deficiency cause seizures", "none", "emergency"),
    # Below emergency, a spoken general question is still a question.
    ("can low vitamin d cause muscle weakness", "none", "none"),
    ("what if the twitching will not stop", "none", "none"),
    # A report is a report either way.
    ("i just had a seizure", "emergency", "emergency"),
])
def test_spoken_emergencies_are_never_explained_away_as_questions(reading: str, typed: str,
                                                                 spoken: str) -> None:
    assert judge(reading).level == typed
    assert judge(reading, spoken=True).level == spoken


@pytest.mark.parametrize(("clause", "restored"), [
    # Heard for "I suddenly can't move my leg at all": "at all" needs a negation.
    ("i suddenly can move my legs at all", "i suddenly can not move my legs at all"),
    ("my leg i could feel it at all", "my leg i could not feel it at all"),
    # flite's "I can't feel anything between my legs", heard by pocketsphinx.
    ("i can feel anything between my legs", "i can not feel anything between my legs"),
    ("i can walk anymore", "i can not walk anymore"),
    # Questions license "at all" without a negation.
    ("can i move my leg at all", None),
    ("how can i stretch at all", None),
    # Already negative, or no "at all": nothing to restore.
    ("i can not move it at all", None),
    ("i could feel nothing at all", None),
    ("i can move my leg fine", None),
    ("at all", None),
    ("", None),
])
def test_a_can_that_only_makes_sense_as_cant_is_restored(clause: str, restored: str | None) -> None:
    words = clause.split()
    assert restore_lost_negation(words) == (restored.split() if restored else words)


@pytest.mark.parametrize("clause, unfronted", [
    ("not once have i lost control", "i have not once lost control"),
    ("never have i fainted", "i have never fainted"),
    ("at no point did she stop breathing", "she did not stop breathing"),
    ("never mind", None),  # no verb and subject after it
    ("not once a week", None),
])
def test_a_negation_put_first_goes_back_before_its_verb(clause: str, unfronted: str | None) -> None:
    words = clause.split()
    assert unfront_negation(words) == (unfronted.split() if unfronted else words)


def test_only_spoken_text_has_its_lost_negations_restored() -> None:
    heard = "i suddenly can move my leg at all"
    assert judge(heard).level == "none"
    assert judge(heard, spoken=True).level == "emergency"
    assert judge("i can move my leg fine", spoken=True).level == "none"
    assert judge("i can feel anything between my legs", spoken=True).level \
        == "emergency"


def test_the_skill_passes_on_that_the_words_were_spoken(skill: Skill) -> None:
    typed = skill.respond(Conversation(), "why does had a seizure")
    spoken = skill.respond(Conversation(), "why does had a seizure", spoken=True)
    assert (typed.escalation, spoken.escalation) == ("none", "emergency")


@pytest.mark.parametrize("question, intent", [
    ("when should I worry about weakness?", "when_to_worry"),
    ("can weakness be a sign of ALS", "als"),
])
def test_a_question_about_red_flags_answers_the_faq(skill: Skill, question: str,
                                                    intent: str) -> None:
    reply = skill.respond(Conversation(), question)
    assert (reply.escalation, reply.intent, reply.decision.outcome) == ("none", intent, "answer")
    assert reply.text.startswith(skill.content.dialog(intent).answer)


def test_an_escalation_wins_over_an_answer(skill: Skill) -> None:
    reply = skill.respond(Conversation(), "why is my calf twitching? my leg is weak too")
    assert reply.decision.outcome == "escalate"
    assert reply.escalation == "urgent"
    assert reply.text.startswith("You mentioned weakness.")
    assert skill.content.level_advice["urgent"] in reply.text


def test_rule_advice_follows_the_level_advice(skill: Skill) -> None:
    reply = skill.respond(Conversation(), "I started new pills and now my calf twitches")
    assert reply.escalation == "routine"
    assert reply.text.index(skill.content.level_advice["routine"]) < reply.text.index(
        "Do not stop a prescribed medicine")


def test_emergency_advice_says_the_default_number(skill: Skill) -> None:
    reply = skill.respond(Conversation(), "my son just had a seizure")
    assert reply.escalation == "emergency"
    assert "call 911 or your local emergency number now" in reply.text
    assert "{emergency_number}" not in reply.text


def test_emergency_number_comes_from_settings(content: Content) -> None:
    settings = Settings(safety=SafetySettings(emergency_number="112"))
    reply = Skill(content, settings).respond(Conversation(), "my son just had a seizure")
    assert "call 112 now" in reply.text
    assert "911" not in reply.text


def test_escalation_advice_is_empty_without_hits(content: Content) -> None:
    assert escalation_advice(assess("hello", content.rules), content, "112") == ""


# --- the matching primitive ----------------------------------------------------------------


@pytest.mark.parametrize("token, pattern_word, expected", [
    ("weakness", "weak*", True),
    ("weak", "weak*", True),
    ("wea", "weak*", False),
    ("paralysed", "paralysed", True),
    ("paralised", "paralysed", True),  # one slip in a long word
    ("paralysis", "paralysed", False),  # two letters differ
    ("numb", "numb", True),
    ("numm", "numb", False),  # short words must match exactly
    ("aralysed", "paralysed", False),  # the first letter must agree
])
def test_word_matches(token: str, pattern_word: str, expected: bool) -> None:
    assert word_matches(token, pattern_word) is expected


# --- what a mention asserts, and whose it is (assertion.yaml) -------------------------------
# Our own phrasings per class; none is copied from the held-out sets in tests/data/.

SET_ASIDE = {
    "figurative": [
        "the comedian had us convulsing in our seats with laughter",
        "I nearly had a fit at the garage when they gave me the bill",
        "word of the new clinic spread through the village",
        "the phone signal goes weak in the kitchen",
        "that news was really hard to swallow",
        "we were laughing so hard I wet myself",
        "her face fell when she heard she had failed",
    ],
    "hearsay": [
        "my sister-in-law says cramps can spread up the leg",
        "I read that weakness in both legs is a warning sign",
        "a friend reckons numbness means nerve damage",
        "according to the pharmacist a swollen calf is worth checking",
    ],
    "hypothetical": [
        "what would happen if the twitching spread to my arms",
        "how would I know if my calf was swollen from a clot",
        "I'm worried I will lose control of my bladder one day",
        "is it serious if a cramp lasts an hour",
        "can a trapped nerve cause weakness in the foot",
        # Someone in general after the "if" is no new subject: still imagined.
        "what would I do if I found somebody who can't breathe",
        # An answer that doubts, or whose verb goes on, confirms nothing.
        "could a swollen calf be a clot? I don't think mine is",
        "can twitching turn into weakness in the legs? Mine is just a flicker",
        "what if my leg gives way? Whatever it is, I'd like to be ready",
        "could a slipped disc make you lose bladder control? My uncle did, in 2009",
    ],
    "past": [
        "I fainted once at school when I was about twelve",
        "my calf swelled up with a clot years ago, no problems since",
        "as a teenager I had a seizure from a high fever",
        "my foot went numb after an operation in 2012 but it cleared up",
    ],
}
STILL_REPORTED = [
    # Each sits beside one of the cues above, but reports a symptom now.
    ("I had a clot years ago and now my calf is hot and swollen again", "urgent"),
    ("I fainted in the shower this morning, I feel fine now", "urgent"),
    ("my husband says my speech sounds slurred tonight", "emergency"),
    ("I read about clots and my own calf is red and swollen", "urgent"),
    ("what should I do, my leg suddenly won't move", "emergency"),
    ("I laughed at first but now I really can't feel my legs", "emergency"),
    ("my legs are weak after the coffee I had", "urgent"),
    # A thing in the clause before is not the symptom's thing ("the floor, went rigid").
    ("he slid off the chair onto the floor, went stiff and his arms are jerking", "emergency"),
    # Saying as what someone can still do is no hearsay.
    ("I can only say a word at a time and my lips are going blue", "emergency"),
    # "Not ... once" is not even once, no time gone by.
    ("I have not passed water once since yesterday and my tummy is swollen", "emergency"),
    # A first time is a new one, though it passed.
    ("I blacked out in the garden, I'm fine now but it has never happened before", "urgent"),
    # Asked or imagined, then confirmed in a later clause: a report after all.
    ("what should I do if I can't feel my legs? Because I can't, since lunch", "emergency"),
    ("is a hot swollen calf a worry? Mine is, the right one", "urgent"),
    ("say someone's lips went blue, what then? That's my son, right now", "emergency"),
    ("I had a fit as a teenager and I think I've just had another one", "emergency"),
    # A confirmation whose own subject follows the hearsay cue is the speaker's.
    ("I read that chest pain with breathlessness is serious, and I have both", "emergency"),
    ("should I worry if I can't pee? I haven't been since last night", "emergency"),
    # A time after a negated verb is how long it has gone on.
    ("my cramp won't go after two hours of stretching", "urgent"),
    # A resolving word negated is not resolved.
    ("a clot two years ago and my calf is swollen and hasn't settled", "urgent"),
]


@pytest.mark.parametrize("why, text", [pytest.param(why, text, id=f"{why}: {text}")
                                       for why, texts in SET_ASIDE.items() for text in texts])
def test_a_symptom_word_not_reported_as_happening_now_does_not_escalate(why: str,
                                                                        text: str) -> None:
    assessment = judge(text)
    assert assessment.level == "none"
    assert why in {aside.why for aside in assessment.set_aside}


@pytest.mark.parametrize("text, expected", STILL_REPORTED)
def test_a_report_beside_a_cue_still_escalates(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, rule_id", [
    ("my grandad's mouth is drooping on one side", "stroke_signs"),
    ("my wife can't get her words out and her arm is weak", "stroke_signs"),
    ("our son fell down and was jerking all over", "seizure"),
    ("my mum keeps dropping her cup and her grip is going", "weakness"),
])
def test_someone_elses_symptom_escalates_as_theirs(text: str, rule_id: str) -> None:
    assessment = judge(text)
    assert rule_id in {hit.rule.id for hit in assessment.hits}
    assert assessment.about_someone_else


@pytest.mark.parametrize("text", [
    # Nobody is named before the sign: whose the message is as a whole decides.
    "Both his legs have gone weak since this morning, I'm having to hold him up",
    # The speaker's "I" inside another's name is part of that name.
    "The lady I care for has wet herself twice today and did not notice",
])
def test_someone_elses_symptom_when_no_one_is_named_just_before_it(text: str) -> None:
    assessment = judge(text)
    assert assessment.level != "none"
    assert assessment.about_someone_else


def test_the_speakers_own_symptom_is_theirs_even_when_someone_else_noticed() -> None:
    assessment = judge("my daughter noticed my face is drooping on one side")
    assert assessment.level == "emergency"
    assert not assessment.about_someone_else


def test_advice_for_someone_else_says_so(skill: Skill) -> None:
    reply = skill.respond(Conversation(), "my dad's face has gone lopsided and he is slurring")
    assert reply.escalation == "emergency"
    assert reply.text.startswith("You mentioned signs of a stroke.")
    assert "If this is happening to someone with you" in reply.text
    assert "call 911 or your local emergency number now" in reply.text


def test_the_spoken_reason_names_what_was_heard(skill: Skill) -> None:
    reply = skill.respond(Conversation(), "my brother collapsed and shook all over, jerking")
    assert reply.escalation == "emergency"
    assert reply.text.startswith("You mentioned a seizure")


@pytest.mark.parametrize("text, expected", [
    ("my father died of motor neurone disease", "routine"),
    ("my sister was diagnosed with ALS years ago", "routine"),
    ("my great uncle had ALS", "none"),
    ("my wife's mother has motor neurone disease", "none"),
    ("my cousin's daughter has MND", "none"),
])
def test_family_history_counts_for_parents_siblings_and_children_only(text: str,
                                                                      expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("there is weekness in my left leg", "urgent"),
    ("I have numbnes in my toes", "urgent"),
    ("I cant controll my bladder", "emergency"),
    ("he is having a siezure", "emergency"),
    ("my calf is swolen and red", "urgent"),
    ("since two week my leg is paining and my foot is dragging", "urgent"),
    # English words one letter from a symptom word are never taken for it.
    ("I fell off a ladder last year", "none"),
    ("the water is shallow here", "none"),
])
def test_typed_slips_are_read_as_the_symptom_word(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("token, meant, expected", [
    ("bladdar", "bladder", True),
    ("numbess", "numbness", True),
    ("brething", "breathing", True),
    ("ladder", "bladder", False),   # an English word
    ("chess", "chest", False),      # an English word, and too short for a slip
    ("twich", "twitch*", True),     # a prefix one letter short
])
def test_word_matches_typed_slips(token: str, meant: str, expected: bool) -> None:
    assert word_matches(token, meant) is expected


@pytest.mark.parametrize("text, expected", [
    # A negation reaches over commas into bare list items, not into a clause of its own.
    ("my ankle isn't puffy, red or warm, it just aches after football", "none"),
    ("he denies chest pain, coughing blood or trouble breathing", "none"),
    ("I've no temperature, my calf is swollen and red", "urgent"),
    ("she can't stand, both her legs are giving way", "emergency"),
])
def test_negation_across_a_list_stops_at_a_clause_of_its_own(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    # A negation reaches over "and" into a list of symptoms, not into a new phrase or clause
    # that carries its own symptom after a negated verb that is none.
    ("indigestion that won't go and pain in my left arm and jaw", "emergency"),
    ("it won't stop and my leg is numb", "urgent"),
    ("the twitching won't go away and my face is drooping", "emergency"),
    ("the cramp won't stop and crushing pain in my chest", "emergency"),
    ("I haven't got a fever and my calf is hot and swollen", "urgent"),
    ("no pain and no swelling", "none"),
    ("no pain and swelling in my calf", "none"),
    ("my calf isn't red and swollen", "none"),
    ("no numbness and weakness in my legs", "none"),
    ("the twitch won't go and no weakness or numbness", "none"),
])
def test_negation_across_and_stops_at_a_phrase_of_its_own(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    # A report phrased as a question still escalates; a question about anyone in general
    # does not. "why can't my wife lift ..." is read as "why my wife can't lift ...".
    ("why can't my wife lift her left arm since lunch?", "emergency"),
    ("why can't I pee even though I'm bursting?", "emergency"),
    ("why did I pass out at the bus stop this morning?", "urgent"),
    ("why would someone's speech become slurred?", "none"),
    ("why does somebody pass out in a hot bath?", "none"),
    ("I'm making a poster. What are the signs that someone is having a stroke?", "none"),
    ("can a clot in the leg cause breathlessness?", "none"),
])
def test_a_report_asked_as_a_question_is_a_report(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    # Of several sentences, a general question is a question even when another has an "I".
    ("Does a seizure always mean epilepsy? I want to understand my nephew's diagnosis.", "none"),
    ("Why is my calf twitching? Also I can't control my bladder since this morning.",
     "emergency"),
])
def test_a_general_question_among_several_sentences(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    # Someone present relaying what they feel is a report, not hearsay.
    ("the patient says his legs have both gone numb", "emergency"),
    ("she says her face feels numb on one side", "emergency"),
    ("my neighbour told me her cousin coughed up blood", "none"),
    ("my uncle says tingling in both feet is normal at his age", "none"),
])
def test_a_report_relayed_by_someone_present_is_not_hearsay(text: str, expected: str) -> None:
    assert level(text) == expected


# --- mechanisms of the fifteenth round ---------------------------------------------------

def test_a_possessive_or_reflexive_in_a_phrase_matches_anyone_s() -> None:
    from voice_skill.content.loader import Term, for_anyone
    group = for_anyone((Term(("can't", "get", "my", "breath")), Term(("haul*", "myself")),
                        Term(("my",))))
    words = {t.words for t in group}
    assert ("can't", "get", "her", "breath") in words
    assert ("can't", "get", "their", "breath") in words
    assert ("haul*", "himself") in words
    assert ("his",) not in words  # a lone "my" is a speaker cue's job, not a phrase's


@pytest.mark.parametrize("text", [
    "she can't get her breath and her calf is swollen",
    "the carers say he keeps dragging his right foot",
])
def test_someone_else_s_sign_in_a_phrase_written_with_my(text: str) -> None:
    assert level(text) != "none"


def test_a_family_history_rule_keeps_whose_relative() -> None:
    assert "als_family_history" in fired("my dad has ALS")
    assert "als_family_history" not in fired("my friend's dad has ALS")


def test_a_contrast_word_inside_a_phrase_does_not_split_it() -> None:
    assert "spreading" in fired("the twitching was only in my calf, now it is in my arms")


@pytest.mark.parametrize("text, expected", [
    ("the twitching started two years ago and never stops", "routine"),
    ("my calf has twitched constantly since it began a few years back", "routine"),
    ("I had a clot years ago", "none"),
])
def test_started_before_a_past_time_says_since_when(text: str, expected: str) -> None:
    assert level(text) == expected


def test_a_faint_is_not_explained_away_by_feeling_fine_after() -> None:
    assert "fainting" in fired("I fainted in the queue on Friday and felt fine after")
    assert "fainting" not in fired("I fainted once years ago, never since")
    # For a sign that lasts, well again after it still ends it.
    assert level("I had a tummy bug with cramps last week but all better now") == "none"


def test_a_resolved_cue_may_start_at_the_mention_s_last_word() -> None:
    assert level("my calf was swollen, then the swelling went down after a day") == "none"


def test_a_short_stem_slip_with_a_long_tail_is_another_word() -> None:
    assert word_matches("weeknes", "weak*")
    assert not word_matches("wadenkrampf", "wake*")


@pytest.mark.parametrize("text, expected", [
    ("the sponge collapsed in the oven and then my calf twitched", "none"),
    ("our basil went limp in the sun", "none"),
    ("my son just fell off his chair and wet himself", "emergency"),
    ("pens keep dropping out of my hand", "urgent"),
])
def test_a_thing_as_the_clause_s_subject_is_no_symptom(text: str, expected: str) -> None:
    assert level(text) == expected


def test_an_animal_in_a_likeness_is_no_animal_present() -> None:
    assert level("I eat like a horse. Just coughed up blood") == "emergency"
    assert level("my horse is coughing up blood") == "none"


# --- pronouns, stories, sides, next sentences -----------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # "it" or "they" stands for the symptom named before, with what its own sentence says
    ("My thigh had the flickering first. Now it is in both my hands.", "urgent"),
    ("The doctor said to ring if the twitching moved, and now it's in my tongue", "urgent"),
    ("the cramps went quiet for a year but they've come back and wake me up", "routine"),
    # ... never on the pronoun alone, nor with words of another sentence
    ("My cousin had a seizure years ago. It was frightening.", "none"),
    # ... nor for a symptom denied before it
    ("twitching in my calf, no swelling at all, is it anything to worry about", "none"),
    # "it" as an object is no subject that stands for the symptom
    ("why do dogs twitch in their sleep? my terrier does it all night", "none"),
])
def test_a_pronoun_stands_for_the_symptom_named_before(text: str, expected: str) -> None:
    assert level(text) == expected


def test_what_a_pronoun_fired_names_what_it_stands_for() -> None:
    text = ("The flickering in my calf started after we moved house and I changed jobs in the "
            "spring. It has gone on for six weeks now.")
    hit = judge(text).hits[0]
    assert hit.rule.id == "persistent_twitching" and "it (flickering)" in hit.heard


@pytest.mark.parametrize("text, expected", [
    ("a character in the play I'm reading has a stroke and his face droops", "none"),
    ("in the film she could not breathe and collapsed", "none"),
    ("I was watching a film and my left leg went numb", "urgent"),
])
def test_what_happens_in_a_story_happens_to_no_one_here(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("My ankle swelled after I twisted it. It went down in two days.", "none"),
    ("I said my calf was swollen. I was wrong, it was the sock mark.", "none"),
    # ... but not a cue further on in the next sentence, nor one two sentences on
    ("My calf is hot and swollen. My sister's was a false alarm last year.", "urgent"),
    ("My calf is hot and swollen. I walked. It went down the hill.", "urgent"),
])
def test_an_end_told_at_the_start_of_the_next_sentence(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("cups keep falling out of my left hand", "urgent"),
    ("my right arm and my left leg went numb", "emergency"),
])
def test_a_side_said_after_a_possessive_does_not_hide_a_phrase(text: str, expected: str) -> None:
    assert level(text) == expected


def test_a_typed_question_word_asks_without_a_question_mark() -> None:
    assert level("what does it mean if a calf swells, is that always a clot") == "none"
    # ... and commas without a question word still say what happened
    assert level("went for a run, calf swelled up, it's hot and red") == "urgent"


def test_a_place_after_a_thing_is_where_the_thing_is() -> None:
    assert level("the signal at my mum's house is so weak, anyway calf twitches") == "none"
    assert level("the signal is fine, my leg at the knee is so weak") == "urgent"


def test_a_later_clause_that_turns_to_now_ends_what_was_said() -> None:
    assert level("the nurse said it might spread and now my arms are twitching too") == "urgent"
    assert level("the nurse said twitching can spread to the arms") == "none"


def test_watching_or_reading_is_no_story_of_its_own() -> None:
    # Only a story named as such sets its people aside: the speaker who was watching
    # television when it happened is reporting.
    assert level("I was watching the telly and now I can not breathe") == "emergency"
    assert level("I was reading and suddenly could not see out of one eye") == "emergency"


@pytest.mark.parametrize("text", [
    "we were watching the match and my boyfriend went rigid and is not responding to me",
    "my son collapsed on the pitch in the game and he is not responding",
    "there was a drama at work, my colleague collapsed and is not responding",
])
def test_someone_with_the_speaker_at_a_match_or_show_is_no_story(text: str) -> None:
    assert level(text) == "emergency"


@pytest.mark.parametrize("text, expected", [
    ("I thought my leg had gone weak. Turned out it was my boot lace caught on the chair.",
     "none"),
    ("I thought my arm was weak. Mystery solved, the bag weighed twenty kilos.", "none"),
    # an appraisal alone is a report, and so is what the explanation itself tells
    ("I thought I was having a stroke, my face is drooping on one side", "emergency"),
    ("I thought it was only cramp. Turned out my calf is swollen and hot.", "urgent"),
])
def test_an_appraised_sign_explained_afterwards_is_set_aside(text: str, expected: str) -> None:
    assert level(text) == expected


def test_an_object_of_a_preposition_is_no_thing_as_subject() -> None:
    assert level("popped out for a brew and coughed up blood in the cafe") == "emergency"
    assert level("my phone battery is swelling and hot") == "none"


def test_an_animal_of_the_sentence_before_needs_a_pronoun() -> None:
    assert level("Long walk with the dogs. Right calf hot, red and swollen.") == "urgent"
    assert level("Our old dog is asleep. Earlier he had a fit on the rug.") == "none"


def test_a_cause_in_the_past_does_not_set_aside_the_cramps_it_brought() -> None:
    assert level("I stood on a rusty nail last week and now my calf keeps cramping") == "urgent"
    assert level("I had cramps after cutting my foot on a rusty nail years ago") == "none"


def test_easing_with_rest_is_the_walking_pain_itself() -> None:
    assert level("his calves ache walking to the shops, then he is fine once he sits") == \
        "routine"


@pytest.mark.parametrize("text, expected", [
    ("if the twitching in my calf ever started spreading, how would I know", "none"),
    ("if the ache in my calf spreads to my arms, is that bad", "none"),
    ("if I stand up my leg gives way", "urgent"),
])
def test_an_owner_after_a_preposition_is_the_cue_s_own_subject(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Purely curious, if both my legs went numb would that be an emergency", "none"),
    ("we did a seizure first aid training at work today, does twitching relate", "none"),
    # without such a cue the same words report
    ("both my legs went numb an hour ago", "emergency"),
])
def test_a_sentence_asked_as_a_whole_imagines_whoever_it_names(text: str,
                                                               expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("is it bad that this calf has been hot and swollen since Monday", "urgent"),
    ("is it bad that one calf is thinner than the other now", "urgent"),
    ("is it bad that twitching can spread", "none"),
])
def test_a_question_about_a_fact_it_states_reports_it(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("is this chest pain something to worry about?", "emergency"),
    ("is this numbness in my foot serious", "urgent"),
    ("are these twitches spreading to my arms?", "urgent"),
    ("is chest pain something to worry about?", "none"),
    ("is numbness serious", "none"),
    ("is this normal for someone who runs a lot?", "none"),
])
def test_a_sign_pointed_at_in_a_question_is_the_askers_own(text: str, expected: str) -> None:
    assert level(text) == expected


def test_a_condition_that_says_when_it_happened_tells_it() -> None:
    assert level("would it be a stroke if my right arm went weak and heavy just now") == \
        "emergency"
    assert level("would it be a stroke if my right arm went weak and heavy tonight") == "none"


def test_a_person_inside_a_longer_naming_is_named_once() -> None:
    # "my mum" holds "mum": the condition's own subject, not a new one after it
    assert level("what would it mean if my mum's arm went numb?") == "none"


def test_a_sayer_s_own_side_of_the_body_is_still_theirs() -> None:
    assert level("my grandson says his left foot has felt numb since Sunday") == "urgent"


def test_a_relative_and_the_disease_are_told_together() -> None:
    text = ("My daughter is twelve and her calf flickers after netball three times a week, "
            "then it stops and she is fine, no weakness at all, nothing spreading. Her "
            "great-aunt had MND.")
    assert level(text) == "none"
    assert level("my son was diagnosed with motor neurone disease in his thirties") == "routine"


@pytest.mark.parametrize("text, expected", [
    # in a long message, a duration of another sentence is not the twitching's
    ("I have driven the same bus route for nine years and love the early shifts. My calf "
     "twitched a little after I climbed the ladder to clean the windscreen today.", "none"),
    # a short sentence beside it still adds to it
    ("My calf twitches. Six weeks now.", "routine"),
    ("My calf twitches all the time. This has been going on for six weeks.", "routine"),
])
def test_a_long_story_rule_takes_its_words_from_one_telling(text: str, expected: str) -> None:
    assert level(text) == expected


def test_they_may_stand_for_a_single_symptom() -> None:
    text = "I've had the odd night cramp for years. This month they have been waking me nightly."
    assert level(text) == "routine"


@pytest.mark.parametrize("text, expected", [
    # a general question, then the speaker's own answer: it is happening
    ("Do cramps ever last all morning? Mine is still rock hard.", "urgent"),
    ("Can nerves make you wet yourself without feeling it? It happened this morning.",
     "emergency"),
    # the same question with no answer of one's own stays a question
    ("Do cramps ever last all morning?", "none"),
    # "should I worry that" states what follows; "should I worry about" asks
    ("Should I worry that my foot drags when I walk?", "urgent"),
    ("Should I worry about a foot that drags?", "none"),
])
def test_an_answer_of_ones_own_or_a_stated_fact_is_told(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("I'm due to start statins next month. Will they make my calves cramp?", "none"),
    ("I started statins last month and now my calves twitch.", "routine"),
    ("I wet the bed till I was about six. Could that be linked to twitching?", "none"),
])
def test_a_future_start_or_a_childhood_habit_is_not_happening(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    # a checklist answered no, item by item or in a short sentence after it
    ("Weakness? No. Numbness? No. Just a twitch in my calf.", "none"),
    ("weak arm, no; numb foot, no; only the calf flickers", "none"),
    ("Chest pain: none. It's a cramp after football.", "none"),
    ("Swollen calf? Nothing like that, only the odd jump.", "none"),
    # a "no" that starts words of its own, or a telling too long to be an item, answers nothing
    ("both my legs are numb, no feeling at all", "emergency"),
    ("My legs have gone numb. No idea why.", "emergency"),
    ("He's been trying to wee for hours, nothing at all", "emergency"),
    ("I keep stumbling over nothing", "urgent"),
    ("the twitching is in my arms now, not just the calf", "urgent"),
])
def test_a_sign_answered_no_is_denied(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("I wouldn't call it weakness, more like tired legs after the hike", "none"),
    ("Not a drop of blood when I cough, I checked", "none"),
    ("I don't think it's a seizure thing, he's just shivering", "none"),
    # a denial of something else, in a clause of its own, leaves the sign told
    ("I wouldn't call it normal, my leg has gone weak since lunch", "urgent"),
])
def test_a_saying_that_denies_sets_the_sign_aside(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    # the sayer's own body, and someone else's told after "she said"
    ("my wife says her face has gone droopy on one side", "emergency"),
    ("at work she said his speech went slurred after the op", "none"),
])
def test_a_him_after_she_said_is_someone_else(text: str, expected: str) -> None:
    assert level(text) == expected


@pytest.mark.parametrize("text, expected", [
    # no question mark anywhere: a sentence without commas is judged by its words
    ("long shifts, on my feet for weeks. is twitching normal after standing", "none"),
    # one with commas that drops its "I" still tells
    ("Did a hot yoga class, sweated buckets, now my calves cramp", "urgent"),
])
def test_a_question_typed_without_its_mark(text: str, expected: str) -> None:
    assert level(text) == expected
