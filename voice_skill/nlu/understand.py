"""Decide what an utterance asks for: red flags first, then fuzzy FAQ matching.

Three outcomes of matching: a confident best dialog is answered; two topics close together
ask 'Did you mean A or B?'; a low score gets the fallback (intent None).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from ..asr.base import Word
from ..content.loader import LEVELS, Content, Dialog
from ..settings import MatchSettings
from .doubt import split_doubts
from .matchindex import PhrasingIndex, Query, sorted_tokens
from .normalize import content_words, normalize, stem
from .recall import SecondOpinion, told_of
from .safety import Assessment, assess, message_experiencer

Scorer = Callable[..., float]

OUT_OF_DOMAIN_FLOOR = 0.6
"""Score factor when no word of the question occurs in any dialog (1.0 when all do)."""


@dataclass(frozen=True)
class Match:
    dialog_id: str
    score: float
    """0-100: how well the utterance fits the dialog's best phrasing."""


@dataclass(frozen=True)
class Confirmation:
    """A red flag the recogniser was unsure of, to be asked back before it escalates."""

    question: str
    """The yes/no question: 'Did you mention weakness?'."""
    assessment: Assessment
    """What a yes escalates with: the unsure red flag first, with any sure ones."""
    otherwise: str
    """The outcome a no leaves: escalate (a sure, less urgent red flag), answer, clarify,
    fallback or empty."""

    @property
    def level(self) -> str:
        return self.assessment.level

    @property
    def rule(self) -> str:
        """The id of the red-flag rule asked about."""
        return self.assessment.hits[0].rule.id


@dataclass(frozen=True)
class Decision:
    """Everything the conversation layer needs to respond to one utterance."""

    text: str
    """What was heard or typed."""
    normalized: str
    intent: str | None
    """Best dialog id, or None when nothing fits (out of scope)."""
    score: float
    outcome: str
    """answer, clarify, fallback, escalate, confirm (ask an unsure red flag back) or empty."""
    candidates: tuple[Match, ...]
    """The best two distinct dialogs, best first."""
    assessment: Assessment
    """The red flags to act on now (for confirm: the sure ones only)."""
    confirm: Confirmation | None = None
    """For outcome confirm: what to ask, and what a yes or a no leads to."""

    @property
    def escalation(self) -> str:
        return self.assessment.level

    @property
    def confirmed(self) -> Decision:
        """After a yes to the confirmation: the escalation it asked about."""
        assert self.confirm is not None
        return dataclasses.replace(self, outcome="escalate", assessment=self.confirm.assessment,
                                   confirm=None)

    @property
    def denied(self) -> Decision:
        """After a no: what the utterance gets without the red flag asked about."""
        assert self.confirm is not None
        return dataclasses.replace(self, outcome=self.confirm.otherwise, confirm=None)


CONVERSATION_WHOLE_MATCH = 85.0
"""Conversational phrasings ('tell me more', 'say that again') are mostly stop words, so they
are also compared whole; a whole-text score counts only this close to a known phrasing."""


