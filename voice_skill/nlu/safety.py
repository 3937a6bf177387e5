"""Red-flag detection: pure functions over the content's rules, aware of what each mention asserts.

A rule pattern is groups of alternatives ('bladder|bowel* + control|lost'). It fires when
every group has at least one occurrence in the utterance that the person asserts as happening
now: not negated, not asked about or imagined, not heard or read, not long past, not a figure
of speech (nlu.assertion). Negation is judged per occurrence, inside its own clause, so
"no chest pain, but my calf is hot and swollen" still fires on the calf. A general question
*about* a symptom ("can weakness be a sign of ALS?") is not a report of one and is answered from
the FAQ instead. Each hit says whose symptom it is: the speaker's, or someone's they speak of.
"""

from __future__ import annotations

import collections
import itertools
from dataclasses import dataclass

from ..content.loader import (
    CUE_KINDS,
    LEVELS,
    AssertionCues,
    Content,
    RedFlagPattern,
    RedFlagRule,
    Term,
)
from .assertion import (
    ASKED,
    CONFIRMED,
    OTHER,
    PRESENT,
    SPEAKER,
    CueSpans,
    Position,
    confirmed_spans,
    experiencer,
    message_experiencer as whole_message_experiencer,
    mention_assertion,
    once_past_spans,
)
from .normalize import SIDES, SOFTENERS, questions, sentences
from .slips import TYPO_MIN_LENGTH, word_matches

# A clause also ends at these words: what follows a "but" is judged on its own.
_CONTRAST = {"but", "though", "although", "however", "except", "whereas", "just", "only"}
_NEGATION_CUES = {"no", "not", "never", "without", "nor", "neither", "none", "nothing",
                  "nobody", "denies", "free", "zero"}
_LIST_JOINS = {"or", "nor"}
# Words that end a rule's terms but say how long something lasts, or point back, rather than
# name a symptom: "the indigestion won't go and pain in my arm" negates the going, not the pain.
_NOT_SYMPTOMS = {"it", "go", "going", "gone", "stop", "stopped", "away", "keep", "keeps", "up",
                 "down", "off", "out", "better", "well", "pass", "end", "last", "help", "work",
                 "them", "this", "that", "there", "here", "me", "him", "her", "on", "in", "now",
                 "sleep", "ease", "easing"}
# A comma clause with one of these has a subject or verb of its own, so a negation before the
# comma does not reach into it ("no fever, my calf is swollen").
_OWN_CLAUSE = {"is", "are", "was", "were", "am", "has", "have", "had", "feels", "feel", "felt",
               "i", "my", "me", "he", "she", "his", "her", "it", "they", "we", "now", "but",
               "keeps", "keep", "got", "gets", "started", "can", "could", "will"}
# A time told after a negated verb says how long it lasts: "won't go after an hour".
_DURATIONS = {"since", "for", "after", "all"}
_STOPPING = frozenset({"stop", "stops", "stopped", "stopping", "ceased", "quit", "quitting"})
"""A negation before one of these denies the stopping: what follows goes on."""
_NEGATION_WINDOW = 3
"""How many words before a symptom a negation word still reaches."""
# "peeing is normal", "my bladder control is fine": a verdict after the symptom negates it.
_VERDICT_LINKS = {"is", "are", "was", "were", "feels", "feel", "seems", "seem", "looks", "look",
                  "still", "totally", "completely", "perfectly", "all", "has", "have", "been"}
_VERDICTS = {"normal", "fine", "ok", "okay", "alright", "good"}
_CLEFT_LINKS = {"that", "which", "who"}
_CLEFT_FOCUS = 4
"""How many words a cleft may put between its "it is not" and its "that" ("my left leg")."""

_QUESTION_STARTS = {"what", "when", "why", "how", "which", "who", "where", "is", "are", "does",
                    "do", "can", "could", "should", "would", "will", "tell", "explain", "define",
                    "describe", "was", "were", "did", "whats"}
_FIRST_PERSON = {"my", "me", "mine", "myself", "we", "our", "us", "im", "ive"}
# "should i worry ..." asks about a symptom; "i have ..." or "if i have ..." reports one.
# "why did I pass out this morning?" asks about the speaker's own past: a report.
_INVERTED_BEFORE_I = {"should", "do", "can", "could", "would", "will", "shall", "must", "may",
                      "might"}
# Someone in general: "why would someone's speech become slurred?" asks, it reports nothing.
_GENERIC_PERSONS = {"someone", "somebody", "anyone", "anybody"}
# "why can't my wife lift her arm" is "why my wife can't lift her arm": the negated verb is
# put back after its subject, so the rule's "can't lift" is heard.
_INVERTING = {"can", "could", "do", "does", "did", "will", "would", "is", "are", "was", "were",
              "has", "have"}
_PRONOUNS = {"i", "he", "she", "they", "we", "you"}
_DETERMINERS = {"my", "his", "her", "our", "their", "the", "your"}

# A recogniser often drops the t of "can't" ("i suddenly can move my leg at all", "i can feel
# anything between my legs"). These words need a negation before them in a statement, so
# after a subject, "can ... at all" is "can not ... at all".
_LOST_NEGATION_MODALS = {"can", "could"}
_NEGATIVE_ONLY = (("at", "all"), ("anything",), ("anymore",), ("any", "more"), ("a", "thing"))

_NO_CUES = AssertionCues()
"""Without the content's cues only negation is judged."""

