"""Exact best-few search for token_sort_ratio matching, without scoring every phrasing.

token_sort_ratio(a, b) is fuzz.ratio of the token-sorted strings, 200 * LCS / (len a + len b).
A longest common subsequence cannot hold more of a character than either string has, so
200 * (characters in common, counted per character) / (len a + len b) bounds the score from
above; it also contains the length filter (common <= the shorter length). Phrasings are stored
token-sorted, with their lengths and character counts (as bit planes, so the shared count of a
question and every phrasing is three AND-and-popcount passes), dialog by dialog. fuzz.ratio then
runs only for the dialogs whose bound can still reach the best `limit`, and within them only
for phrasings whose own bound can.

The result is the one the plain scan gives (understand.Matcher.rank_by_scan), tie order
included: tests/test_understand.py checks the two against each other.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "
"""Characters of normalised text; any other character is counted in one shared bucket."""

SLACK = 1e-6
"""Added to every bound (score points) so float rounding never drops a phrasing that ties."""

PLANE_LEVELS = 4
"""Counts of one character up to this many are stored as bits (bit planes); the few counts
beyond it (a long question's, or the spaces of a long phrasing) loosen the bound a little."""

CUTOFF_MARGIN = 1e-3
"""How far below a raised cutoff process.extract is asked to go (score points)."""


def sorted_tokens(text: str) -> str:
    """The form token_sort_ratio compares: words sorted, joined by single spaces."""
    return " ".join(sorted(text.split()))


def character_counts(text: str) -> np.ndarray:
    """How often each ALPHABET character occurs in text; the last slot counts all others."""
    counts = [text.count(ch) for ch in ALPHABET]
    return np.array([*counts, len(text) - sum(counts)], dtype=np.int64)


def count_planes(counts: np.ndarray) -> np.ndarray:
    """Rows of character counts as bit planes, (words, rows) uint64: bit c * PLANE_LEVELS + j is
    set when character c occurs more than j times. The popcount of two rows' AND is then
    the sum over characters of min(count, other count, PLANE_LEVELS)."""
    bits = (counts[:, :, None] > np.arange(PLANE_LEVELS)).reshape(len(counts),
                                                                  counts.shape[1] * PLANE_LEVELS)
    width = -(-bits.shape[1] // 64) * 64
    bits = np.pad(bits, ((0, 0), (0, width - bits.shape[1])))
    return np.ascontiguousarray(np.packbits(bits, axis=1, bitorder="little").view("<u8").T)


def query_planes(counts: np.ndarray) -> list[np.uint64]:
    """count_planes of one row, as Python integers (a question is planed once per table, and
    numpy's padding costs more than the bits)."""
    bits = 0
    for character, count in enumerate(counts.tolist()):
        bits |= ((1 << min(count, PLANE_LEVELS)) - 1) << (character * PLANE_LEVELS)
    words = -(-len(counts) * PLANE_LEVELS // 64)
    return [np.uint64((bits >> (64 * word)) & (2**64 - 1)) for word in range(words)]


@dataclass(frozen=True)
class Best:
    """A dialog's best phrasing for one question."""

    score: float
    """Raw fuzz.ratio score (0-100) of the token-sorted forms."""
    index: int
    """The first choice (in scan order) reaching that score: the scan's tie order."""


@dataclass(frozen=True)
class Query:
    """One utterance with the adjustments Matcher applies on top of the fuzzy scores."""

    words: str
    """Token-sorted content words: compared with every phrasing."""
    whole: str
    """Token-sorted normalised text: compared with conversational dialogs' phrasings."""
    weight: float
    """In-domain factor applied to word scores (0-1]."""
    bonus: float
    """Added to a keyword owner's score once it has a fuzzy score (already weighted)."""
    keyword_owners: tuple[str, ...]
    """Dialogs with a keyword in the utterance, in the order the scan meets them."""
    floored: frozenset[str]
    """Keyword owners lifted to at least `floor`."""
    floor: float


def final_score(words: Best | None, whole: Best | None, query: Query, dialog: str) -> float | None:
    """The scan's score for a dialog, in its order of float operations; None: not ranked."""
    present = words is not None or whole is not None
    score = 0.0
    if words is not None:
        score = max(score, words.score * query.weight)
    if whole is not None:
        score = max(score, whole.score)
    if present and dialog in query.keyword_owners:
        score += query.bonus
    if dialog in query.floored:
        return max(score, query.floor)
    return score if present else None


def scan_order(dialog: str, words: Best | None, whole: Best | None,
               query: Query) -> tuple[int, float, int, str]:
    """Where the scan first inserts a dialog: word results (score, then choice index), then
    whole-text results, then floored keyword owners, in the order it meets them."""
    if words is not None:
        return (0, -words.score, words.index, dialog)
    if whole is not None:
        return (1, -whole.score, whole.index, dialog)
    return (2, 0.0, query.keyword_owners.index(dialog), dialog)


class FormTable:
    """Token-sorted phrasing forms laid out dialog by dialog, choice order within a dialog.

    pairs: (dialog, choice index, token-sorted form); a form owned by two dialogs is in twice.
    """

    def __init__(self, pairs: Sequence[tuple[str, int, str]], dialogs: Sequence[str]) -> None:
        order = {d: i for i, d in enumerate(dialogs)}
        pairs = sorted(pairs, key=lambda p: (order[p[0]], p[1]))
        self.dialogs = tuple(dict.fromkeys(d for d, _, _ in pairs))
        self.forms = np.array([form for _, _, form in pairs], dtype=object)
        self.choice = [index for _, index, _ in pairs]
        self.lengths = np.array([len(f) for f in self.forms], dtype=np.float64)
        counts = np.array([character_counts(f) for f in self.forms], dtype=np.int64)
        counts = counts.reshape(len(self.forms), len(ALPHABET) + 1)
        self.planes = count_planes(counts)
        self.excess = np.maximum(counts - PLANE_LEVELS, 0).sum(axis=1).astype(np.float64)
        self.ranges: dict[str, tuple[int, int]] = {}
        for i, (dialog, _, _) in enumerate(pairs):
            start, _ = self.ranges.get(dialog, (i, i))
            self.ranges[dialog] = (start, i + 1)
        self.starts = np.array([self.ranges[d][0] for d in self.dialogs], dtype=np.intp)

    def bounds(self, query: str) -> np.ndarray:
        """Upper bound of fuzz.ratio(query, form) for every form, plus SLACK.

        Per character, min(a, b) <= min(a, b, PLANE_LEVELS) + max(0, a - PLANE_LEVELS), and
        likewise with b's excess: the planes give the first term, the smaller total excess
        (the form's or the question's) the rest. No form shares more than its length.
        """
        wanted = character_counts(query)
        excess = float(np.maximum(wanted - PLANE_LEVELS, 0).sum())
        planes = zip(self.planes, query_planes(wanted))
        plane, mask = next(planes)
        shared = np.bitwise_count(plane & mask)  # at most len(ALPHABET) * PLANE_LEVELS: a byte
        for plane, mask in planes:
            shared += np.bitwise_count(plane & mask)
        common = np.minimum(shared + np.minimum(self.excess, excess), self.lengths)
        return 200.0 * common / (len(query) + self.lengths) + SLACK

    def maxima(self, bounds: np.ndarray) -> dict[str, float]:
        """Each dialog's highest bound."""
        if not self.dialogs:
            return {}
        return dict(zip(self.dialogs, np.maximum.reduceat(bounds, self.starts).tolist()))

    def best(self, query: str, dialog: str, bounds: np.ndarray, cutoff: float,
             at_least: float) -> Best | None:
        """The dialog's best form if it scores at least `at_least` (>= the scan's `cutoff`),
        scoring only forms whose bound reaches that; None when no form does."""
        if dialog not in self.ranges:
            return None
        start, end = self.ranges[dialog]
        keep = np.flatnonzero(bounds[start:end] >= at_least)
        if not keep.size:
            return None
        # process.extract applies score_cutoff less precisely than it scores (a cutoff 5e-7
        # below a score dropped it), so only the scan's own cutoff is passed exactly; a
        # raised one goes in with a margin and is applied here. Its order (score, then index)
        # is the scan's.
        lenient = cutoff if at_least <= cutoff else max(cutoff, at_least - CUTOFF_MARGIN)
        forms = self.forms[start:end][keep].tolist()
        best = process.extractOne(query, forms, scorer=fuzz.ratio, score_cutoff=lenient)
        if best is None:
            return None
        # extractOne keeps raising its cutoff as it goes; the scan does not. Collecting all
        # forms near its best gives the scan's best and its first index, exactly.
        near = max(cutoff, best[1] - CUTOFF_MARGIN)
        found = process.extract(query, forms, scorer=fuzz.ratio, score_cutoff=near, limit=None)
        if not found or found[0][1] < at_least:
            return None
        return Best(found[0][1], self.choice[start + int(keep[found[0][2]])])


class PhrasingIndex:
    """The choices of a Matcher (content words and conversational phrasings) and their owners,
    ready for `top`. Cutoffs are the scan's: word scores below `word_cutoff` and whole-text
    scores below `whole_cutoff` are not collected."""

    def __init__(self, choices: Sequence[str], owners: Sequence[Sequence[str]],
                 dialogs: Sequence[str], conversational: frozenset[str],
                 word_cutoff: float, whole_cutoff: float) -> None:
        pairs = [(owner, i, sorted_tokens(choice))
                 for i, (choice, names) in enumerate(zip(choices, owners)) for owner in names]
        self._words = FormTable(pairs, dialogs)
        self._whole = FormTable([p for p in pairs if p[0] in conversational], dialogs)
        self._word_cutoff = word_cutoff
        self._whole_cutoff = whole_cutoff

    def top(self, query: Query, limit: int) -> list[tuple[str, float]]:
        """The best `limit` dialogs and their uncapped scores, best first, as the scan ranks them.

        Dialogs are scored in order of their bound; once `limit` are scored, a dialog whose
        bound is below the limit-th score cannot enter (an equal one could, on tie order).
        """
        if limit <= 0:
            return []
        word_bounds = self._words.bounds(query.words)
        whole_bounds = self._whole.bounds(query.whole)
        reachable = self._reachable(query, word_bounds, whole_bounds)
        ranked: list[tuple[float, tuple[int, float, int, str], str]] = []
        best_scores: list[float] = []  # a min-heap of the best `limit` scores so far
        for dialog, bound in sorted(reachable.items(), key=lambda item: -item[1]):
            needed = best_scores[0] if len(best_scores) == limit else None
            if needed is not None and bound < needed:
                break
            whole = self._whole.best(query.whole, dialog, whole_bounds, self._whole_cutoff,
                                     self._whole_cutoff)
            words = self._words.best(query.words, dialog, word_bounds, self._word_cutoff,
                                     self._words_needed(query, dialog, whole, needed))
            score = final_score(words, whole, query, dialog)
            if score is not None:
                ranked.append((score, scan_order(dialog, words, whole, query), dialog))
                if len(best_scores) < limit:
                    heapq.heappush(best_scores, score)
                else:
                    heapq.heappushpop(best_scores, score)
        ranked.sort(key=lambda r: (-r[0], r[1]))
        return [(dialog, score) for score, _, dialog in ranked[:limit]]

    def _reachable(self, query: Query, word_bounds: np.ndarray,
                   whole_bounds: np.ndarray) -> dict[str, float]:
        """Dialogs that can be ranked, each with an upper bound of its final score."""
        words = self._words.maxima(word_bounds)
        whole = self._whole.maxima(whole_bounds)
        reachable = {}
        # final_score only grows with its inputs, so over the bounds it bounds the final score.
        for dialog in self._words.dialogs:
            best_words = Best(words[dialog], 0) if words[dialog] >= self._word_cutoff else None
            best_whole = Best(whole[dialog], 0) if whole.get(dialog, 0.0) >= self._whole_cutoff \
                else None
            bound = final_score(best_words, best_whole, query, dialog)
            if bound is not None:
                reachable[dialog] = bound
        return reachable

    def _words_needed(self, query: Query, dialog: str, whole: Best | None,
                      needed: float | None) -> float:
        """The lowest word score worth finding for a dialog. A floored dialog, or one with a
        whole-text score, keeps the scan's cutoff: its word score decides its tie order even
        when something else decides its score."""
        if needed is None or whole is not None or dialog in query.floored:
            return self._word_cutoff
        bonus = query.bonus if dialog in query.keyword_owners else 0.0
        return max(self._word_cutoff, (needed - bonus) / query.weight - SLACK)
