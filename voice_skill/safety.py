"""Red-flag detection: pure functions over the content's rules, negation-aware, slip-tolerant.

A rule pattern is groups of alternatives ('bladder|bowel* + control|lost'). It fires when
every group has at least one occurrence in the utterance that is not negated. Negation is
judged per occurrence, inside its own clause, so "no chest pain, but my calf is hot and
swollen" still fires on the calf. A general question *about* a symptom ("can weakness be a
sign of ALS?") is not a report of one and is answered from the FAQ instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Indel

from .content import LEVELS, Content, RedFlagPattern, RedFlagRule, Term
from .normalize import clauses

# A clause also ends at these words: what follows a "but" is judged on its own.
_CONTRAST = {"but", "though", "although", "however", "except", "whereas", "just", "only"}
_NEGATION_CUES = {"no", "not", "never", "without", "nor", "neither", "none", "nothing",
                  "nobody", "denies", "free"}
_LIST_JOINS = {"or", "nor"}
_NEGATION_WINDOW = 3
"""How many words before a symptom a negation word still reaches."""
# "peeing is normal", "my bladder control is fine": a verdict after the symptom negates it.
_VERDICT_LINKS = {"is", "are", "was", "were", "feels", "feel", "seems", "seem", "looks", "look",
                  "still", "totally", "completely", "perfectly", "all", "has", "have", "been"}
_VERDICTS = {"normal", "fine", "ok", "okay", "alright", "good"}

_QUESTION_STARTS = {"what", "when", "why", "how", "which", "who", "where", "is", "are", "does",
                    "do", "can", "could", "should", "would", "will", "tell", "explain", "define",
                    "describe", "was", "were", "did", "whats"}
_FIRST_PERSON = {"my", "me", "mine", "myself", "we", "our", "us", "im", "ive"}
# "should i worry ..." asks about a symptom; "i have ..." or "if i have ..." reports one.
_INVERTED_BEFORE_I = {"should", "do", "can", "could", "would", "will", "shall", "must", "may",
                      "might", "did"}

# A recogniser often drops the t of "can't" ("i suddenly can move my leg at all", "i can feel
# anything between my legs"). These words need a negation before them in a statement, so
# after a subject, "can ... at all" is "can not ... at all".
_LOST_NEGATION_MODALS = {"can", "could"}
_NEGATIVE_ONLY = (("at", "all"), ("anything",), ("anymore",), ("any", "more"), ("a", "thing"))

_FUZZY_MIN_LENGTH = 8
"""Words this long tolerate one recogniser slip ('weekness'); shorter ones must match exactly."""
_FUZZY_MIN_SIMILARITY = 0.85
"""Normalised Indel similarity: one substituted letter in eight letters scores 0.875."""


@dataclass(frozen=True)
class RedFlagHit:
    rule: RedFlagRule
    heard: str
    """The words that fired the rule."""


@dataclass(frozen=True)
class Assessment:
    level: str
    """none, routine, urgent or emergency: the highest level among the hits."""
    hits: tuple[RedFlagHit, ...]
    """Fired rules, highest level first."""
    about_question: bool
    """The utterance asks about symptoms in general rather than reporting one."""


@dataclass(frozen=True)
class _Word:
    text: str
    clause: int
    matches: frozenset[str]
    """Pattern words this word satisfies."""


def word_matches(token: str, pattern_word: str) -> bool:
    """Exact, prefix ('weak*'), or for long words within one recogniser slip."""
    if pattern_word.endswith("*"):
        return token.startswith(pattern_word[:-1])
    if token == pattern_word:
        return True
    return _slip_of(token, pattern_word)


def _slip_of(token: str, word: str) -> bool:
    return (len(word) >= _FUZZY_MIN_LENGTH and token[:1] == word[:1]
            and Indel.normalized_similarity(token, word) >= _FUZZY_MIN_SIMILARITY)


class _WordIndex:
    """Every pattern word of a rule set, so a token finds its matches without a full scan."""

    def __init__(self, rules: tuple[RedFlagRule, ...]) -> None:
        words = {w for rule in rules for term in _terms(rule) for w in term.words}
        # A rule none of whose terms can start in an utterance is skipped without matching.
        self.starts = [frozenset(t.words[0] for p in rule.patterns for g in p.groups for t in g)
                       for rule in rules]
        """Per rule, in order: the pattern words its terms start with."""
        self.exact = {w for w in words if not w.endswith("*")}
        self.prefixes = {w[:-1] for w in words if w.endswith("*")}
        self.long = [w for w in self.exact if len(w) >= _FUZZY_MIN_LENGTH]
        self._cache: dict[str, frozenset[str]] = {}

    def matches(self, token: str) -> frozenset[str]:
        """The pattern words (with their '*') that token satisfies."""
        found = self._cache.get(token)
        if found is None:
            hits = {token} if token in self.exact else set()
            hits |= {token[:k] + "*" for k in range(1, len(token) + 1) if token[:k] in self.prefixes}
            if len(token) >= _FUZZY_MIN_LENGTH - 1:
                hits |= {w for w in self.long if _slip_of(token, w)}
            found = self._cache[token] = frozenset(hits)
        return found


def _terms(rule: RedFlagRule) -> list[Term]:
    return [t for p in rule.patterns for g in p.groups for t in g] + list(rule.ignored)


_INDEXES: dict[int, tuple[tuple[RedFlagRule, ...], _WordIndex]] = {}


def _index_for(rules: tuple[RedFlagRule, ...]) -> _WordIndex:
    """One index per rule set, kept while the rule set lives (the rules are held, so ids stay)."""
    entry = _INDEXES.get(id(rules))
    if entry is None or entry[0] is not rules:
        entry = _INDEXES[id(rules)] = (rules, _WordIndex(rules))
    return entry[1]


def restore_lost_negation(clause: list[str]) -> list[str]:
    """A spoken clause with "not" put back after "can" where only a negation makes sense:
    a statement ("i can move my leg at all") rather than a question ("can i move it at all")."""
    last = max((i for i in range(len(clause)) for words in _NEGATIVE_ONLY
                if tuple(clause[i:i + len(words)]) == words), default=0)
    if last == 0 or clause[0] in _QUESTION_STARTS:
        return clause
    modal = next((i for i in range(1, last) if clause[i] in _LOST_NEGATION_MODALS), None)
    if modal is None or any(word in _NEGATION_CUES for word in clause[modal + 1:last]):
        return clause
    return [*clause[:modal + 1], "not", *clause[modal + 1:]]


def utterance_words(text: str, index: _WordIndex, spoken: bool = False) -> list[_Word]:
    """Normalised words of text, each with its clause number and the pattern words it matches.
    spoken: a recogniser's reading, whose lost negations are restored first."""
    words: list[_Word] = []
    clause = 0
    for part in clauses(text):
        for token in restore_lost_negation(part) if spoken else part:
            if token in _CONTRAST:
                clause += 1
            words.append(_Word(token, clause, index.matches(token)))
        clause += 1
    return words


