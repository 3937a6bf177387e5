"""Typed slips of the keys: a word one or two slips from a symptom word that is no English word.

People type to a kiosk or a phone in a hurry ("weekness", "bladdar", "parralised", "feell").
A recogniser never writes such words, so this matters for typed text; an English word is never
taken for a slip ("ladder" is not "bladder"), which is why a dictionary is consulted.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from rapidfuzz.distance import OSA

_TWO_SLIP_LENGTH = 8
"""Typed words this long tolerate two slips ('parralised'); at seven, 'fizzing', which the
dictionary lacks, would be two slips from 'fitting'."""
TYPO_MIN_LENGTH = 5
"""Typed words this long tolerate one slip of the keys ('bladdar', 'numbess'); four-letter
ones only a swap or a doubled letter ('pian', 'feell'), never 'numm' for 'numb': one edit
turns too many short words into one another."""


def word_matches(token: str, pattern_word: str) -> bool:
    """Exact, prefix ('weak*'), or for a typed word that is no English word, one slip away."""
    if pattern_word.endswith("*"):
        stem_ = pattern_word[:-1]
        return token.startswith(stem_) or _prefix_slip(token, stem_)
    return token == pattern_word or _slip_of(token, pattern_word)


def _slip_of(token: str, word: str) -> bool:
    """Slips of the keys, first letter kept: one insertion, deletion, substitution or swap of
    neighbours; two in words of eight letters or more ('parralised'); in four-letter
    words only a swap ('pian') or a letter typed twice ('feell')."""
    if token == word or token[:1] != word[:1] or len(word) < TYPO_MIN_LENGTH - 1:
        return False
    if len(word) < TYPO_MIN_LENGTH:
        allowed = 1 if sorted(token) == sorted(word) or _doubled(token, word) else 0
    else:
        allowed = 2 if len(word) >= _TWO_SLIP_LENGTH else 1
    return (abs(len(token) - len(word)) <= allowed
            and OSA.distance(token, word, score_cutoff=allowed) <= allowed
            and not is_english(token))


def _doubled(token: str, word: str) -> bool:
    """'feell' for 'feel': one letter typed twice."""
    return len(token) == len(word) + 1 and any(
        token[i] == token[i + 1] and token[:i] + token[i + 1:] == word for i in range(len(word)))


_SHORT_STEM_TAIL = 5
"""After a four-letter stem, a slip may carry an English ending this long at most ('weeknes',
'weekening'): with the longest ones, -ness and -ening, the word is still that stem's."""


def _prefix_slip(token: str, stem_: str) -> bool:
    """'weeknes' for weak*: a start of the token one slip from the stem (two from a stem of
    eight letters or more)."""
    if len(stem_) < TYPO_MIN_LENGTH - 1 or len(token) < max(len(stem_) - 1, TYPO_MIN_LENGTH) \
            or token[:1] != stem_[:1]:
        return False
    if len(stem_) < TYPO_MIN_LENGTH and len(token) > len(stem_) + _SHORT_STEM_TAIL:
        return False  # 'wadenkrampf' is not a slip of wake*: a long word of its own
    allowed = 2 if len(stem_) >= _TWO_SLIP_LENGTH else 1
    return any(OSA.distance(token[:k], stem_, score_cutoff=allowed) <= allowed
               for k in range(len(stem_) - allowed, len(stem_) + allowed + 1)
               if k <= len(token)) and not is_english(token)


def is_english(word: str) -> bool:
    """Whether word is in the English pronouncing dictionary that pocketsphinx's wheel ships
    (cmudict, about 126,000 words; 45 ms to read, so only read when a near miss needs it).
    Without it, no short word is taken for a slip: 'ladder' is not 'bladder'."""
    words = _english_words()
    return words is None or word in words


@cache
def _english_words() -> frozenset[str] | None:
    spec = importlib.util.find_spec("pocketsphinx")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "model" / "en-us" / "cmudict-en-us.dict"
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace") as lines:
                return frozenset(line.split(" ", 1)[0].split("(", 1)[0] for line in lines)
    return None