@dataclass(frozen=True)
class RedFlagHit:
    rule: RedFlagRule
    heard: str
    """The words that fired the rule."""
    experiencer: str = SPEAKER
    """Whose symptom it is: SPEAKER, or OTHER (someone the person speaks of)."""
    learned: bool = False
    """Heard by the recall model (recall.py), not by the rule's words: heard is then ''."""


@dataclass(frozen=True)
class SetAside:
    """A rule whose words were all heard, but not as something happening now."""

    rule: RedFlagRule
    why: str
    """negated, hypothetical, hearsay, past or figurative (nlu.assertion)."""


@dataclass(frozen=True)
class Assessment:
    level: str
    """none, routine, urgent or emergency: the highest level among the hits."""
    hits: tuple[RedFlagHit, ...]
    """Fired rules, highest level first."""
    about_question: bool
    """The utterance asks about symptoms in general rather than reporting one."""
    set_aside: tuple[SetAside, ...] = ()
    """Rules whose words were heard but not asserted, so a decision can be traced."""

    @property
    def about_someone_else(self) -> bool:
        """The most urgent hit is someone else's symptom (the advice then says so)."""
        return bool(self.hits) and self.hits[0].experiencer == OTHER


@dataclass(frozen=True)
class _Word:
    text: str
    at: Position
    matches: frozenset[str]
    """Pattern and cue words this word satisfies."""
    stands_for: str = ""
    """For an "it" or "they" read as a symptom named before it, that symptom's word."""

    @property
    def clause(self) -> int:
        return self.at.clause


class _WordIndex:
    """Every pattern and cue word of a rule set, so a token finds its matches without a scan."""

    def __init__(self, rules: tuple[RedFlagRule, ...], cues: AssertionCues) -> None:
        symptom_words = {w for rule in rules for term in _terms(rule) for w in term.words}
        self.symptom_words = frozenset(symptom_words)
        words = symptom_words | {w for kind in CUE_KINDS for t in cues.of(kind) for w in t.words}
        self.cues = {kind: cues.of(kind) for kind in CUE_KINDS if cues.of(kind)}
        self.symptom_ends = frozenset(
            t.words[-1] for rule in rules for p in rule.patterns for g in p.groups for t in g
            if t.words[-1] not in _NOT_SYMPTOMS)
        """Words that end a symptom term: a negated list's items before an "and" end so."""
        self.exact = {w for w in words if not w.endswith("*")}
        self.prefixes = {w[:-1] for w in words if w.endswith("*")}
        # Typo tolerance is for the symptom words, never for the cues ('hes' is not 'her').
        self.long: dict[str, list[str]] = {}
        for w in symptom_words:
            if len(w.rstrip("*")) >= TYPO_MIN_LENGTH - 1:
                self.long.setdefault(w[0], []).append(w)
        self._cache: dict[str, frozenset[str]] = {}
        groups = [g for rule in rules for p in rule.patterns for g in p.groups]
        groups += [rule.ignored for rule in rules] + list(self.cues.values())
        # The index holds the rules and cues, so these ids stay theirs while it lives.
        self._by_first = {id(group): _by_first_word(group) for group in groups}
        self.first_words = {
            id(pattern): tuple(frozenset(self._by_first[id(group)]) for group in pattern.groups)
            for rule in rules for pattern in rule.patterns}
        """Per pattern, each group's first words: a pattern is looked at only if all are heard."""
        self.keyed = _keyed_patterns(rules, self.first_words)
        """Per pattern word, the patterns whose key group may start with it (_keyed_patterns)."""

    def by_first_word(self, group: tuple[Term, ...]) -> dict[str, tuple[Term, ...]]:
        """A group's terms by their first word (built once; any other group on the spot)."""
        found = self._by_first.get(id(group))
        return found if found is not None else _by_first_word(group)

    def matches(self, token: str) -> frozenset[str]:
        """The pattern and cue words (with their '*') that token satisfies."""
        found = self._cache.get(token)
        if found is None:
            hits = {token} if token in self.exact else set()
            hits |= {token[:k] + "*" for k in range(1, len(token) + 1)
                     if token[:k] in self.prefixes}
            if token not in self.exact and len(token) >= TYPO_MIN_LENGTH - 1 \
                    and token.isalpha():
                # 'numbess' starts like numb* but was meant as numbness: slips are looked
                # for even where a prefix matched ('weakly' is English, so never a slip), and
                # 'seizur' that starts like seiz* is a slip of the longer seizure*.
                hits |= {w for w in self.long.get(token[:1], ()) if w not in hits
                         and (not w.endswith("*") or all(len(w) > len(h) for h in hits))
                         and word_matches(token, w)}
            found = self._cache[token] = frozenset(hits)
        return found


def _keyed_patterns(rules: tuple[RedFlagRule, ...],
                    first_words: dict[int, tuple[frozenset[str], ...]]) -> dict[str, set[int]]:
    """Each pattern filed under the first words of one of its groups, the key: a pattern none of
    whose key words is heard cannot fire, so an utterance looks only at the patterns its own
    words file. Of 244 patterns, 177 per question were looked at before and 21 now, on
    bench/bench_match.py's questions; the red-flag check's median went from 0.44 to 0.32 ms.
    The key is the group whose words the fewest patterns share: 'my' and 'leg' start groups of
    many patterns and are said in most questions, a symptom word is rarer."""
    patterns = [pattern for rule in rules for pattern in rule.patterns]
    shared = collections.Counter(w for p in patterns for firsts in first_words[id(p)]
                                 for w in firsts)
    keyed: dict[str, set[int]] = {}
    for pattern in patterns:
        key = min(first_words[id(pattern)], key=lambda firsts: sum(shared[w] for w in firsts))
        for word in key:
            keyed.setdefault(word, set()).add(id(pattern))
    return keyed


