"""A learned second opinion on red flags, for signs told in words no rule has.

The rules (safety.py) are explainable but only as wide as their patterns: on the blind held-out
sets most missed red flags were signs no rule matched at all, not rules set aside. This model
reads the whole sentence as hashed word, word-pair and letter n-grams, and says how likely it
reports each rule's sign, trained on the labelled tuning sets and the rules' own examples
(scripts/train_recall.py). It only ever adds: a sign it is sure of escalates when no rule of
that level fired; it never calms a rule down (missing a red flag is the worst mistake here).

The weights ship as one small .npz (classes, their levels, and the non-zero rows of a sparse
linear model), so scoring one question is a handful of array lookups and no new dependency.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..content.loader import LEVELS, RedFlagRule
from ..errors import ContentError
from .safety import Assessment, RedFlagHit

FEATURE_SPACE = 1 << 18
"""Hashed feature slots. At 2**18 the tuning rows' n-grams rarely collide (distinct features
seen in training: see the model's metadata, `features`)."""

CHAR_NGRAMS = (3, 4, 5)
"""Letter n-grams of each word, with word edges marked: they carry a typed slip ('weekness')
and a word's family ('swell', 'swollen', 'swelling') to what the model learned."""

NONE = "none"
"""The class of a message with no red flag (routine ones included: the model adds only urgent
and emergency escalations)."""

MIN_WORDS = 4
"""Fewer words than this say too little for the model: its bias, not the words, decides
("my leg" alone scored 0.76 urgent). Of the held-out rows it fixed, 1 of 72 was this short."""

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "data" / "recall.npz"


def _hash(feature: str) -> int:
    return zlib.crc32(feature.encode()) % FEATURE_SPACE


def features(normalized: str) -> np.ndarray:
    """The sorted, distinct feature slots of a normalised utterance."""
    words = normalized.split()
    found: set[str] = set()
    for i, word in enumerate(words):
        found.add("w " + word)
        if i:
            found.add("b " + words[i - 1] + " " + word)
        marked = "<" + word + ">"
        for n in CHAR_NGRAMS:
            found.update("c " + marked[j:j + n] for j in range(len(marked) - n + 1))
    return np.array(sorted({_hash(f) for f in found}), dtype=np.int64)


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Opinion:
    """What the model makes of one utterance."""

    level: str
    """The most urgent level it is sure of (none, urgent or emergency)."""
    rule_id: str | None
    """The likeliest sign of exactly that level (a rule id), None when the level is none or the
    content has no rule of that level the model knows."""
    probability: float
    """How sure it is that the utterance reports a red flag of at least that level."""


@dataclass(frozen=True)
class RecallModel:
    classes: tuple[str, ...]
    """NONE, then rule ids (and other_<level> for tuning rows no rule of their level fired)."""
    levels: tuple[str, ...]
    """Each class's level."""
    slots: np.ndarray
    """Sorted feature slots that carry weight (int64)."""
    weights: np.ndarray
    """One row per slot, one column per class (float32)."""
    bias: np.ndarray
    metadata: dict

    def probabilities(self, normalized: str) -> np.ndarray:
        """Each class's probability for a normalised utterance."""
        found = features(normalized)
        if not len(found):
            return softmax(self.bias)
        at = np.minimum(np.searchsorted(self.slots, found), len(self.slots) - 1)
        known = at[self.slots[at] == found]
        # Scaled by the square root of the utterance's feature count, as in training, so a
        # message's scores do not grow merely with its length.
        scores = self.weights[known].sum(axis=0) / np.sqrt(len(found)) + self.bias
        return softmax(scores)

    def opinion(self, normalized: str, threshold: float, rule_ids: frozenset[str]) -> Opinion:
        """The most urgent level whose probability (that level or higher) reaches threshold.

        rule_ids: the content's rules; a sign the content no longer has is never named."""
        probs = self.probabilities(normalized)
        for level in ("emergency", "urgent"):
            rank = LEVELS.index(level)
            at_least = [i for i, lv in enumerate(self.levels) if LEVELS.index(lv) >= rank]
            sure = float(probs[at_least].sum())
            if sure >= threshold:
                # The sign named is one of this level, so its advice is this level's.
                named = [i for i in at_least if self.levels[i] == level and
                         self.classes[i] in rule_ids]
                best = max(named, key=lambda i: probs[i], default=None)
                return Opinion(level, self.classes[best] if best is not None else None, sure)
        return Opinion(NONE, None, float(probs[0]))


def load_model(path: Path = SHIPPED_MODEL) -> RecallModel:
    """Read a model written by scripts/train_recall.py; a damaged file is a ContentError."""
    try:
        with np.load(path, allow_pickle=False) as data:
            metadata = json.loads(str(data["metadata"]))
            model = RecallModel(tuple(json.loads(str(data["classes"]))),
                                tuple(json.loads(str(data["levels"]))),
                                data["slots"].astype(np.int64), data["weights"].astype(np.float32),
                                data["bias"].astype(np.float32), metadata)
    except FileNotFoundError:
        raise ContentError(f"{path}: no such recall model (scripts/train_recall.py writes it)")
    except (OSError, ValueError, KeyError, zlib.error, zipfile.BadZipFile) as error:
        raise ContentError(f"{path}: not a readable recall model ({error})") from None
    shapes = (len(model.classes) == len(model.levels) == model.weights.shape[1] == len(model.bias)
              and model.weights.shape[0] == len(model.slots) and model.classes[:1] == (NONE,))
    if not shapes or not set(model.levels) <= set(LEVELS):
        raise ContentError(f"{path}: recall model's classes, levels and weights do not agree")
    return model


@dataclass(frozen=True)
class SecondOpinion:
    """The model and how sure it must be, ready to look over the rules' assessment."""

    model: RecallModel
    threshold: float

    def review(self, assessment: Assessment, normalized: str,
               rules: tuple[RedFlagRule, ...]) -> Assessment:
        """assessment, with the model's sign first when the model is sure of a more urgent
        level than the rules found; else assessment unchanged."""
        if len(normalized.split()) < MIN_WORDS:
            return assessment
        by_id = {rule.id: rule for rule in rules}
        opinion = self.model.opinion(normalized, self.threshold, frozenset(by_id))
        if opinion.rule_id is None or LEVELS.index(opinion.level) <= LEVELS.index(
                assessment.level):
            return assessment
        hit = RedFlagHit(by_id[opinion.rule_id], "", learned=True)
        return Assessment(opinion.level, (hit, *assessment.hits), False, assessment.set_aside)


def second_opinion(enabled: bool, threshold: float, path: Path | None) -> SecondOpinion | None:
    """The settings' second opinion (None when turned off)."""
    return SecondOpinion(load_model(path or SHIPPED_MODEL), threshold) if enabled else None
