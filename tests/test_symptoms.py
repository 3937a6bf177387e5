"""The symptom lexicon (dialogs/symptoms.yaml) and the safety net it drives: tables of
messages that must and must not fire, the sentence the fallback gains, and malformed files."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from conftest import SHIPPED_DIALOGS

from voice_skill.cli.main import main
from voice_skill.content.loader import Content, load_content
from voice_skill.errors import ContentError
from voice_skill.nlu.dialog import Conversation, Skill
from voice_skill.nlu.dialog_tests import symptom_problems
from voice_skill.nlu.symptoms import SymptomLexicon, example_problems
from voice_skill.settings import SafetySettings, Settings

# Written for these tests (not in symptoms.yaml's own examples).
SYMPTOMS = [
    "I've got a weird rash on my elbow",
    "my stomach has been hurting for two days",
    "I feel dizzy when I stand up",
    "my wrist is swollen after I fell",
    "I've been throwing up since breakfast",
    "my daughter has a fever",
    "my ear has been ringing all day",
    "there is a red itchy patch on my arm",
    "I have a really bad cough",
    "my shoulder aches when I lift things",
]
NOT_SYMPTOMS = [
    "how do I bake bread",
    "what's the weather",
    "tell me a joke",
    "set an alarm for seven",
    "who wrote hamlet",
    "my laptop screen is broken",
    "turn the heating up",
    "what's a good film to watch tonight",
]


def shout(skill: Skill, text: str) -> str:
    return skill.respond(Conversation(), text).text


def safety_net(content: Content, number: str = SafetySettings().emergency_number) -> str:
    return content.messages.safety_net.replace("{emergency_number}", number)


# --- the detector --------------------------------------------------------------------------


@pytest.mark.parametrize("text", SYMPTOMS)
def test_a_symptom_fires_the_unplaced_detector(content: Content, text: str) -> None:
    assert content.symptoms.fires("unplaced", text)


@pytest.mark.parametrize("text", NOT_SYMPTOMS)
def test_no_symptom_leaves_it_calm(content: Content, text: str) -> None:
    assert not content.symptoms.fires("unplaced", text)


def test_the_shipped_examples_behave(content: Content) -> None:
    assert example_problems(content.symptoms) == []
    detectors = {d.name: d for d in content.symptoms.detectors}
    assert set(detectors) == {"unplaced", "report"}
    assert all(len(d.fire_examples) >= 5 and len(d.calm_examples) >= 5
               for d in detectors.values())


def test_a_missing_detector_fires_nothing(content: Content) -> None:
    assert not content.symptoms.fires("no_such_detector", "I feel dizzy")


@pytest.mark.parametrize("answer, means", [
    ("my bladder", "bladder"), ("weakness", "weak"), ("numb", "numb"),
    ("it's spreading", "spreading"), ("banana", None)])
def test_a_sign_is_found_by_its_name(content: Content, answer: str, means: str | None) -> None:
    sign = content.symptoms.sign_named(answer)
    if means is None:
        assert sign is None
    else:
        assert sign is not None and means in sign.means


# --- the safety net in the skill's reply ---------------------------------------------------


@pytest.mark.parametrize("text", SYMPTOMS)
def test_an_unplaced_symptom_gets_one_sentence_then_the_fallback(skill: Skill,
                                                                 text: str) -> None:
    reply = skill.respond(Conversation(), text)
    assert (reply.intent, reply.escalation, reply.decision.outcome) == (None, "none", "fallback")
    net = safety_net(skill.content)
    assert reply.text == f"{net} {skill.content.messages.fallback}"
    assert net.count(".") == 1 and net.endswith(".")  # one sentence
    for words in ("doctor or pharmacist", "call 911 or your local emergency number",
                  "weakness on one side", "drooping face", "slurred speech", "chest pain",
                  "seizure"):
        assert words in reply.text


@pytest.mark.parametrize("text", NOT_SYMPTOMS)
def test_out_of_scope_without_a_symptom_gets_the_fallback_alone(skill: Skill,
                                                                text: str) -> None:
    assert shout(skill, text) == skill.content.messages.fallback


def test_the_net_uses_the_emergency_number_setting(content: Content) -> None:
    skill = Skill(content, Settings(safety=SafetySettings(emergency_number="112")))
    text = shout(skill, "my wrist is swollen after I fell")
    assert "call 112 for sudden weakness" in text
    assert "911" not in text and "{" not in text


def test_a_symptom_the_faq_answers_gets_its_answer(skill: Skill) -> None:
    reply = skill.respond(Conversation(), "what causes calf cramps")
    assert reply.intent is not None
    assert safety_net(skill.content) not in reply.text


def test_a_red_flag_gets_its_escalation_not_the_net(skill: Skill) -> None:
    reply = skill.respond(Conversation(), "I have crushing chest pain")
    assert reply.escalation == "emergency"
    assert safety_net(skill.content) not in reply.text


def test_empty_input_gets_no_net(skill: Skill) -> None:
    assert shout(skill, "") == skill.content.messages.fallback


# --- malformed lexicons: one line, file:line, exit 2 ---------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped content, to break."""
    copy = tmp_path / "dialogs"
    shutil.copytree(SHIPPED_DIALOGS, copy, ignore=shutil.ignore_patterns("tests"))
    return copy