def _by_first_word(group: tuple[Term, ...]) -> dict[str, tuple[Term, ...]]:
    found: dict[str, tuple[Term, ...]] = {}
    for term in group:
        found[term.words[0]] = found.get(term.words[0], ()) + (term,)
    return found


def _terms(rule: RedFlagRule) -> list[Term]:
    return [t for p in rule.patterns for g in p.groups for t in g] + list(rule.ignored)


_INDEXES: dict[tuple[int, int], tuple[tuple[RedFlagRule, ...], AssertionCues, _WordIndex]] = {}


def _index_for(rules: tuple[RedFlagRule, ...], cues: AssertionCues) -> _WordIndex:
    """One index per rule set and cues, kept while they live (both are held, so ids stay)."""
    entry = _INDEXES.get((id(rules), id(cues)))
    if entry is None or entry[0] is not rules or entry[1] is not cues:
        entry = _INDEXES[(id(rules), id(cues))] = (rules, cues, _WordIndex(rules, cues))
    return entry[2]


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


def uninvert_negative_question(clause: list[str]) -> list[str]:
    """ "why can not my wife lift her arm" as "why my wife can not lift her arm"."""
    if len(clause) < 5 or clause[0] != "why" or clause[1] not in _INVERTING \
            or clause[2] != "not":
        return clause
    size = 1 if clause[3] in _PRONOUNS else 2 if clause[3] in _DETERMINERS else 0
    if size == 2 and clause[4] in {"left", "right", "both", "little", "baby", "old"}:
        size = 3
    if not size or len(clause) <= 3 + size:
        return clause
    return [clause[0], *clause[3:3 + size], clause[1], "not", *clause[3 + size:]]


_FRONTED_NEGATIONS = (("not", "once"), ("never", "once"), ("not", "one", "time"), ("never",),
                      ("at", "no", "point"), ("at", "no", "time"))
_FRONTED_AUXILIARIES = {"have", "has", "had", "did", "do", "does", "was", "is", "am", "could"}


def unfront_negation(clause: list[str]) -> list[str]:
    """ "not once have I lost control" as "I have not once lost control": a negation put
    first, before its verb and subject, is put back where the negation window reads it."""
    for fronted in _FRONTED_NEGATIONS:
        size = len(fronted)
        if tuple(clause[:size]) == fronted and len(clause) > size + 2 \
                and clause[size] in _FRONTED_AUXILIARIES and clause[size + 1] in _PRONOUNS:
            negation = ["not"] if fronted[0] == "at" else list(fronted)
            return [clause[size + 1], clause[size], *negation, *clause[size + 2:]]
    return clause


def utterance_words(text: str, index: _WordIndex, spoken: bool = False) -> _Words:
    """Normalised words of text, each with its position and the pattern words it matches.
    spoken: a recogniser's reading, whose lost negations are restored first."""
    words: list[_Word] = []
    clause = block = 0
    for number, sentence in enumerate(sentences(text)):
        for part in sentence:
            part = unfront_negation(uninvert_negative_question(part))
            for token in restore_lost_negation(part) if spoken else part:
                if token in SOFTENERS:
                    continue
                if token in _CONTRAST:
                    clause += 1
                    block += 1
                elif token == "now" and words and words[-1].text == "and" \
                        and words[-1].clause == clause:
                    clause += 1  # "watch for my toes catching and now they do": a new clause
                words.append(_Word(token, Position(clause, block, number), index.matches(token)))
            clause += 1
        block += 1
    return _Words(words, index)


# Pronouns that may stand for a symptom named before. Number is not heard: "the odd leg cramp
# for years ... they've been waking me" is how people talk.
_STAND_INS = frozenset({"it", "they", "them", "this", "that"})
ANTECEDENT_SENTENCES = 1
"""How many sentences back a pronoun's symptom may be named: the one before, or its own."""
# "it" and "they" stand for a symptom as a clause's subject: at its start, after one of these
# ("and now it's in my arms"), after what someone has or had ("only my dad had it", "I've had
# it for six weeks"), or before a verb ("for the last month it never stops"). "Our mare does
# it all the time" has "it" as an object; "them" is an object anyway ("I started them").
_SUBJECT_AFTER = {"and", "but", "so", "well", "now", "then", "because", "cos", "since", "as",
                  "until", "till", "when", "still", "that", "though", "yet", "also", "again",
                  "even", "only", "just", "had", "has", "have", "got"}
_SUBJECT_VERBS = {"is", "was", "are", "were", "has", "have", "had", "will", "would", "can",
                  "could", "does", "did", "do", "keeps", "keep", "kept", "never", "still",
                  "started", "starts", "began", "begins", "goes", "went", "comes", "came",
                  "moved", "moves", "spread", "spreads", "seems", "feels", "felt", "gets", "got",
                  "stops", "stopped", "hurts", "wake", "wakes", "woke", "always", "only",
                  "also", "happens", "happened", "lasts", "lasted", "used", "come", "go"}


def _subject_at(words: list[_Word], i: int) -> bool:
    starts = i == 0 or words[i - 1].clause != words[i].clause \
        or words[i - 1].text in _SUBJECT_AFTER
    return starts or i + 1 < len(words) and words[i + 1].text in _SUBJECT_VERBS \
        and words[i + 1].clause == words[i].clause