class Matcher:
    """Ranks dialogs by how well an utterance fits their phrasings, built once per content.

    A dialog's keyword heard together with another word of the domain lifts that dialog to
    keyword_floor (the answer threshold): a topic named inside a long story ("my mri report
    says annular fissure at l4 l5, is that serious") is answered even though the story's
    length keeps its fuzzy score low. Measured on typed paraphrases nobody tuned on (two sets,
    199 and 179 questions): intent 0.905 -> 0.925 and 0.726 -> 0.804, out-of-scope refusals
    unchanged; the development set unchanged (0.978), spoken +1 and -1 item. A keyword alone
    ("how do i cure a hangover") is not enough, nor is a conversational keyword.
    """

    def __init__(self, dialogs: tuple[Dialog, ...], scorer: Scorer = fuzz.token_sort_ratio,
                 keyword_bonus: float = 12.0, score_cutoff: float = 40.0,
                 keyword_floor: float = MatchSettings().answer_threshold) -> None:
        owners: dict[str, set[str]] = {}
        for dialog in dialogs:
            for phrasing in dialog.phrasings:
                owners.setdefault(content_words(phrasing), set()).add(dialog.id)
                if dialog.is_conversation:
                    owners.setdefault(phrasing, set()).add(dialog.id)
        # Distinct phrasings can share content words; each is scored once.
        self._choices = list(owners)
        self._owners = [sorted(owners[choice]) for choice in self._choices]
        self.conversational = frozenset(d.id for d in dialogs if d.is_conversation)
        self._keywords: dict[str, list[tuple[str, list[str]]]] = {}
        for dialog in dialogs:
            for keyword in dialog.keywords:
                words = keyword.split()
                self._keywords.setdefault(words[0], []).append((dialog.id, words))
        self._keyword_words = {d.id: {stem(w) for k in d.keywords for w in k.split()}
                               for d in dialogs}
        self._vocabulary = {w for d in dialogs if not d.is_conversation
                            for p in d.phrasings for w in content_words(p).split()}
        self._vocabulary |= {stem(w) for k in self._keywords.values() for _, ws in k for w in ws}
        self._scorer = scorer
        self._keyword_bonus = keyword_bonus
        self._keyword_floor = keyword_floor
        self._score_cutoff = score_cutoff
        """Raw scores below this can never reach the fallback line, so are not collected."""
        # The index's bounds hold for token_sort_ratio only, and assume a bonus never lowers.
        self._index = PhrasingIndex(
            self._choices, self._owners, [d.id for d in dialogs], self.conversational,
            score_cutoff, CONVERSATION_WHOLE_MATCH) \
            if scorer is fuzz.token_sort_ratio and keyword_bonus >= 0 else None

    def rank(self, normalized: str, limit: int = 2) -> tuple[Match, ...]:
        """The best `limit` distinct dialogs for a normalised utterance, best first.

        Scores only phrasings that can still change the answer (matchindex.py). With 100 times
        the shipped phrasings, matching took 41.9 ms per question scanned and 1.9 ms indexed
        (bench/bench_match.py, median of 137 questions).
        """
        if self._index is None:
            return self.rank_by_scan(normalized, limit)
        if not normalized:
            return ()
        ranked = self._index.top(self._query(normalized), limit)
        return tuple(Match(owner, round(min(100.0, score), 1)) for owner, score in ranked)

    def _query(self, normalized: str) -> Query:
        """The utterance with the weight, bonus and floors rank_by_scan applies."""
        query = content_words(normalized)
        weight = self._in_domain_weight(query.split())
        known = [w for w in query.split() if w in self._vocabulary]
        owners = tuple(self._keyword_owners(normalized.split()))
        floored = frozenset(o for o in owners if o not in self.conversational and
                            any(w not in self._keyword_words[o] for w in known))
        return Query(sorted_tokens(query), sorted_tokens(normalized), weight,
                     self._keyword_bonus * weight, owners, floored, self._keyword_floor)

    def rank_by_scan(self, normalized: str, limit: int = 2) -> tuple[Match, ...]:
        """rank's reference: every phrasing scored with the scorer, as process.extract does."""
        if not normalized:
            return ()
        query = content_words(normalized)
        weight = self._in_domain_weight(query.split())
        best: dict[str, float] = {}
        passes = ((query, self._score_cutoff, False), (normalized, CONVERSATION_WHOLE_MATCH, True))
        for form, cutoff, whole in passes:
            for _, score, index in process.extract(form, self._choices, scorer=self._scorer,
                                                   limit=None, score_cutoff=cutoff):
                for owner in self._owners[index]:
                    if whole and owner not in self.conversational:
                        continue
                    best[owner] = max(best.get(owner, 0.0), score if whole else score * weight)
        known = [w for w in query.split() if w in self._vocabulary]
        for owner in self._keyword_owners(normalized.split()):
            if owner in best:
                best[owner] += self._keyword_bonus * weight
            if owner not in self.conversational and \
                    any(w not in self._keyword_words[owner] for w in known):
                best[owner] = max(best.get(owner, 0.0), self._keyword_floor)
        # Rank on the uncapped sum, so a keyword still decides between two perfect fuzzy matches.
        ranked = sorted(best.items(), key=lambda item: -item[1])[:limit]
        return tuple(Match(owner, round(min(100.0, score), 1)) for owner, score in ranked)

    def _keyword_owners(self, words: list[str]) -> list[str]:
        """Dialogs with a keyword in the utterance, in the order their keywords are heard (each
        dialog's bonus counts once). A list, not a set: two dialogs lifted to the keyword floor
        tie, and a set's order changed with PYTHONHASHSEED (held-out posts: 163 to 165 of 180
        right across six seeds, bench/bench_embed.py); now the first topic named wins."""
        return list(dict.fromkeys(
            owner for i, word in enumerate(words) for owner, keyword in self._keywords.get(word, ())
            if words[i:i + len(keyword)] == keyword))

    def _in_domain_weight(self, query_words: list[str]) -> float:
        """Out-of-scope questions share few words with any dialog ('bake bread'): scale down."""
        known = sum(1 for w in query_words if w in self._vocabulary)
        coverage = known / len(query_words) if query_words else 0.0
        return OUT_OF_DOMAIN_FLOOR + (1 - OUT_OF_DOMAIN_FLOOR) * coverage


def _outcome(candidates: tuple[Match, ...], settings: MatchSettings,
             conversational: frozenset[str] = frozenset()) -> str:
    if not candidates or candidates[0].score < settings.fallback_threshold:
        return "fallback"
    if len(candidates) > 1 and conversational & {candidates[0].dialog_id, candidates[1].dialog_id}:
        # "Did you mean repeat or sciatica?" helps nobody: answer only a strong match.
        return "answer" if candidates[0].score >= settings.answer_threshold else "fallback"
    if len(candidates) > 1 and candidates[0].score < settings.confident_threshold \
            and candidates[0].score - candidates[1].score < settings.clarify_margin:
        return "clarify"
    if candidates[0].score < settings.answer_threshold:
        # Weak on its own: worth a question only when a second topic is about as likely.
        return "clarify" if len(candidates) > 1 and \
            candidates[1].score >= settings.fallback_threshold else "fallback"
    return "answer"