def write_lexicon(folder: Path, text: str) -> Path:
    path = folder / "symptoms.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def check(capsys: pytest.CaptureFixture[str], folder: Path) -> tuple[int, str, str]:
    status = main(["check-dialogs", str(folder)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


GOOD = """\
symptoms:
  words:
    body: [elbow, knee*]
    complaint: [sore, hurt*]
    plain: [dizz*]
  unplaced:
    when: [body + complaint, plain]
    examples:
      fire: [my elbow is sore]
      calm: [my elbow is fine]
"""

BROKEN = [
    # (text, line of the error, words in the message)
    (GOOD.replace("body + complaint", "body + complaints"), 7, "unknown word list 'complaints'"),
    (GOOD.replace("  unplaced:", "  unplace:"), 6, "unknown key 'unplace'"),
    (GOOD.replace("[sore, hurt*]", "[sore, 12]"), 4, "must be non-empty text"),
    (GOOD.replace("[sore, hurt*]", "[]"), 4, "list is empty"),
    (GOOD.replace("    when: [body + complaint, plain]\n", ""), 6, "has no 'when'"),
    (GOOD.replace("      fire:", "      fires:"), 9, "unknown key 'fires'"),
    ("symptoms:\n  words: [elbow]\n  unplaced:\n    when: [plain]\n", 2,
     "words must map list names"),
    (GOOD + "  signs:\n    - names: [weak*]\n      means: [my leg is weak]\n", 13,
     "means must be one sentence"),
    (GOOD + "  signs:\n    - names: [weak*]\n", 12, "sign has no 'means'"),
    (GOOD.replace("plain: [dizz*]", "plain: [dizz*"), 6, "malformed YAML"),  # seen a line on
]


@pytest.mark.parametrize("text, line, words", BROKEN)
def test_a_malformed_lexicon_is_one_line_naming_file_and_line(
        capsys: pytest.CaptureFixture[str], folder: Path, text: str, line: int,
        words: str) -> None:
    path = write_lexicon(folder, text)
    status, out, err = check(capsys, folder)
    assert (status, out) == (2, "")
    assert "Traceback" not in err
    (only,) = err.splitlines()
    assert only.startswith(f"voice-skill: {path}:{line}: "), only
    assert words in only


def test_a_good_small_lexicon_loads(folder: Path) -> None:
    write_lexicon(folder, GOOD)
    lexicon = load_content(folder).symptoms
    assert lexicon.fires("unplaced", "my knees hurt") and not lexicon.fires("report", "x")


def test_two_lexicons_are_an_error(folder: Path) -> None:
    (folder / "more_symptoms.yaml").write_text(GOOD, encoding="utf-8")
    shipped = (folder / "symptoms.yaml").read_text(encoding="utf-8").splitlines()
    line = shipped.index("symptoms:") + 1
    with pytest.raises(ContentError, match=rf"/symptoms\.yaml:{line}: a second symptom lexicon "
                                           r"\(the first is at .*more_symptoms\.yaml:1\)"):
        load_content(folder)


def test_an_example_that_misbehaves_fails_the_check(capsys: pytest.CaptureFixture[str],
                                                    folder: Path) -> None:
    path = write_lexicon(folder, GOOD.replace("calm: [my elbow is fine]",
                                              "calm: [my elbow is sore again]"))
    status, _, err = check(capsys, folder)
    assert status == 1
    assert f"{path}:6: unplaced fires on calm example 'my elbow is sore again'" in err


def test_a_sign_that_fires_no_red_flag_fails_the_check(capsys: pytest.CaptureFixture[str],
                                                       folder: Path) -> None:
    path = write_lexicon(folder, GOOD + "  signs:\n    - names: [tired]\n"
                                        "      means: I am a bit tired\n")
    status, _, err = check(capsys, folder)
    assert status == 1
    assert f"{path}:12: sign 'I am a bit tired' fires no red flag" in err


def test_the_shipped_folder_must_have_both_detectors(content: Content) -> None:
    assert symptom_problems(content, required=True) == []
    bare = dataclasses.replace(content, symptoms=SymptomLexicon())
    assert [p.split(": ", 1)[1] for p in symptom_problems(bare, required=True)] == [
        "no symptom detector 'unplaced' (symptoms.yaml)",
        "no symptom detector 'report' (symptoms.yaml)"]
    assert symptom_problems(bare) == []  # another content folder may do without