def resolve_pronouns(words: _Words, index: _WordIndex) -> _Words:
    """Each "it", "they", "them", "this" or "that" after a referent symptom word (`referents`) in
    an earlier clause, at most a sentence back, also matches that word's pattern words: "The
    twitching started in my calf. Now it's in my arms." tells the spreading. Only the
    nearest fitting one counts, and a pronoun read so stands for it again further on.
    What such a pronoun may fire is limited in _pattern_match."""
    referents = index.cues.get("referents")
    if not referents:
        return words
    # A symptom denied is not what a later "it" goes on about: "no swelling, ... whether it's
    # anything" asks about the flickering.
    named = [s for s, e in _group_spans(words, referents) if e - s == 1 and not any(
        words[k].text in _NEGATION_CUES and words[k].clause == words[s].clause
        for k in range(max(0, s - 2), s))]
    if not named:
        return words
    resolved = list(words)
    for i, word in enumerate(words):
        if word.text not in _STAND_INS or word.text != "them" and not _subject_at(words, i):
            continue
        antecedent = next((j for j in reversed(named) if j < i
                           and resolved[j].clause < word.clause
                           and word.at.sentence - resolved[j].at.sentence <= ANTECEDENT_SENTENCES),
                          None)
        if antecedent is None:
            continue
        source = resolved[antecedent]
        inherited = source.matches & index.symptom_words
        resolved[i] = _Word(word.text, word.at, word.matches | inherited,
                            source.stands_for or source.text)
        named = sorted([*named, i])
    return _Words(resolved, index) if any(w.stands_for for w in resolved) else words


def _cue_spans(words: _Words, index: _WordIndex, marks: list[bool | None]) -> CueSpans:
    """Where each kind of cue occurs; a longer cue wins where two start at the same word.
    Of several sentences, one that is a general question ("Is losing bladder control a sign
    of a back problem? Asking for my revision notes.") is a hypothetical cue of its own."""
    spans = {kind: _group_spans(words, terms) for kind, terms in index.cues.items()}
    once = once_past_spans(words.texts, words.positions, spans)
    if once:
        spans["past"] = spans.get("past", []) + once
    confirmed = confirmed_spans(words.texts, words.positions, spans)
    if confirmed:
        spans[CONFIRMED] = confirmed
    if words and words[-1].at.sentence > 0:
        persons = {s for s, _ in spans.get("speaker", []) + _named_persons(words,
                                                                          spans.get("others", []))}
        for first, last in _sentence_bounds(words):
            sentence = words[first:last]
            if marks[sentence[0].at.sentence] is not False \
                    and is_about_question(sentence, None, index.symptom_words) \
                    and not persons.intersection(range(first, last)):
                spans.setdefault(ASKED, []).append((first, last))
    return CueSpans(spans)


def _sentence_bounds(words: list[_Word]) -> list[tuple[int, int]]:
    """(first, end) word positions of each sentence."""
    bounds: list[tuple[int, int]] = []
    for i, word in enumerate(words):
        if not bounds or word.at.sentence != words[bounds[-1][0]].at.sentence:
            bounds.append((i, i + 1))
        else:
            bounds[-1] = (bounds[-1][0], i + 1)
    return bounds


_SIDED = frozenset({"my", "his", "her", "your", "their", "our", "the"})


class _Words(list[_Word]):
    """An utterance's words, and where each pattern or cue word matches among them, so a term
    is looked for only where its first word is (a scan of every word for each of some 4,000
    terms took 0.7 of the 0.9 ms a question took, bench/bench_match.py)."""

    def __init__(self, words: list[_Word], index: _WordIndex) -> None:
        super().__init__(words)
        self.index = index
        self.texts = [word.text for word in words]
        self.positions = [word.at for word in words]
        self.sided = any(word.text in SIDES for word in words)
        """Whether a side ("left", "right") is said: only then may one sit inside a phrase."""
        self.sentence_sizes = collections.Counter(word.at.sentence for word in words)
        """Words per sentence (a short one is a fragment that adds to another)."""
        self.where: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            for match in word.matches:
                self.where.setdefault(match, []).append(i)


def _occurrences(words: _Words, term: Term) -> list[tuple[int, int]]:
    """(start, end) spans where term's words follow one another in one clause; a contrast word
    the term itself holds does not end its clause there ("used to be just in", "was only in")."""
    size = len(term.words)
    spans = []
    for start in words.where.get(term.words[0], ()):
        if start + size > len(words):
            break
        if size == 1:
            spans.append((start, start + 1))  # found by its first word already
            continue
        if term.words[1] not in words[start + 1].matches and not words.sided:
            continue  # most terms end here, before a window is cut: 0.32 -> 0.22 ms a question
        window = words[start:start + size]
        # The words first: most windows fail there, and that test is the cheaper one.
        if all(p in w.matches for w, p in zip(window, term.words)) and all(
                a.clause == b.clause or b.text in _CONTRAST for a, b in zip(window, window[1:])):
            spans.append((start, start + size))
        elif size > 1 and words.sided and any(w.text in SIDES
                                                for w in words[start + 1:start + size]) \
                and (end := _with_side(words, term, start)):
            spans.append((start, end))
    return spans


def _with_side(words: list[_Word], term: Term, start: int) -> int:
    """Where term ends if it matches with a side said after its possessive: the rules' "out of
    my hand" hears "out of my right hand" (0 if it does not match so)."""
    i = start
    for k, pattern in enumerate(term.words):
        if i < len(words) and k and words[i].text in SIDES and pattern not in \
                words[i].matches and words[i - 1].text in _SIDED and term.words[k - 1] in _SIDED:
            i += 1
        if i >= len(words) or pattern not in words[i].matches \
                or k and words[i].clause != words[i - 1].clause:
            return 0
        i += 1
    return i if i > start + len(term.words) else 0