def _most_urgent(assessments: list[Assessment]) -> Assessment:
    return max(assessments, key=lambda a: LEVELS.index(a.level))


@dataclass(frozen=True)
class _Reading:
    text: str
    normalized: str
    candidates: tuple[Match, ...]
    matched: str
    """answer, clarify, fallback or empty."""

    @property
    def score(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


def _read(text: str, matcher: Matcher, settings: MatchSettings) -> _Reading:
    normalized = normalize(text)
    candidates = matcher.rank(normalized)
    matched = _outcome(candidates, settings, matcher.conversational) if normalized else "empty"
    return _Reading(text, normalized, candidates, matched)


def _best_reading(text: str, alternatives: tuple[str, ...], matcher: Matcher,
                  settings: MatchSettings) -> _Reading:
    """The recogniser's best reading, unless a next-best one is answered with a higher score."""
    best = _read(text, matcher, settings)
    for alternative in alternatives:
        reading = _read(alternative, matcher, settings)
        if reading.matched == "answer" and reading.score > best.score:
            best = reading
    return best


def _other_complaint(text: str, content: Content) -> bool:
    """A bodily complaint that is no twitching, cramp or leg pain (symptoms.yaml: unplaced and
    not report): the second opinion learned from leg and muscle messages, and read "I keep
    throwing up" or "a bad cough" as red flags, so it stays out; the rules still judge."""
    return content.symptoms.fires("unplaced", text) and not content.symptoms.fires("report", text)


def decide(text: str, content: Content, matcher: Matcher, settings: MatchSettings,
           alternatives: tuple[str, ...] = (), spoken: bool = False,
           second_opinions: tuple[str, ...] = (), words: tuple[Word, ...] = (),
           confirm_below: float | None = None,
           recall: SecondOpinion | None = None) -> Decision:
    """Red flags first (they win over any answer), then the FAQ match and its outcome.

    alternatives: a recogniser's next-best readings of the same speech. Missing a red flag is
    the worst mistake this product can make, so every reading is checked for red flags. The
    answer comes from the best reading unless a next-best one fits a dialog better and is
    answered: on the spoken development set (445 questions) intent accuracy went from 0.757 to
    0.793, with one more out-of-scope question answered (12 of 30).
    spoken: text comes from a recogniser (see safety.assess).
    second_opinions: other acoustic models' readings, checked for red flags only: a model that
    lost on a voice garbles it into words that can fit a wrong dialog well (MAP-adapted model
    beside the plain one, development questions: intent with them answered 0.937 (espeak-ng),
    0.899 (flite); checked for red flags only 0.946, 0.921; missed red flags unchanged).
    words, confirm_below: the best reading's words with their confidences, and the confidence
    below which a red flag's word is unsure. Given a threshold, a red flag that only another
    reading reports, or that rests on an unsure word, is asked back (outcome confirm) instead
    of escalating, unless a sure red flag is as urgent (doubt.py). None: every reading's red
    flags escalate at once, as for typed text. Spoken development questions, plain model, a
    question on a calm row answered no: false alarms flite 7 -> 4 of 267 (14 of 339 asked), in
    noise 10 -> 0 of 178 (19 of 226 asked); missed red flags unchanged (0 of 72, 26 of 48).
    recall: the learned second opinion on the best reading (recall.py); in speech its sign is
    always asked back when a threshold is given, as a reading's words cannot vouch for it.
    Whose sign it is comes from the persons the message names (safety.message_experiencer).
    """
    best = assess(text, content.rules, spoken, content.cues)
    if recall is not None:
        reviewed = recall.review(best, normalize(text), content.rules)
        # The complaint lexicon is read only when the model would add a sign, most messages not.
        if reviewed is not best and not _other_complaint(text, content):
            best = told_of(reviewed, message_experiencer(text, content.rules, spoken,
                                                         content.cues))
    others = [assess(t, content.rules, spoken, content.cues)
              for t in (*alternatives, *second_opinions)]
    reading = _best_reading(text, alternatives, matcher, settings)
    intent = reading.candidates[0].dialog_id if reading.matched in ("answer", "clarify") else None
    if confirm_below is None:
        assessment, unsure = _most_urgent([best, *others]), None
    else:
        doubts = split_doubts(best, others, words, confirm_below)
        assessment, unsure = doubts.sure, doubts.unsure
    outcome = "escalate" if assessment.level != "none" else reading.matched
    confirm = None
    if unsure is not None:
        what = unsure.hits[0].rule.asked_as
        confirm = Confirmation(content.messages.red_flag_confirm.format(what=what), unsure,
                               outcome)
        outcome = "confirm"
    return Decision(reading.text, reading.normalized, intent, reading.score, outcome,
                    reading.candidates, assessment, confirm)
