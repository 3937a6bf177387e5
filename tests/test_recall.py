"""The learned second opinion on red flags (nlu/recall.py): the shipped model, really loaded
and scored, beside the rules; its training (recall_training.py) on a small table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from voice_skill.asr.base import Word
from voice_skill.config import Settings
from voice_skill.content.loader import LEVELS, load_content
from voice_skill.errors import ContentError
from voice_skill.nlu.dialog import Conversation, Skill
from voice_skill.nlu.normalize import normalize
from voice_skill.nlu.recall import (MIN_WORDS, NONE, SHIPPED_MODEL, RecallModel, features,
                                    load_model)
from voice_skill.nlu.recall_training import (Example, TrainingSettings, digest, read_examples,
                                             save_model, train)

from conftest import SHIPPED_DIALOGS

DATA = Path(__file__).parent / "data"
TUNING_SETS = sorted(DATA.glob("tuning_safety*.jsonl"))

# My own sentence, in no set: an accident not noticed, told without a bladder word the rules
# know. The rules alone let it through; the model reads it as a loss of bladder control.
UNNOTICED_ACCIDENT = ("my grandad cannot make it to the loo in time any more and did not even "
                      "realise he had gone")

# Mine too: twitching for two months, told as a heartbeat and "solid", words no rule has.
TWO_MONTHS_OF_IT = "my calf has been going like a little heartbeat for two months solid"


@pytest.fixture(scope="module")
def content():
    return load_content(SHIPPED_DIALOGS)


@pytest.fixture(scope="module")
def with_model(content) -> Skill:
    return Skill(content, Settings())


@pytest.fixture(scope="module")
def rules_only(content) -> Skill:
    safety = dataclasses.replace(Settings().safety, recall=False)
    return Skill(content, dataclasses.replace(Settings(), safety=safety))


def test_the_shipped_model_was_trained_on_todays_tuning_sets() -> None:
    """A tuning set added or edited without scripts/train_recall.py leaves a stale model."""
    metadata = load_model().metadata
    assert metadata["tuning_sets"] == [p.name for p in TUNING_SETS]
    assert metadata["tuning_digest"] == digest(TUNING_SETS), \
        "tuning sets changed: run scripts/train_recall.py"


def test_the_shipped_models_classes_are_the_contents_rules(content) -> None:
    model = load_model()
    escalating = {r.id for r in content.rules if r.level in ("urgent", "emergency")}
    assert model.classes[0] == NONE
    assert escalating <= set(model.classes)
    by_id = {r.id: r.level for r in content.rules}
    for name, level in zip(model.classes, model.levels):
        assert by_id.get(name, level) == level


def test_a_sign_no_rule_has_is_escalated_and_said_as_a_likelihood(with_model, rules_only):
    assert rules_only.decide(UNNOTICED_ACCIDENT).escalation == "none"
    decision = with_model.decide(UNNOTICED_ACCIDENT)
    assert decision.escalation == "emergency"
    hit = decision.assessment.hits[0]
    assert hit.learned and hit.heard == "" and hit.rule.id == "bladder_bowel_control"
    reply = with_model.respond(Conversation(), UNNOTICED_ACCIDENT)
    assert reply.text.startswith("It sounds like you may be describing a loss of bladder")


def test_the_models_sign_is_whose_the_message_says(with_model) -> None:
    """The model reads no person: the persons the message names say whose sign it is, and the
    advice follows (the grandad's accident is someone else's; the same words of oneself not)."""
    theirs = with_model.respond(Conversation(), UNNOTICED_ACCIDENT)
    assert with_model.decide(UNNOTICED_ACCIDENT).assessment.about_someone_else
    assert "If this is happening to someone with you" in theirs.text
    own = "i cannot make it to the loo in time any more and did not even realise i had gone"
    decision = with_model.decide(own)
    assert decision.assessment.hits[0].learned and not decision.assessment.about_someone_else
    assert "someone with you" not in with_model.respond(Conversation(), own).text


def test_a_routine_sign_no_rule_has_is_escalated_as_routine(with_model, rules_only) -> None:
    assert rules_only.decide(TWO_MONTHS_OF_IT).escalation == "none"
    decision = with_model.decide(TWO_MONTHS_OF_IT)
    assert decision.escalation == "routine"
    assert decision.assessment.hits[0].rule.id == "persistent_twitching"
    assert with_model.respond(Conversation(), TWO_MONTHS_OF_IT).text.startswith(
        "It sounds like you may be describing twitching that has lasted for weeks")


def _model_of(probabilities: dict[str, float]) -> RecallModel:
    """A model with no features: an utterance without words gets these probabilities."""
    classes = tuple(probabilities)
    levels = tuple(c.split(":")[0] for c in classes)
    return RecallModel(classes, levels, np.zeros(0, np.int64), np.zeros((0, len(classes)),
                       np.float32), np.log(np.array(list(probabilities.values()), np.float32)), {})


def test_the_model_names_the_likeliest_level_it_is_sure_of() -> None:
    """Sure of a red flag (0.75 urgent or worse): the likelier of the two is the level."""
    model = _model_of({NONE: 0.25, "urgent:u": 0.30, "emergency:e": 0.45})
    rules = frozenset({"urgent:u", "emergency:e"})
    opinion = model.opinion("", 0.7, rules)
    assert (opinion.level, opinion.rule_id) == ("emergency", "emergency:e")
    assert opinion.probability == pytest.approx(0.75, abs=1e-5)
    model = _model_of({NONE: 0.25, "urgent:u": 0.45, "emergency:e": 0.30})
    assert model.opinion("", 0.7, rules).level == "urgent"
    assert model.opinion("", 0.8, rules).level == NONE


def test_in_speech_the_models_sign_is_asked_back(with_model) -> None:
    words = tuple(Word(w, 1.0, i * 0.3, i * 0.3 + 0.3)
                  for i, w in enumerate(UNNOTICED_ACCIDENT.split()))
    decision = with_model.decide(UNNOTICED_ACCIDENT, spoken=True, words=words)
    assert decision.outcome == "confirm"
    assert decision.escalation == "none"
    assert decision.confirm.level == "emergency"
    assert decision.confirm.rule == "bladder_bowel_control"


@pytest.mark.parametrize("text", ["hello", "my leg", "is it bad", "ok", "my calf hurts"])
def test_a_few_words_are_left_to_the_rules(with_model, rules_only, text) -> None:
    assert len(normalize(text).split()) < MIN_WORDS
    assert with_model.decide(text).assessment == rules_only.decide(text).assessment


@pytest.mark.parametrize("text", [
    "my calf twitches a bit after the gym, is that normal",
    "I have been wondering whether magnesium helps with calf twitches at night",
    "can stress and too much coffee make my calf muscles twitch",
])
def test_everyday_questions_stay_calm(with_model, text) -> None:
    assert with_model.decide(text).escalation == "none"


def test_the_model_never_calms_a_rule_down(with_model, rules_only) -> None:
    """Over every tuning row: the level with the model is never below the rules' alone."""
    lower = []
    for path in TUNING_SETS:
        for example in read_examples(path):
            alone = rules_only.decide(example.text).escalation
            both = with_model.decide(example.text).escalation
            if LEVELS.index(both) < LEVELS.index(alone):
                lower.append(example.text)
    assert not lower