def _negated_before(words: list[_Word], start: int, covered: set[int]) -> bool:
    """A negation word shortly before, or further back across a list: 'no pain or swelling',
    and across commas when the items between have no verb or person of their own: "my calf
    isn't swollen, red or hot", "denies numbness, incontinence or weakness"."""
    if _cleft_negated(words, start):
        return True
    if words[start].text in _DURATIONS or start and words[start - 1].text in _DURATIONS:
        return False  # "I haven't peed since last night": how long it has gone on, not denied
    clause = words[start].clause
    listed = False
    for distance, i in enumerate(range(start - 1, max(-1, start - 3 * _NEGATION_WINDOW - 1), -1)):
        if words[i].clause != clause:
            if words[i].at.block != words[start].at.block or not _bare_items(words, clause):
                return False
            clause, listed = words[i].clause, True
        listed = listed or words[i].text in _LIST_JOINS
        if words[i].text == "and" and not _shares_negation(words, i, start):
            return False
        if words[i].text in _STOPPING:
            return False  # "it hasn't stopped cramping": the stopping is denied, not the cramp
        if words[i].text in _NEGATION_CUES and i not in covered:
            return distance < _NEGATION_WINDOW or listed
    return False


def _cleft_negated(words: list[_Word], start: int) -> bool:
    """ "it's not my leg that's weak, it's the coffee": a cleft's "not" is said of what follows
    its "that", past the words it puts first (further back than the negation window reaches)."""
    clause = words[start].clause
    i = start - 1
    while i >= 0 and words[i].clause == clause and words[i].text in _VERDICT_LINKS:
        i -= 1
    if i < 0 or words[i].clause != clause or words[i].text not in _CLEFT_LINKS:
        return False
    for j in range(i - 1, max(1, i - _CLEFT_FOCUS - 1), -1):
        if words[j].clause != clause:
            return False
        if words[j].text == "not":
            return words[j - 1].text in {"is", "was"} and words[j - 2].text == "it"
    return False


def _shares_negation(words: list[_Word], joint: int, start: int) -> bool:
    """Whether a negation before the "and" at joint still reaches the symptom at start.
    It does over a list of symptoms ("no pain and swelling", "isn't red and hot"), and over a
    list an "or" or "nor" closes; not into a clause of its own ("it won't stop and my leg is
    numb"), nor past a negated verb that is no symptom ("the indigestion won't go and pain in
    my arm")."""
    if any(w.text in _OWN_CLAUSE for w in words[joint + 1:start]):
        return False
    clause = words[start].clause
    if any(w.text in _LIST_JOINS for w in words[start:] if w.clause == clause):
        return True
    if joint == 0 or words[joint - 1].clause != words[joint].clause:
        return False
    ends = getattr(words, "index", None)
    ends = ends.symptom_ends if ends is not None else frozenset()
    return not ends.isdisjoint(words[joint - 1].matches)


def _bare_items(words: list[_Word], clause: int) -> bool:
    """The clause is list items, not one with its own subject or verb ("red or hot", not
    "both legs are giving way"), in a list that an "or" or "nor" closes ("words all jumbled"
    after "I wasn't making sense," is no list)."""
    block = next(w.at.block for w in words if w.clause == clause)
    return all(w.text not in _OWN_CLAUSE for w in words if w.clause == clause) and any(
        w.text in _LIST_JOINS for w in words if w.clause >= clause and w.at.block == block)


def _negated_after(words: _Words, end: int) -> bool:
    if _answered_no(words, end):
        return True
    clause = words[end - 1].clause
    for i in range(end, min(len(words), end + 4)):
        if words[i].clause != clause:
            return False
        if words[i].text in _VERDICTS:
            return i > end  # "fine" must follow a link word: "is fine", not "fine twitching"
        if words[i].text not in _VERDICT_LINKS:
            return False
    return False


_ANSWERS_NO = frozenset({"no", "nope", "nah", "naw", "nae", "none", "nil", "negative", "never",
                         "nothing"})
_ANSWERS_IN_ITEM = frozenset({"no", "nope", "nah", "naw", "nil", "none", "negative"})
"""Answers that may follow an item without a comma ("foot drop no"), unlike an object."""
_ANSWER_WORDS = _ANSWERS_NO | {"not", "at", "all", "really", "thankfully", "thank", "god",
                               "definitely", "absolutely", "sir", "madam", "mate", "doctor",
                               "like", "that", "of", "the", "sort", "kind", "i", "do", "have",
                               "got", "any", "it", "those", "one", "them"}
_ITEM_BREAKS = frozenset({"and", "but", "or", "because", "so", "is", "are", "was", "were", "has",
                          "have", "i", "my", "he", "she", "it", "they"})
"""Words that start a report of its own after a sign's word, where an item stops: "weak and no
strength", "numb, my hands are"."""
ASKED_ITEM_WORDS = 4
"""How long a sentence may be and still be one item of a checklist ("Any weakness?")."""


