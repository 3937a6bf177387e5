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
from dataclasses import dataclass, replace
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
"""The class of a message with no red flag."""

OTHER_PREFIX = "other_"
"""other_<level>: the class of a tuning row whose sign no rule of its level fired."""

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
    """The level it gives: the likeliest of sure_of and the levels above it."""
    rule_id: str | None
    """The likeliest sign of exactly that level (a rule id), None when the level is none or the
    content has no rule of that level the model knows."""
    probability: float
    """How sure it is that the utterance reports a red flag of at least sure_of's level."""
    sure_of: str = NONE
    """The most urgent level whose probability (that level or higher) reaches the threshold."""
    likeliest_class: str = NONE
    """The likeliest class of the level given: a rule id, or other_<level> (no rule's sign)."""


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
        """Sure of a red flag: the most urgent level whose probability (that level or higher)
        reaches threshold. Its level: the likeliest of that level and those above it, so
        "urgent 0.30, emergency 0.45" is an emergency, not the urgent the sum first reached
        (five-fold cross-validation on the tuning sets, at 0.7 before the last content change:
        emergencies missed 3 -> 2 of 2,616, no row more over-triaged, false alarms unchanged).

        rule_ids: the content's rules. A class of a rule the content no longer has counts as
        no sign; other_<level> always counts."""
        probs = self.probabilities(normalized)
        counted = [i for i, c in enumerate(self.classes)
                   if c in rule_ids or c.startswith(OTHER_PREFIX)]
        own = {lv: float(probs[[i for i in counted if self.levels[i] == lv]].sum())
               for lv in LEVELS if lv != NONE}
        for level in (lv for lv in reversed(LEVELS) if lv != NONE and lv in self.levels):
            rank = LEVELS.index(level)
            sure = sum(p for lv, p in own.items() if LEVELS.index(lv) >= rank)
            if sure >= threshold:
                likeliest = max(LEVELS[rank:], key=lambda lv: own[lv])
                # The sign named is one of that level, so its advice is that level's.
                members = [i for i in counted if self.levels[i] == likeliest]
                named = [i for i in members if self.classes[i] in rule_ids]
                best = max(named, key=lambda i: probs[i], default=None)
                top = max(members, key=lambda i: probs[i])
                return Opinion(likeliest, self.classes[best] if best is not None else None, sure,
                               level, self.classes[top])
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
        level than the rules found; else assessment unchanged. The sign is the speaker's until
        told_of says otherwise (the model reads no person)."""
        if len(normalized.split()) < MIN_WORDS:
            return assessment
        by_id = {rule.id: rule for rule in rules}
        opinion = self.model.opinion(normalized, self.threshold, frozenset(by_id))
        # A rule about someone's past (a parent's ALS) turns on who the relative is, which the
        # rules read ("my husband's sister" is an in-law) and word n-grams do not: where the
        # model would give it, or it is the likeliest sign, the rules alone decide.
        if any(by_id[c].history for c in (opinion.rule_id, opinion.likeliest_class)
               if c in by_id):
            return assessment
        # Only a level it is sure of goes above the rules: "urgent or worse" where a rule found
        # urgent adds nothing, however the two share it.
        if opinion.rule_id is None or LEVELS.index(opinion.sure_of) <= LEVELS.index(
                assessment.level):
            return assessment
        hit = RedFlagHit(by_id[opinion.rule_id], "", learned=True)
        return Assessment(opinion.level, (hit, *assessment.hits), False, assessment.set_aside)


def told_of(assessment: Assessment, experiencer: str) -> Assessment:
    """assessment with its learned top sign said to be experiencer's; a rule about someone's
    past (a parent's ALS) is always the speaker's own reason to be checked."""
    top = assessment.hits[0]
    if not top.learned or top.rule.history or top.experiencer == experiencer:
        return assessment
    return replace(assessment, hits=(replace(top, experiencer=experiencer),
                                     *assessment.hits[1:]))


def second_opinion(enabled: bool, threshold: float, path: Path | None) -> SecondOpinion | None:
    """The settings' second opinion (None when turned off)."""
    return SecondOpinion(load_model(path or SHIPPED_MODEL), threshold) if enabled else None