def _occurrences(words: list[_Word], term: Term) -> list[tuple[int, int]]:
    """(start, end) spans where term's words follow one another in one clause."""
    size = len(term.words)
    spans = []
    first = term.words[0]
    for start in range(len(words) - size + 1):
        if first not in words[start].matches:
            continue
        window = words[start:start + size]
        if window[0].clause == window[-1].clause and all(
                p in w.matches for w, p in zip(window, term.words)):
            spans.append((start, start + size))
    return spans


def _negated_before(words: list[_Word], start: int, covered: set[int]) -> bool:
    """A negation word shortly before, or further back across a list: 'no pain or swelling'."""
    clause = words[start].clause
    listed = False
    for distance, i in enumerate(range(start - 1, max(-1, start - 2 * _NEGATION_WINDOW - 1), -1)):
        if words[i].clause != clause:
            return False
        listed = listed or words[i].text in _LIST_JOINS
        if words[i].text in _NEGATION_CUES and i not in covered:
            return distance < _NEGATION_WINDOW or listed
    return False


def _negated_after(words: list[_Word], end: int) -> bool:
    clause = words[end - 1].clause
    for i in range(end, min(len(words), end + 4)):
        if words[i].clause != clause:
            return False
        if words[i].text in _VERDICTS:
            return i > end  # "fine" must follow a link word: "is fine", not "fine twitching"
        if words[i].text not in _VERDICT_LINKS:
            return False
    return False