def _answered_no(words: _Words, end: int) -> bool:
    """A sign named as an item and answered no at once: "weakness nil", "breathless, no",
    "Face drooping? Nah.", "any numbness in hands? no." The item is a clause, or a sentence, of
    at most ASKED_ITEM_WORDS; the answer is a clause of its own made only of a no and its
    softeners. "my legs are numb. No idea why" and "numb, no feeling at all" answer nothing.
    Only a sign's own words are answered so: an ability asked ("Can she stand? No.") is no
    term of a rule."""
    here = words[end - 1].at
    # The item may go on past the sign's word: "weak leg, no", "numbness in hands? no."
    while end < len(words) and words[end].at.clause == here.clause \
            and words[end].text not in _ANSWERS_NO and words[end].text not in _ITEM_BREAKS:
        end += 1
    if end >= len(words):
        return False
    answer = words[end].at
    if answer.clause == here.clause and (
            words[end].text not in _ANSWERS_IN_ITEM
            or end + 1 < len(words) and words[end + 1].at.clause == here.clause):
        return False  # "stumbling over nothing" (an object), "numb no feeling" (words of its own)
    if sum(1 for word in words if word.at.clause == here.clause) > ASKED_ITEM_WORDS:
        return False  # "trying to pee for hours, nothing at all" tells: it is no item
    if answer.sentence != here.sentence and \
            words.sentence_sizes[here.sentence] > ASKED_ITEM_WORDS:
        return False
    return _says_no([w.text for w in words[end:] if w.at.clause == answer.clause])


def _says_no(answer: list[str]) -> bool:
    """A clause made only of a no and its softeners: "no", "nope, not at all", "nothing like
    that", "I don't have". Not "not one" or "not the left" (the "not" of a comparison), nor a
    bare "nothing", which may be what did not come ("Stood there for ages, nothing.")."""
    if not all(word in _ANSWER_WORDS for word in answer):
        return False
    if not (_ANSWERS_NO - {"nothing"}).isdisjoint(answer) or answer[:2] in (
            ["nothing", "like"], ["nothing", "of"]):
        return True
    return any(word == "not" and (after in {"really", "at"} or before == "do")
               for before, word, after in zip([""] + answer, answer, answer[1:] + [""]))


def _group_spans(words: _Words, group: tuple[Term, ...]) -> list[tuple[int, int]]:
    """All spans of a group; a longer alternative wins where two start at the same word."""
    best: dict[int, int] = {}
    by_first = words.index.by_first_word(group)
    firsts = words.where.keys() if len(words.where) < len(by_first) else by_first.keys()
    for first in firsts:
        if first not in words.where:
            continue
        for term in by_first.get(first, ()):
            for start, end in _occurrences(words, term):
                best[start] = max(best.get(start, start), end)
    return sorted(best.items())


@dataclass(frozen=True)
class _Fired:
    heard: str
    start: int
    """Where the first group's words begin (for whose symptom it is)."""


def _pattern_match(words: _Words, pattern: RedFlagPattern, ignored: set[int],
                   cues: CueSpans, rule: RedFlagRule) -> _Fired | str:
    """The words that fire pattern, or why it does not fire: 'absent' when a group is not
    heard at all (or not near enough the others), else what its mentions assert instead.

    Every group needs an occurrence that is not negated, all of them within the rule's reach
    of one another. Of the ways to pick one occurrence per group, one whose deciding mention
    is asserted as present wins. The deciding mention is the earliest that is not just a
    body part, as a ConText trigger's scope covers where a mention starts: in "my calf cramps
    when I walk and eases if I stop" the cramp is reported, and the "if" belongs to its
    circumstances; "what if my calf swells" reports nothing.
    """
    spans_per_group = []
    for group in pattern.groups:
        spans = [(s, e) for s, e in _group_spans(words, group) if ignored.isdisjoint(range(s, e))]
        if not spans:
            return "absent"
        spans_per_group.append(spans)
    covered = {i for spans in spans_per_group for s, e in spans for i in range(s, e)}
    texts, positions = words.texts, words.positions
    judged_per_group = []
    for number, spans in enumerate(spans_per_group):
        history = rule.history or rule.first_decides and number > 0
        judged = [(s, e, mention_assertion(texts, positions, s, e, cues, history,
                                             rule.episode))
                  for s, e in spans
                  if not _negated_before(words, s, covered) and not _negated_after(words, e)]
        if not judged:
            return "negated"
        judged_per_group.append(judged)
    picks = [pick for pick in itertools.product(*judged_per_group) if (rule.reach is None
             or max(e for _, e, _ in pick) - min(s for s, _, _ in pick) <= rule.reach)
             and _stand_ins_told(words, pick) and _told_together(words, pick, rule)]
    if not picks:
        return "absent"
    deciding = [min((j for j in _deciders(pick, rule) if not _only_body(j[0], j[1], cues)),
                    default=min(pick)) for pick in picks]
    # In a rule for words common in long stories (one with a reach), a part named only in a
    # general question of its own sentence is asked, not told: "I've been driving for years.
    # Can stress cause calf twitching?" is no twitching for years. (Not in every rule: a
    # question after a sentence that holds the rest of a sign is as often the asker's own.)
    keep = [i for i, pick in enumerate(picks) if rule.reach is None or not any(
        _inside_asked(j[0], cues) and words[j[0]].at.sentence != words[deciding[i][0]].at.sentence
        for j in pick)]
    if not keep:
        return "hypothetical"
    picks, deciding = [picks[i] for i in keep], [deciding[i] for i in keep]
    best = min(range(len(picks)), key=lambda i: (deciding[i][2] != PRESENT, deciding[i][0]))
    if deciding[best][2] != PRESENT:
        return deciding[best][2]
    heard = " ... ".join(" ".join(_heard(words[i]) for i in range(s, e))
                         for s, e, _ in picks[best])
    return _Fired(heard, min(s for s, _, _ in picks[best]))