def test_features_are_the_same_for_the_same_words() -> None:
    one, two = features("my leg is weak"), features("my leg is weak")
    assert np.array_equal(one, two) and np.all(np.diff(one) > 0)
    assert not np.array_equal(one, features("my leg is strong"))
    assert len(features("")) == 0


def test_a_damaged_model_file_is_one_clear_error(tmp_path) -> None:
    broken = tmp_path / "recall.npz"
    broken.write_bytes(SHIPPED_MODEL.read_bytes()[:5000])
    with pytest.raises(ContentError, match=r"recall\.npz: not a readable recall model"):
        load_model(broken)
    with pytest.raises(ContentError, match="no such recall model"):
        load_model(tmp_path / "missing.npz")


def test_a_bad_model_setting_names_the_file(tmp_path, content) -> None:
    safety = dataclasses.replace(Settings().safety, recall_model=tmp_path / "none.npz")
    with pytest.raises(ContentError, match="none.npz"):
        Skill(content, dataclasses.replace(Settings(), safety=safety))


def test_training_learns_a_small_table_and_round_trips(tmp_path, content) -> None:
    """Trained on a handful of rows, the model tells them apart; saved as float16 and loaded,
    it scores the same to within float16's precision."""
    examples = [Example(t, "emergency") for t in (
        "i wet myself without noticing", "i have wet myself and did not notice",
        "i did not notice i had wet myself again")]
    examples += [Example(t, "none") for t in (
        "can twitching be stress", "is magnesium good for cramps", "do twitches mean als")]
    model = train(examples, content, TrainingSettings(epochs=30))
    emergency = [i for i, lv in enumerate(model.levels) if lv == "emergency"]
    wet = model.probabilities(normalize("i wet myself and never noticed"))
    calm = model.probabilities(normalize("can cramps be stress"))
    assert wet[emergency].sum() > 0.5 > calm[emergency].sum()
    path = tmp_path / "m.npz"
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.classes == model.classes and loaded.levels == model.levels
    assert np.allclose(loaded.probabilities("i wet myself"), model.probabilities("i wet myself"),
                       atol=1e-2)
    settings = dataclasses.asdict(TrainingSettings(epochs=30))
    assert loaded.metadata["settings"] == {**settings, "seeds": list(settings["seeds"])}
