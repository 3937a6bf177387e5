"""How sure a recogniser was of the words a red flag rests on.

A red flag heard in speech is sure when the best reading reports it on words the recogniser
was confident of; it is unsure when only a next-best reading or another model's reading
reports it, when one of its words was heard below a confidence threshold, or when only the
recall model read it into the words (no word of it can be checked). Typed text is always
sure. An unsure red flag more urgent than every sure one is asked back ("Did you
mention weakness?") before it escalates (understand.decide, dialog.Skill).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..asr.base import Word
from ..content.loader import LEVELS
from .normalize import normalize
from .safety import Assessment, RedFlagHit


@dataclass(frozen=True)
class Doubts:
    """A spoken utterance's red flags, split by how sure the recogniser was of them."""

    sure: Assessment
    """What the best reading reports on confident words: escalated at once."""
    unsure: Assessment | None
    """When an unsure red flag is more urgent than every sure one: the assessment a yes to
    the question escalates with (its hits, then the sure ones, most urgent first)."""


def word_confidences(words: Sequence[Word]) -> dict[str, float]:
    """Each normalised token of a reading with the lowest confidence it was heard with (a word
    heard twice is as sure as its less sure hearing)."""
    found: dict[str, float] = {}
    for word in words:
        for token in normalize(word.text).split():
            found[token] = min(found.get(token, 1.0), word.confidence)
    return found


def hit_confidence(hit: RedFlagHit, words: Sequence[Word]) -> float:
    """The lowest confidence among the words that fired hit; 1.0 when none of them can be
    traced to a recognised word (a slip mended from two words: normalize's "week ness")."""
    confidences = word_confidences(words)
    heard = [confidences[t] for t in hit.heard.split() if t in confidences]
    return min(heard, default=1.0)


def _rank(hit: RedFlagHit) -> int:
    return LEVELS.index(hit.rule.level)


def split_doubts(best: Assessment, others: Sequence[Assessment], words: Sequence[Word],
                 confirm_below: float) -> Doubts:
    """Sort the best reading's red flags (best) and the other readings' (others) into sure and
    unsure: a hit is sure when the best reading has it and each of its words was heard with
    at least confirm_below confidence."""
    sure = [h for h in best.hits if not h.learned and hit_confidence(h, words) >= confirm_below]
    named = {h.rule.id for h in sure}
    unsure: list[RedFlagHit] = []
    for hit in [h for h in best.hits if h.rule.id not in named] + \
            [h for a in others for h in a.hits]:
        if hit.rule.id not in named:
            named.add(hit.rule.id)
            unsure.append(hit)
    level = LEVELS[max(map(_rank, sure), default=0)]
    sure_assessment = Assessment(level, tuple(sure), best.about_question, best.set_aside)
    if max(map(_rank, unsure), default=0) <= LEVELS.index(level):
        return Doubts(sure_assessment, None)
    # Stable: an unsure hit comes before a sure one of its level.
    asked = sorted(unsure + sure, key=_rank, reverse=True)
    return Doubts(sure_assessment, Assessment(asked[0].rule.level, tuple(asked), False,
                                              best.set_aside))