def _deciders(pick: tuple[tuple[int, int, str], ...],
              rule: RedFlagRule) -> tuple[tuple[int, int, str], ...]:
    """The mentions that may decide whether a pick is happening now: all of them, or for a
    rule whose later groups say what brought the sign or how long it lasted (a wound last
    week, "every day"), the first group's: "sitting in traffic for hours every day. Since
    Thursday my calf has been jumping" is decided by the jumping."""
    return pick[:1] if rule.first_decides else pick


FRAGMENT_WORDS = 8
"""A sentence this short adds to the one before it ("My calf twitches. Six weeks now.")."""


def _told_together(words: _Words, pick: tuple[tuple[int, int, str], ...],
                   rule: RedFlagRule) -> bool:
    """For a rule whose words are common in long stories (one with a reach), a sign's words
    are told in one sentence, or one of its sentences is a fragment that adds to another: in a
    long message, "I've been taking it for two years." and "My calf twitches small after
    training." are no twitching for two years. Other rules' words may come from anywhere in
    what was said ("I cut my foot on a rusty nail last week. Now my calves cramp.")."""
    sentences = {words[s].at.sentence for s, _, _ in pick}
    if len(sentences) == 1 or rule.reach is None or rule.history:
        return True  # a relative is named in one sentence and their illness in the next
    return any(words.sentence_sizes[n] <= FRAGMENT_WORDS for n in sentences)


def _heard(word: _Word) -> str:
    return f"{word.text} ({word.stands_for})" if word.stands_for else word.text


def _stand_ins_told(words: list[_Word], pick: tuple[tuple[int, int, str], ...]) -> bool:
    """A pronoun read as a symptom (resolve_pronouns) adds only what its own sentence says of
    it: "The twitching is in my calf. Now it's in my arms" fires, but no rule fires on the
    pronoun alone ("My friend had a seizure. It was scary.") nor on it together with words of
    another sentence."""
    pronouns = {words[s].at.sentence for s, e, _ in pick if e - s == 1 and words[s].stands_for}
    if not pronouns:
        return True
    told = [(s, e) for s, e, _ in pick if not (e - s == 1 and (
        words[s].stands_for or words[s].text in _STAND_INS))]
    return bool(told) and len(pronouns) == 1 and all(
        words[s].at.sentence in pronouns for s, _ in told)


def _inside_asked(start: int, cues: CueSpans) -> bool:
    return any(s <= start < e for s, e in cues.of(ASKED))


def _only_body(start: int, end: int, cues: CueSpans) -> bool:
    """A mention made only of body words ('my calf'): where the body part is named says
    nothing of whether the symptom is happening, the rest of the pattern does."""
    return any(s <= start and end <= e for s, e in cues.of("body"))


_WH_WORDS = frozenset({"what", "whats", "why", "how", "when", "where", "which", "who"})


def _question_marks(text: str, spoken: bool, firsts: list[str],
                    with_commas: list[bool]) -> list[bool | None]:
    """Per sentence, whether typed punctuation says it is a question (True), a statement
    (False) or nothing (None). In typed text with no question mark anywhere, a sentence with
    commas is taken as a statement: "Did a hot yoga class, sweated buckets, now my calves
    cramp" drops its "I", it does not ask; one that opens with a question word still asks
    ("wot does it mean if ur calf swells up, like is that a clot thing"), and one without
    commas is judged by its words ("ink everywhere. is twitching linked to calcium"). A
    recogniser writes no punctuation, so speech is judged by its words. firsts: each
    sentence's first word, as the words were split; with_commas: whether it has more than
    one clause. A text of one sentence keeps the old reading, commas or not."""
    count = max(1, len(firsts))
    if spoken:
        return [None] * count
    marks = questions(text) or [None]
    if "?" not in text and "," in text:
        marks = [False if mark is None and not (i < len(firsts) and firsts[i] in _WH_WORDS)
                 and (i >= len(with_commas) or with_commas[i] or len(marks) == 1)
                 else mark for i, mark in enumerate(marks)]
    return marks + [None] * (count - len(marks))


# "Is it bad that one trouser leg is looser now?" asks about a fact it states: after these
# openers, "one" or "this" points at something here ("is it normal that twitching spreads?"
# still asks in general).
_FACTIVE_OPENERS = (("is", "it", "bad", "that"), ("is", "it", "normal", "that"),
                    ("is", "it", "ok", "that"), ("is", "it", "okay", "that"),
                    ("is", "it", "serious", "that"))
# ("Should I worry that ..." reaches here as "is it bad that": normalize rewrites it.)
_POINTING = {"one", "this", "these"}
_AT_A_SIGN = frozenset({"this", "these"})
"""Before a sign's word, these point at one the asker has: "is this numbness serious?"."""


def _states_a_fact(words: list[_Word]) -> bool:
    texts = [w.text for w in words[:6]]
    return any(tuple(texts[:len(o)]) == o and _POINTING.intersection(texts[len(o):len(o) + 2])
               for o in _FACTIVE_OPENERS)


def is_about_question(words: list[_Word], cues: CueSpans | None = None,
                      symptom_words: frozenset[str] = frozenset()) -> bool:
    """A general question ('is weakness serious?') with no report by or about a person in it.
    A sign pointed at ("is this chest pain something to worry about?") is the asker's own."""
    if not words or words[0].text not in _QUESTION_STARTS or _states_a_fact(words):
        return False
    if any(word.text in _AT_A_SIGN and not symptom_words.isdisjoint(after.matches)
           for word, after in zip(words, words[1:])):
        return False
    if len(words) > 1 and words[1].text == "not":
        return False  # "can't breathe", "couldn't feel a thing": a report without its "I"
    if cues is not None and _named_persons(words, cues.of("others")):
        return False
    for i, word in enumerate(words):
        if word.text in _FIRST_PERSON:
            return False
        if word.text == "i" and (i == 0 or words[i - 1].text not in _INVERTED_BEFORE_I):
            return False
    return True