def _group_spans(words: list[_Word], group: tuple[Term, ...]) -> list[tuple[int, int]]:
    """All spans of a group; a longer alternative wins where two start at the same word."""
    best: dict[int, int] = {}
    for term in group:
        for start, end in _occurrences(words, term):
            best[start] = max(best.get(start, start), end)
    return sorted(best.items())


def _pattern_match(words: list[_Word], pattern: RedFlagPattern, ignored: set[int]) -> str | None:
    """The words that fire pattern, or None when a group is absent or only negated."""
    spans_per_group = [[(s, e) for s, e in _group_spans(words, group)
                        if ignored.isdisjoint(range(s, e))] for group in pattern.groups]
    covered = {i for spans in spans_per_group for s, e in spans for i in range(s, e)}
    heard = []
    for spans in spans_per_group:
        live = [(s, e) for s, e in spans
                if not _negated_before(words, s, covered) and not _negated_after(words, e)]
        if not live:
            return None
        start, end = live[0]
        heard.append(" ".join(w.text for w in words[start:end]))
    return " ... ".join(heard)


def is_about_question(words: list[_Word]) -> bool:
    """A general question ('is weakness serious?') with no first-person report in it."""
    if not words or words[0].text not in _QUESTION_STARTS:
        return False
    for i, word in enumerate(words):
        if word.text in _FIRST_PERSON:
            return False
        if word.text == "i" and (i == 0 or words[i - 1].text not in _INVERTED_BEFORE_I):
            return False
    return True


def _rule_hit(words: list[_Word], rule: RedFlagRule) -> RedFlagHit | None:
    ignored = {i for term in rule.ignored for s, e in _occurrences(words, term) for i in range(s, e)}
    for pattern in rule.patterns:
        heard = _pattern_match(words, pattern, ignored)
        if heard is not None:
            return RedFlagHit(rule, heard)
    return None


def assess(text: str, rules: tuple[RedFlagRule, ...], spoken: bool = False) -> Assessment:
    """Which red flags text reports; the highest level wins.

    spoken: text is a recogniser's reading. Its first words are the least reliable part ("I
    just had a seizure" was heard as "why does had a seizure"), so an emergency is then never
    explained away as a general question; lower levels still are. A "can" that only makes
    sense as "can't" is read as "can't" (restore_lost_negation).
    """
    index = _index_for(rules)
    words = utterance_words(text, index, spoken)
    present = frozenset(m for w in words for m in w.matches)
    hits = [hit for rule, starts in zip(rules, index.starts)
            if not present.isdisjoint(starts) and (hit := _rule_hit(words, rule)) is not None]
    if hits and is_about_question(words):
        hits = [hit for hit in hits if spoken and hit.rule.level == "emergency"]
        if not hits:
            return Assessment("none", (), True)
    hits.sort(key=lambda hit: -LEVELS.index(hit.rule.level))
    level = hits[0].rule.level if hits else "none"
    return Assessment(level, tuple(hits), False)


def escalation_advice(assessment: Assessment, content: Content, emergency_number: str) -> str:
    """What to say for an escalation: what was heard, the level's advice, the rule's advice."""
    if not assessment.hits:
        return ""
    top = assessment.hits[0].rule
    advice = content.level_advice[top.level].replace("{emergency_number}", emergency_number)
    parts = [f"You mentioned {top.about}.", advice]
    parts += [hit.rule.advice for hit in assessment.hits if hit.rule.advice]
    return " ".join(dict.fromkeys(p for p in parts if p))
