"""The symptom lexicon (dialogs/symptoms.yaml): does a message report a bodily symptom, or
twitching, cramps or leg pain, and which warning sign does a short answer name.

Detection is content, not Python: named word lists, and detectors that fire when every list
of one of their combinations occurs in the message ('body + complaint', or 'plain' alone).
Matching is deliberately plain (no negation): a false alarm here costs one sentence of
advice or one yes/no question, never a missed answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..content.yamlnodes import Located, mapping
from ..errors import ContentError
from .normalize import normalize, pattern_words

DETECTORS = ("unplaced", "report")
"""unplaced: a bodily symptom the FAQ cannot place (the fallback gets the safety net);
report: someone reports twitching, cramps or leg pain (the session's safety check)."""

_TOP_KEYS = {"words", *DETECTORS, "signs"}
_DETECTOR_KEYS = {"when", "examples"}
_EXAMPLE_KEYS = {"fire", "calm"}
_SIGN_KEYS = {"names", "means"}

Term = tuple[str, ...]
"""Normalised words in sequence; a word ending in '*' matches any word starting with it."""


@dataclass(frozen=True)
class Detector:
    """Fires when all the word lists of any one combination occur in a message."""

    name: str
    combinations: tuple[tuple[tuple[Term, ...], ...], ...]
    """Per combination, per word list, the list's terms."""
    fire_examples: tuple[str, ...]
    calm_examples: tuple[str, ...]
    origin: str


@dataclass(frozen=True)
class Sign:
    """A warning sign a short answer may name ('my bladder'), and a sentence that says it in
    full, which the red-flag check reads in the answer's place."""

    names: tuple[Term, ...]
    means: str
    origin: str


@dataclass(frozen=True)
class SymptomLexicon:
    detectors: tuple[Detector, ...] = ()
    signs: tuple[Sign, ...] = ()
    origin: str = ""
    """file:line of the lexicon ('' when the content has none)."""

    def fires(self, detector: str, text: str) -> bool:
        """Whether the named detector fires on text (False when the content lacks it)."""
        words = normalize(text).split()
        return any(found.name == detector and _fires(found, words) for found in self.detectors)

    def sign_named(self, text: str) -> Sign | None:
        """The first sign whose name occurs in text, or None."""
        words = normalize(text).split()
        return next((s for s in self.signs if any(_occurs(t, words) for t in s.names)), None)


def _word_matches(word: str, pattern: str) -> bool:
    """Exact, or a prefix ('dizz*'). No slip tolerance: normalize already mends the known
    recogniser slips, and the red-flag check, which must not miss, has its own."""
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


def _occurs(term: Term, words: list[str]) -> bool:
    last = len(words) - len(term)
    return any(all(_word_matches(words[i + k], w) for k, w in enumerate(term))
               for i in range(last + 1))


def _fires(detector: Detector, words: list[str]) -> bool:
    return any(all(any(_occurs(t, words) for t in terms) for terms in combination)
               for combination in detector.combinations)


def example_problems(lexicon: SymptomLexicon) -> list[str]:
    """Each detector's examples: fire ones must fire it, calm ones must not."""
    problems = []
    for detector in lexicon.detectors:
        for example in detector.fire_examples:
            if not _fires(detector, normalize(example).split()):
                problems.append(f"{detector.origin}: {detector.name} misses its example "
                                f"{example!r}")
        for example in detector.calm_examples:
            if _fires(detector, normalize(example).split()):
                problems.append(f"{detector.origin}: {detector.name} fires on calm example "
                                f"{example!r}")
    return problems


# --- reading the YAML --------------------------------------------------------------------


def _texts(node: Located, what: str) -> list[tuple[str, str]]:
    """A list of texts (or one text) as (text, origin) pairs; none may be empty."""
    items = node.value if isinstance(node.value, list) else [node]
    if not items:
        raise ContentError(f"{node.origin}: {what} list is empty")
    found = []
    for item in items:
        if not isinstance(item.value, str) or not item.value.strip():
            raise ContentError(f"{item.origin}: {what} must be non-empty text")
        found.append((" ".join(item.value.split()), item.origin))
    return found


def _term(text: str, origin: str) -> Term:
    words = tuple(pattern_words(text))
    if not words:
        raise ContentError(f"{origin}: {text!r} has no words")
    return words


def _word_lists(node: Located) -> dict[str, tuple[Term, ...]]:
    if not isinstance(node.value, dict) or not node.value:
        raise ContentError(f"{node.origin}: words must map list names to lists of words")
    return {name: tuple(_term(t, o) for t, o in _texts(entry, f"a word of {name}"))
            for name, entry in node.value.items()}


def _combination(text: str, origin: str, lists: dict[str, tuple[Term, ...]]
                 ) -> tuple[tuple[Term, ...], ...]:
    """'body + complaint' -> the terms of each named list."""
    names = [n.strip() for n in text.split("+")]
    for name in names:
        if name not in lists:
            raise ContentError(f"{origin}: unknown word list {name!r} "
                               f"(lists under 'words': {', '.join(sorted(lists))})")
    return tuple(lists[n] for n in names)


def _detector(name: str, node: Located, lists: dict[str, tuple[Term, ...]]) -> Detector:
    table = mapping(node, f"detector {name}", _DETECTOR_KEYS)
    if "when" not in table:
        raise ContentError(f"{node.where}: detector {name} has no 'when'")
    examples = mapping(table["examples"], f"examples of {name}", _EXAMPLE_KEYS) \
        if "examples" in table else {}
    fire, calm = (tuple(t for t, _ in _texts(examples[k], "an example")) if k in examples
                  else () for k in ("fire", "calm"))
    return Detector(
        name=name, combinations=tuple(_combination(t, o, lists)
                                      for t, o in _texts(table["when"], "a combination")),
        fire_examples=fire, calm_examples=calm, origin=node.where)


def _sign(node: Located) -> Sign:
    table = mapping(node, "a sign", _SIGN_KEYS)
    for key in ("names", "means"):
        if key not in table:
            raise ContentError(f"{node.origin}: sign has no {key!r}")
    if isinstance(table["means"].value, list):
        raise ContentError(f"{table['means'].origin}: means must be one sentence, not a list")
    ((means, _),) = _texts(table["means"], "means")
    return Sign(tuple(_term(t, o) for t, o in _texts(table["names"], "a name")), means,
                node.origin)


def lexicon_from_yaml(node: Located) -> SymptomLexicon:
    """The `symptoms` table of a content file, validated; errors name file:line."""
    table = mapping(node, "symptoms", _TOP_KEYS)
    if "words" not in table:
        raise ContentError(f"{node.where}: symptoms has no 'words'")
    lists = _word_lists(table["words"])
    detectors = tuple(_detector(n, table[n], lists) for n in DETECTORS if n in table)
    signs = table["signs"].value if "signs" in table else []
    if not isinstance(signs, list):
        raise ContentError(f"{table['signs'].origin}: signs must be a list")
    return SymptomLexicon(detectors, tuple(_sign(s) for s in signs), node.where)