def _named_persons(words: list[_Word], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans that name a person, not someone in general ("why would someone faint?")."""
    return [(s, e) for s, e in spans
            if " ".join(w.text for w in words[s:e]) not in _GENERIC_PERSONS]


def _all_groups_started(words: _Words, pattern: RedFlagPattern) -> bool:
    """Whether every group's first words are heard: most patterns fail here, before any span
    is looked for (a pattern's first groups are often common words such as 'my' or 'leg')."""
    heard = words.where.keys()
    return not any(heard.isdisjoint(firsts) for firsts in words.index.first_words[id(pattern)])


def _rule_hit(words: _Words, rule: RedFlagRule, cues: CueSpans,
              keyed: set[int]) -> RedFlagHit | SetAside | None:
    """keyed: the patterns the utterance's words file (_keyed_patterns)."""
    patterns = [pattern for pattern in rule.patterns
                if id(pattern) in keyed and _all_groups_started(words, pattern)]
    if not patterns:
        return None
    ignored = {i for s, e in _group_spans(words, rule.ignored) for i in range(s, e)}
    reasons = []
    for pattern in patterns:
        found = _pattern_match(words, pattern, ignored, cues, rule)
        if isinstance(found, _Fired):
            who = SPEAKER if rule.history else experiencer(found.start, cues)
            return RedFlagHit(rule, found.heard, who)
        reasons.append(found)
    why = next((r for r in reasons if r != "absent"), None)
    return SetAside(rule, why) if why else None


def _read(text: str, rules: tuple[RedFlagRule, ...], spoken: bool,
          cues: AssertionCues | None) -> tuple[_WordIndex, _Words, list[bool | None], CueSpans]:
    """text's words (pronouns resolved), which sentences ask, and where each cue is."""
    index = _index_for(rules, cues or _NO_CUES)
    words = resolve_pronouns(utterance_words(text, index, spoken), index)
    bounds = _sentence_bounds(words)
    marks = _question_marks(text, spoken, [words[s].text for s, _ in bounds],
                            [words[s].at.clause != words[e - 1].at.clause for s, e in bounds])
    return index, words, marks, _cue_spans(words, index, marks)


def assess(text: str, rules: tuple[RedFlagRule, ...], spoken: bool = False,
           cues: AssertionCues | None = None) -> Assessment:
    """Which red flags text reports as happening now; the highest level wins.

    cues: the content's assertion cues (Content.cues); without them only negation is judged.
    spoken: text is a recogniser's reading. Its first words are the least reliable part ("I
    just had a seizure" was heard as "why does had a seizure"), so an emergency is then never
    explained away as a general question; lower levels still are. A "can" that only makes
    sense as "can't" is read as "can't" (restore_lost_negation).
    """
    index, words, marks, spans = _read(text, rules, spoken, cues)
    keyed = set().union(*(index.keyed.get(word, ()) for word in words.where))
    results = [result for rule in rules if (result := _rule_hit(words, rule, spans, keyed))]
    hits = [r for r in results if isinstance(r, RedFlagHit)]
    set_aside = tuple(r for r in results if isinstance(r, SetAside))
    # "Is chest pain like this serious? It's there now." asks, then says it is happening.
    asks = marks[0] is not False and is_about_question(words, spans, index.symptom_words) \
        and not spans.of(CONFIRMED)
    if hits and asks:
        kept = [hit for hit in hits if spoken and hit.rule.level == "emergency"]
        set_aside += tuple(SetAside(hit.rule, "hypothetical") for hit in hits if hit not in kept)
        if not kept:
            return Assessment("none", (), True, set_aside)
        hits = kept
    hits.sort(key=lambda hit: -LEVELS.index(hit.rule.level))
    level = hits[0].rule.level if hits else "none"
    asked = not hits and bool(set_aside) and asks
    return Assessment(level, tuple(hits), asked, set_aside)


def message_experiencer(text: str, rules: tuple[RedFlagRule, ...], spoken: bool = False,
                        cues: AssertionCues | None = None) -> str:
    """Whose sign a whole message tells, for a sign no words placed (the recall model's): see
    assertion.message_experiencer. Measured on the tuning sets' red-flag rows whose class says
    whose sign it is (1,601): 1,483 right, against 1,425 for the last person named and 1,364 for
    the first; held-out A and C: 94 of 95."""
    return whole_message_experiencer(_read(text, rules, spoken, cues)[3])


def escalation_advice(assessment: Assessment, content: Content, emergency_number: str) -> str:
    """What to say for an escalation: what was heard, the level's advice (for someone else's
    symptom, its advice for that), the rule's advice."""
    if not assessment.hits:
        return ""
    top = assessment.hits[0].rule
    advice = content.level_advice[top.level]
    if assessment.about_someone_else:
        advice = content.someone_else_advice.get(top.level, advice)
    # The recall model read a sign into the whole sentence: said as a likelihood, not a fact.
    heard = content.messages.red_flag_learned.format(what=top.about) if assessment.hits[0].learned \
        else f"You mentioned {top.about}."
    parts = [heard, advice.replace("{emergency_number}", emergency_number)]
    parts += [hit.rule.advice for hit in assessment.hits if hit.rule.advice]
    return " ".join(dict.fromkeys(p for p in parts if p))
