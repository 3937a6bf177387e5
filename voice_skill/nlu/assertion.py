"""What a symptom mention asserts, and whose symptom it is: ConText for lay speech.

The field's anchor is clinical assertion detection (NegEx, Chapman et al. 2001; ConText,
Harkema et al. 2009): a trigger word changes the status of the mentions within its scope.
Here the triggers are content (`assertion:` in dialogs/assertion.yaml) and each kind has the
scope lay speech gives it:

  hypothetical  from the cue to the end of its clause, or   "what if it spreads"
                to a person named after its own subject     ("if I stand up, my leg gives
                way": the leg is reported); none inside a   ("if I try to swallow, pills
                habitual condition                          stick": it happens each time)
  modal         up to three words before the mention        "it will eventually spread"
  hearsay       from the cue to the end of its sentence,    "my friend says twitching spreads"
                unless the person speaks of a person again  ("my wife says my face droops"),
                or it is relayed from someone present       ("the patient says", "he says")
  past          its stretch of sentence up to a "but",      "fainted as a teenager"
                unless a present cue comes between it and   ("years ago, and again now")
                the mention, or a recent one is in its      ("fainted at school today")
                clause; a "once" that ends its clause is    "her leg went numb once."
                one too
  confirmed     lifts hypothetical, hearsay and past from   "Is a swollen calf bad? Mine is,"
                the mentions before it, from a later        ("That's me", "because I can't,",
                clause of the same or the next sentence;    "I have both"); not one doubted,
                an elliptical one must end its clause       imagined or long past ("I don't
                                                            think it is", "my aunt did in 2010")
  resolved      back over its sentence, unless the          "a clot ten years ago, fine since"
                sentence also says it was recent            ("fainted this morning, fine now")
  figurative    up to five words either side, in its clause "convulsing with laughter"
                or a joke owned up to within ten words after "... my legs, only joking"
  things        a thing right after the symptom word, or    "weak tea", "the signal is weak"
                before it with at most a linking verb; not  ("slapping the floor")
                a verb's object after it
  body          a mention made only of body words ("calf") takes its status from the
                rest of the pattern: "the worst pain I have ever had in my calf"

Negation keeps its own, older code in safety.py (a window before, a verdict after, a cleft:
"it's not my leg that's weak").
"""

from __future__ import annotations

from dataclasses import dataclass

from .normalize import SIDES

PRESENT = "present"
ASSERTIONS = (PRESENT, "negated", "hypothetical", "hearsay", "past", "figurative")
"""What a mention can assert; only a present one escalates."""

CONFIRMED = "confirmed"
"""Not a content cue: where a `confirming` or `elliptical` cue holds (confirmed_spans)."""
ASKED = "asked"
"""Not a content cue: a whole sentence that is a general question, found by the red-flag
check ("Is losing bladder control a sign of a back problem? Asking for my notes.")."""

SPEAKER, OTHER = "speaker", "other"
"""Who has the symptom: the person talking, or someone they speak of (with them, in care)."""

MODAL_REACH = 3
"""How many words before a mention a modal cue ('going to') still reaches."""
_SOURCE_PRONOUNS = frozenset({"he", "she"})
"""After "says", the one saying it: "my dad says he can't feel his feet" is his own report."""
_SOURCE_POSSESSIVES = frozenset({"his", "her"})
"""After "says", before a body part, the sayer's own body: "she says her face feels numb";
before anyone else, a third party: "she told me her friend coughed blood"."""
FIGURATIVE_REACH = 5
"""How many words either side of a mention a figurative cue ('with laughter') still reaches."""
JOKE_REACH = 10
"""How many words after a mention, in its sentence, a joke owned up to ("just kidding") still
takes it back; "I'm not joking" takes nothing back. Not "lol": nervous people type it after
real reports."""
_LINKS = frozenset({"is", "was", "are", "were", "has", "had", "been", "got", "gets", "getting",
                    "so", "really", "very", "too", "quite", "went", "gone", "goes", "seems",
                    "come", "came", "comes", "coming", "out", "turned", "turns", "always", "bit",
                    "a", "little", "far", "way", "much", "total", "complete", "full", "massive",
                    "that", "all"})
"""Words that may stand between a thing and its symptom word: 'the signal is really weak'."""
_DETERMINERS = frozenset({"the", "my", "a", "an", "his", "her", "our", "their", "this", "that"})
_PRONOUNS = frozenset({"he", "she", "him", "her", "his", "hers", "himself", "herself"})
"""Third persons who may stand for an animal named before them."""
_GENERIC_PERSONS = frozenset({"someone", "somebody", "anyone", "anybody"})
_BUT_FOR = frozenset({"otherwise", "apart", "except", "besides"})
"""After "fine" and the like, these keep the sign told of: "fine otherwise", "fine apart from"."""
_NOT_EVEN = frozenset({"not", "never", "no"})
"""Before a clause-final "once", these make it "not even once": no time gone by."""


@dataclass(frozen=True)
class Position:
    """Where a word sits: its clause (split at commas and at 'but'), its block (split only at
    'but' and sentence ends) and its sentence."""

    clause: int
    block: int
    sentence: int


@dataclass(frozen=True)
class CueSpans:
    """Per cue kind, the (start, end) word spans where one of its phrases occurs."""

    spans: dict[str, list[tuple[int, int]]]

    def of(self, kind: str) -> list[tuple[int, int]]:
        return self.spans.get(kind, [])


def mention_assertion(words: list[str], at: list[Position], start: int, end: int,
                      cues: CueSpans, history: bool = False, episode: bool = False) -> str:
    """What the mention at words[start:end] asserts: PRESENT, or why it is set aside.
    history: the rule is about the past (family history), so time cues do not apply.
    episode: the sign is over when told (a faint), so words that it passed do not apply."""
    here = at[start]
    if any(at[s].clause == here.clause and s - end < FIGURATIVE_REACH and start - e
           < FIGURATIVE_REACH for s, e in cues.of("figurative")):
        return "figurative"
    if any(at[s].sentence == here.sentence and 0 <= s - end < JOKE_REACH
           and not any(words[i] in _NOT_EVEN for i in range(max(0, s - 2), s))
           for s, _ in cues.of("joking")):
        return "figurative"  # "I can't feel my legs after that class, only joking"
    if any(_thing_of(words, start, end, s, e) and at[s].clause == here.clause
           for s, e in cues.of("things")) or _thing_subject(words, at, start, cues):
        return "figurative"
    if _an_animal_s(words, at, start, cues):
        return "figurative"
    if _explained_away(at, start, cues) or any(
            e <= start and start - e <= DENIAL_REACH and at[s].clause == here.clause
            for s, e in cues.of("denial")):
        return "negated"  # "I wouldn't call it weakness", "not a drop of blood"
    confirmed = _confirmed_later(at, start, cues)
    if not confirmed and _hearsay(words, at, start, cues, end):
        return "hearsay"
    if confirmed:
        pass  # "What if my leg won't hold me? Because it won't": asked, and then reported
    elif any((e <= start or s < start < e) and at[s].clause == here.clause
           and not _named_between(words, e, start, cues)
           and not _inside(s, e, cues.of("habitual"))
           and not _happened_in_condition(words, at, e, cues)
           for s, e in cues.of("hypothetical")):
        return "hypothetical"
    elif any(s <= start < e for s, e in cues.of(ASKED)):
        return "hypothetical"
    elif any(at[s].sentence == here.sentence for s, _ in cues.of("asking")):
        return "hypothetical"  # "hypothetically, if both my legs went numb ..."
    elif any(e <= start and start - e < MODAL_REACH and at[s].clause == here.clause
             for s, e in cues.of("modal")):
        return "hypothetical"
    if not history and (_past(words, at, start, end, cues) and not confirmed
                        or _resolved(words, at, end, cues, episode)):
        return "past"
    return PRESENT


DENIAL_REACH = 4
"""How many words after a denial ("I couldn't say I'm") the sign it denies may start."""
EXPLAINED_REACH = 2
"""How many sentences after an appraised sign its explanation may come."""


def _explained_away(at: list[Position], start: int, cues: CueSpans) -> bool:
    """Told as what someone thought ("I thought my face was drooping"), then explained as
    something else ("Turned out it was the mirror."). An appraisal alone is still a report:
    "I thought I was having a stroke" is how strokes are told."""
    here = at[start].sentence
    return any(e <= start and at[s].sentence == here for s, e in cues.of("appraisal")) and any(
        s > start and 0 <= at[s].sentence - here <= EXPLAINED_REACH
        for s, _ in cues.of("explained"))


THING_SUBJECT_REACH = 6
"""How many words a thing may come before the symptom word and still be what it is said of."""


_THING_OWNERS = frozenset({"my", "our", "his", "her", "their", "your"})


def _thing_subject(words: list[str], at: list[Position], start: int, cues: CueSpans) -> bool:
    """The clause is about a thing: one is named shortly before the mention, no person or part
    of the body comes before the mention in the clause, and no part of the body after it ("the
    lasagne collapsed when I cut it", "the whole office was paralysed", "the engine stalled and
    wouldn't respond"; not "my son fell off his chair shaking", nor "pens keep dropping out of
    my hand")."""
    clause, sentence = at[start].clause, at[start].sentence
    things = [(s, e) for s, e in cues.of("things") if at[s].sentence == sentence]
    # A possessive just before a thing is the thing's ("our basil", "my phone battery").
    inside_things = {i for s, e in things for i in range(s, e)} | {
        s - 1 for s, _ in things if s and words[s - 1] in _THING_OWNERS} | {
        i for _, e in things for i in _place_after(words, at, e)}
    # People before the mention anywhere in its sentence: "my son just fell off his chair
    # shaking" is the son's, though "just" starts a clause.
    people = [p for kind in ("speaker", "others", "animals") for p, _ in cues.of(kind)
              if at[p].sentence == sentence and p < start and p not in inside_things]
    bodies = [b for b, _ in cues.of("body") if at[b].clause == clause and b not in inside_things]
    if people or bodies:
        return False
    return any(e <= start and start - e <= THING_SUBJECT_REACH and at[s].clause == clause
               and _subject_place(words, at, s) for s, e in things)


_SUBJECT_OPENERS = frozenset({"and", "but", "so", "then", "when", "while", "because", "as", "if",
                              "until", "after", "before", "since", "that", "which"})


_OWNERS_OF_THINGS = _DETERMINERS | _THING_OWNERS


def _subject_place(words: list[str], at: list[Position], thing: int) -> bool:
    """Whether a thing stands where a subject does: at its clause's start, or after a word
    that opens one ("the fridge broke and leaked"), past its own determiner or owner. A thing
    after a verb or a preposition is an object ("came in for a brew and coughed up blood")."""
    # "my phone battery": the thing's own words may come between its owner and it.
    i = next((j for j in range(thing - 1, max(-1, thing - 4), -1)
              if words[j] in _OWNERS_OF_THINGS and at[j].clause == at[thing].clause), thing) - 1
    return i < 0 or at[i].clause != at[thing].clause or words[i] in _SUBJECT_OPENERS


_PLACE_WORDS = frozenset({"in", "at", "of", "from", "round", "near"})
PLACE_REACH = 3
"""How many words a place phrase after a thing may have: "the wifi in my flat", "the wifi at
my mum's"."""


def _place_after(words: list[str], at: list[Position], end: int) -> range:
    """The words of a place phrase right after a thing ("the wifi IN MY FLAT is so weak"): a
    person named there is where the thing is, not who has the symptom."""
    if end >= len(words) or words[end] not in _PLACE_WORDS:
        return range(0)
    stop = end + 1
    while stop < min(len(words), end + 1 + PLACE_REACH) and words[stop] not in _LINKS \
            and at[stop].clause == at[end].clause:
        stop += 1
    return range(end, stop)


def _thing_of(words: list[str], start: int, end: int, thing_start: int, thing_end: int) -> bool:
    """'weak tea' (the thing right after) or 'the tea was weak' (before, linked). A thing
    after that starts with "the" or "my" is the verb's object, not the word's noun: a foot
    "slapping the floor" is still a foot."""
    if thing_start == end:
        return words[thing_start] not in _DETERMINERS
    return thing_end <= start and all(w in _LINKS for w in words[thing_end:start])


def _an_animal_s(words: list[str], at: list[Position], start: int, cues: CueSpans) -> bool:
    """The nearest one named before the mention is an animal: "my cat had a fit last night"
    (where a person and an animal start at one word, the longer phrase wins). A pronoun after
    an animal, with no person named by name or kin before it, is the animal's: "my budgie
    keeps falling off his perch and seems weak"; "my son was playing with the dog and he
    fell" is the son's. An animal in a likeness is none ("I eat like a horse")."""
    # Owners of the mention's own sentence; the sentence before only through a pronoun ("Our
    # dog is old. Last night he had a fit."): "Great walk with the dogs. Left calf's hot" is
    # the speaker's calf.
    sentence = at[start].sentence
    named = [(s, e, kind) for kind in ("speaker", "others", "animals") for s, e in cues.of(kind)
             if s < start and not (kind == "animals" and "like" in words[max(s - 2, 0):s])
             and sentence - at[s].sentence <= 1]
    if not any(at[s].sentence == sentence for s, _, _ in named):
        named = named if any(k == "others" and e == s + 1 and words[s] in _PRONOUNS
                             and at[s].sentence == sentence for s, e, k in named) else []
    if not named:
        return False
    def pronoun(n: tuple[int, int, str]) -> bool:
        return n[2] == "others" and n[1] == n[0] + 1 and words[n[0]] in _PRONOUNS

    nearest = max(named, key=lambda n: (n[0], n[1] - n[0]))
    if pronoun(nearest):
        kinds = {n[2] for n in named if n[0] < nearest[0] and not pronoun(n)}
        return "animals" in kinds and "others" not in kinds
    return nearest[2] == "animals"


_PAST_TIMES = frozenset({"just now", "an hour ago", "hours ago", "minutes ago", "earlier today",
                         "yesterday", "last night"})
"""Recent times that can only be past: "today" or "tonight" may be a time imagined."""


def _happened_in_condition(words: list[str], at: list[Position], cue_end: int,
                           cues: CueSpans) -> bool:
    """A condition that says when it happened tells it: "could it be a stroke if my arm went
    heavy just now?" reports the arm; "what if it happens tonight" still imagines."""
    return any(r >= cue_end and at[r].sentence == at[cue_end - 1].sentence
               and " ".join(words[r:e]) in _PAST_TIMES for r, e in cues.of("recent"))


_BEFORE_AN_OWNER = _PLACE_WORDS | {"on", "to", "into"}
"""Prepositions after which an owner belongs to the phrase ("the twitching in my calf")."""


def _named_between(words: list[str], cue_end: int, start: int, cues: CueSpans) -> bool:
    """A person named after the word that follows the cue, before the mention: a new
    subject, so the mention is in the main clause ("if I walk far my calf aches"). Someone
    in general is no one present: "if I ever find someone who won't wake" still imagines, and
    an owner after a preposition is part of the cue's own subject: "if the twitching in my
    calf ever started spreading" still imagines."""
    persons = cues.of("speaker") + cues.of("others")
    # "my mum" holds "mum": a person is named once, where the longer naming starts.
    outer = [(p, e) for p, e in persons
             if not any(q <= p and e <= f and (q, f) != (p, e) for q, f in persons)]
    return any(cue_end < p < start and words[p] not in _GENERIC_PERSONS
               and words[p - 1] not in _BEFORE_AN_OWNER
               for p, _ in outer)


def _hearsay(words: list[str], at: list[Position], start: int, cues: CueSpans,
             end: int | None = None) -> bool:
    """A cue earlier in the sentence, and neither the speaker nor the source themself ('he',
    'she') named between it and the mention (the sayer close after it, also inside it): "my
    wife says MY face droops", "my husband says HE can't feel his legs", "she says HER
    twitching ..." and "says both HER legs ..." are reports; "she told me HER FRIEND coughed
    blood" is not."""
    end = start if end is None else max(start, end)
    bodies = {s for s, _ in cues.of("body")}
    # A possessive before a body part or before the symptom word itself is the sayer's own.
    # ... also with a side between ("says her left shin ...").
    persons = cues.of("speaker") + [(s, e) for s, e in cues.of("others") if e == s + 1 and (
        words[s] in _SOURCE_PRONOUNS
        or words[s] in _SOURCE_POSSESSIVES and (e in bodies or e == start or e < len(words)
                                                and words[e] in SIDES and e + 1 in bodies))]
    # "she told me HER UNCLE had a stroke and HIS face drooped": a possessive before someone
    # else brings in a third party, so a "his" or "he" after it is theirs, not the sayer's.
    third = [s for s, e in cues.of("others") if e == s + 1 and words[s] in _SOURCE_POSSESSIVES
             and e not in bodies]
    speaker = {s for s, _ in cues.of("speaker")}
    stories = cues.of("stories")
    watching = {i for s, e in stories for i in range(s, e)}
    if any(e <= start and at[s].sentence == at[start].sentence
           and not any(e <= p <= start and p not in watching for p in speaker)
           for s, e in stories):
        return True  # "a character in my book had a stroke and her face drooped"
    relayed = cues.of("relayed")
    for s, e in cues.of("hearsay"):
        if any(p <= s < q or p < e <= q for p, q in relayed):
            continue  # "the patient says", "he says": someone present reporting
        if e <= start and at[s].sentence == at[start].sentence and \
                not _now_begins(words, at, e, start) and \
                not any(e <= p < _reach(p, e, start, end, speaker)
                        and (p in speaker or not any(e <= t < p for t in third))
                        and not _other_gender(words, s, p)
                        for p, _ in persons):
            return True
    return False


_GENDERS = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f"}


def _other_gender(words: list[str], cue: int, person: int) -> bool:
    """A "he" or "his" after "she said" (or the other way round) is someone else: "at work
    she said HIS speech went slurred" tells of a third person, not of the sayer."""
    sayer = _GENDERS.get(words[cue - 1]) if cue else None
    told = _GENDERS.get(words[person])
    return sayer is not None and told is not None and sayer != told


_CLAUSE_OPENERS = frozenset({"and", "but", "so", "well"})


def _now_begins(words: list[str], at: list[Position], cue_end: int, start: int) -> bool:
    """A later clause that starts with "now" ("and now", "but now") between the saying and the
    mention turns to what is happening here: "the nurse said to come back if it spread, and
    now it's in both my arms" reports; "she says it spreads now" does not start one."""
    for i in range(cue_end + 1, start + 1):
        opener = i - 1 if words[i - 1] in _CLAUSE_OPENERS and at[i - 1].clause == at[i].clause \
            else i
        if words[i] == "now" and at[opener].clause != at[opener - 1].clause:
            return True
    return False


SOURCE_INSIDE_REACH = 2
"""How many words after a saying cue the sayer's own "her" may sit inside the mention itself
("says both her legs ..."); further on, someone else may have come in as the subject ("a book
where the heroine can't feel her legs")."""


def _reach(person: int, cue_end: int, start: int, end: int, speaker: set[int]) -> int:
    """Up to where a person named after a hearsay cue makes the mention a report: the
    mention's start, or for the sayer close after the cue, its end."""
    return end if person not in speaker and person - cue_end <= SOURCE_INSIDE_REACH else start


def _past(words: list[str], at: list[Position], start: int, end: int, cues: CueSpans) -> bool:
    """A long-past time in the mention's stretch of sentence, not brought back to now. A cue
    inside the mention is the rule's own words ("used to be in my calf, now ..." tells a
    change), not a time the mention is set in; one after "started" says since when ("the
    twitching started two years ago and never stops")."""
    present = cues.of("present")
    if any(at[p].clause == at[start].clause for p, _ in cues.of("recent")):
        return False  # "fainted at school today", "years ago, and again this morning"
    for s, e in cues.of("past"):
        if at[s].block != at[start].block or _inside(s, e, present) or start <= s and e <= end:
            continue  # "since last year" is not the past: it reaches to now
        if _onset_before(words, s) or _compared_with(words, s):
            continue
        low, high = sorted((e, start))
        if not any(low <= p < high for p, _ in present):
            return True
    return False


_COMPARISONS = (("than",), ("compared", "to"), ("compared", "with"), ("next", "to"))


def _compared_with(words: list[str], cue: int) -> bool:
    """The time is what now is measured against, not when it happened: "skinnier than last
    year", "thin compared to last year"."""
    return any(tuple(words[max(0, cue - len(c)):cue]) == c for c in _COMPARISONS)


_ONSETS = frozenset({"started", "began", "begun", "start", "starting", "begin", "beginning"})
_COUNTS = frozenset({"a", "about", "around", "some", "few", "couple", "of", "several", "many",
                     "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                     "eleven", "twelve", "fifteen", "twenty", "thirty", "almost", "nearly",
                     "over", "roughly"})


def _onset_before(words: list[str], cue_start: int) -> bool:
    """"started" (or "began") just before a past time, with only a count between: "started two
    years ago", "began a few years back"."""
    i = cue_start - 1
    while i >= 0 and words[i] in _COUNTS:
        i -= 1
    return i >= 0 and words[i] in _ONSETS


def _resolved(words: list[str], at: list[Position], end: int, cues: CueSpans,
              episode: bool = False) -> bool:
    """Over, unless the same stretch also says it was recent: "fainted this morning, fine now"
    is still this morning's faint. For an episode (a faint), well again after it is no end."""
    sentence = at[end - 1].sentence
    kinds = ("resolved",) if episode else ("resolved", "recovered")
    for s, e in (span for kind in kinds for span in cues.of(kind)):
        if any(words[i] in _NOT_EVEN and at[i].clause == at[s].clause
               for i in range(max(0, s - 2), s)):
            continue  # "it hasn't settled", "not gone away": still going ("No, I mixed up" is)
        if e < len(words) and words[e] in _BUT_FOR:
            continue  # "she's fine otherwise": fine but for the sign told
        if e < len(words) and at[e].clause == at[e - 1].clause and words[e] in _BECOME_STATES:
            continue  # "it's all gone numb": gone is how it became, not that it went
        if any(c > s and (at[c].block > at[s].block and at[c].sentence == sentence
                          or at[c].sentence == at[s].sentence + 1)
               for c, _ in cues.of(CONFIRMED)):
            continue  # "it settled, but it has started again", "It settled. It's come back."
        # A cue may begin with the mention's own last word: "... and the swelling went down".
        if (s >= end or s == end - 1 and e > end) and (
                at[s].sentence == sentence or _opens_next_sentence(words, at, s, sentence)):
            return not any(at[p].sentence == sentence
                           for p, _ in cues.of("recent") + cues.of("sudden"))
    return False


_BECOME_STATES = frozenset({"numb", "weak", "dead", "funny", "stiff", "floppy", "heavy", "limp",
                            "blue", "grey", "gray", "cold", "dark", "black", "blurry", "red",
                            "hot", "swollen", "tight", "hard", "wobbly", "strange", "weird"})
"""After "gone" or "went" these tell how something became ("all gone numb"), not its end."""
RESOLVED_OPENING = 3
"""How near the start of the next sentence a resolved cue must be to be said of what came
before: "My calf swelled when I sprained it. It went down completely." ; "Fine now."."""


# What may come before such a cue: a pronoun or a link, not a new subject ("The feeling's all
# gone" tells numbness, not its end).
_OPENING_WORDS = frozenset({"it", "they", "that", "this", "is", "was", "are", "were", "has",
                            "have", "had", "been", "and", "but", "so", "well", "no", "i", "now",
                            "then"})


def _opens_next_sentence(words: list[str], at: list[Position], cue: int, sentence: int) -> bool:
    if at[cue].sentence != sentence + 1:
        return False
    first = cue
    while first > 0 and at[first - 1].sentence == at[cue].sentence:
        first -= 1
    return cue - first < RESOLVED_OPENING and all(w in _OPENING_WORDS for w in words[first:cue])


def once_past_spans(words: list[str], at: list[Position],
                    spans: dict[str, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Past cues at each "once" that ends its clause or comes before an "and": "her leg went
    numb once." is one time gone by. "once I stand up" (as soon as), "at once", "more than once"
    are not, nor one in a sentence that says it was lately ("fainted once, an hour ago"), nor
    a negated one ("not been once")."""
    lately = {at[s].sentence for kind in ("recent", "sudden") for s, _ in spans.get(kind, [])}
    found = []
    for i, word in enumerate(words):
        if word != "once" or i == 0 or words[i - 1] in {"at", "than"} \
                or at[i].sentence in lately:
            continue
        if any(at[j].clause == at[i].clause and words[j] in _NOT_EVEN for j in range(i)):
            continue  # "I haven't managed to go to the loo once": not even once
        if i + 1 == len(words) or at[i + 1].clause != at[i].clause or words[i + 1] == "and":
            found.append((i, i + 1))
    return found


_MIGHT = frozenset({"could", "might", "may", "can"})
"""In what was heard, these make it a warning of what might come, not a story."""
_CONFIRM_REACH = 1
"""How many sentences after a mention a confirmation still speaks of it."""
_ELLIPTICAL_SUBJECTS = frozenset({"i", "it", "they", "mine", "he", "she", "we", "that"})
_NEXT_CLAUSE = frozenset({"and", "so", "because", "cos"})
"""After an elliptical verb these start a clause of their own: "mine just did and I can't get up"."""
_HOW_LONG = frozenset({"since"})
"""After an elliptical verb, how long it has been: a report, even a negative one ("I haven't
been since yesterday")."""
_PREDICATE_GOES_ON = frozenset({"just", "only"})
"""Contrast words that split a clause but carry on its verb: "mine is just a flicker"."""
_UNSURE = frozenset({"not", "never", "no", "think", "hope", "guess", "doubt", "wonder", "if",
                     "whether", "suppose", "hopefully", "unless", "what", "whatever", "how",
                     "where", "who", "which", "when", "than"})
"""Before an elliptical subject, these make it a doubt, a denial or a relative clause: "I
don't think it is", "whatever it is", "worse than it is"."""


def _confirmed_later(at: list[Position], start: int, cues: CueSpans) -> bool:
    """A confirmation in a later clause (of this sentence or the next) says the mention is
    happening now: "Would it be serious if my calf swelled? Mine has, since Monday."."""
    return any(s > start and at[s].clause != at[start].clause
               and at[s].sentence - at[start].sentence <= _CONFIRM_REACH
               for s, _ in cues.of(CONFIRMED))


def confirmed_spans(words: list[str], at: list[Position],
                    spans: dict[str, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Where a confirmation holds: a `confirming` cue that is itself asserted (not negated,
    imagined or heard), or an `elliptical` one that ends its clause after a subject ("mine
    is.", "because it won't,"). A negative one needs a "because": "because I can't" answers
    a question, a bare "I can't" may be a refusal."""
    cues = CueSpans(spans)
    found = [(s, e) for s, e in spans.get("confirming", []) if _asserted(words, at, s, e, cues)]
    for s, e in spans.get("elliptical", []):
        timed = e < len(words) and words[e] in _HOW_LONG and at[e].clause == at[e - 1].clause
        timed = timed or words[e:e + 2] in (["just", "now"], ["right", "now"])  # "it has just now"
        if _emphatic_repeat(words, at, s, e):
            e += 1  # "... and now they do catch": the verb named before, said again
        if e < len(words) and not timed and words[e] not in _NEXT_CLAUSE and (
                at[e].clause == at[e - 1].clause or words[e] in _PREDICATE_GOES_ON):
            continue  # "mine is just a flicker": the verb goes on
        subject = s - 1
        persons = {e2 for kind in ("speaker", "others") for _, e2 in spans.get(kind, [])}
        if subject < 0 or words[subject] not in _ELLIPTICAL_SUBJECTS and s not in persons:
            continue
        before = [words[i] for i in range(subject) if at[i].clause == at[subject].clause]
        if _UNSURE.intersection(before) or "not" in words[s:e] and not timed \
                and "because" not in before:
            continue
        if _asserted(words, at, subject, e, cues):
            found.append((s, e))
    return found


_EMPHATIC = frozenset({"do", "does", "did"})
_STEM = 4
"""How many first letters a repeated verb shares with its first mention ("catch", "catching")."""


def _emphatic_repeat(words: list[str], at: list[Position], s: int, e: int) -> bool:
    """An emphatic "do" before the very verb named earlier, ending its clause: "watch for my
    toes catching, and now they do catch". Any other word after "do" is its object ("now I do
    my stretches") and confirms nothing."""
    if words[s:e] not in ([w] for w in _EMPHATIC) or e >= len(words) or len(words[e]) < _STEM:
        return False
    if e + 1 < len(words) and at[e + 1].clause == at[e].clause:
        return False
    stem = words[e][:_STEM]
    return any(words[i].startswith(stem) and at[s].sentence - at[i].sentence <= _CONFIRM_REACH
               for i in range(s))


def _asserted(words: list[str], at: list[Position], start: int, end: int,
              cues: CueSpans) -> bool:
    """A cue word at start said as so: no negation just before it, no hypothetical cue before
    it in its clause, not heard from someone of someone else, not long past."""
    if any(words[i] in _NOT_EVEN and at[i].clause == at[start].clause
           for i in range(max(0, start - 2), start)):
        return False
    if any(e <= start and at[s].clause == at[start].clause for s, e in cues.of("hypothetical")):
        return False
    # "My aunt did, back in 2010": a confirmation of long ago says nothing of now.
    # Its own subject is a person named after a hearsay cue: "I read that ..., and I have both".
    heard = _hearsay(words, at, end - 1, cues) and not _warned(words, at, start, cues)
    return not heard and not _past(words, at, start, end, cues)


def _warned(words: list[str], at: list[Position], start: int, cues: CueSpans) -> bool:
    """What was heard before the confirmation, in its sentence, was a warning of what might
    come ("the pharmacist warned twitching could start", "said to watch for"): no one's story
    but advice, so "and it has started" is the speaker's own report of it."""
    sentence = at[start].sentence
    imagined = [s for s, _ in cues.of("hypothetical") + cues.of("modal")]
    imagined += [i for i, word in enumerate(words[:start]) if word in _MIGHT]
    return any(at[s].sentence == sentence and e <= start and
               any(at[w].sentence == sentence and e <= w < start for w in imagined)
               for s, e in cues.of("hearsay"))


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans)


def _persons_named(cues: CueSpans) -> list[tuple[int, str]]:
    """Where each person is named, and who: a speaker's word inside another's name ("my wife",
    "the lady I care for") is part of that name, not the speaker."""
    others = cues.of("others")
    inside = {i for s, e in others for i in range(s, e)}
    return [(s, SPEAKER) for s, _ in cues.of("speaker") if s not in inside] + \
           [(s, OTHER) for s, _ in others]


def message_experiencer(cues: CueSpans) -> str:
    """Whose the message is as a whole: OTHER when other people are named at least as often as
    the speaker. A tie goes to the other person: "my dad ... I'm worried" is commoner than "my
    wife says I ...", and either way the level's advice escalates."""
    named = _persons_named(cues)
    others = sum(who == OTHER for _, who in named)
    return OTHER if others and others >= len(named) - others else SPEAKER


def experiencer(start: int, cues: CueSpans) -> str:
    """The nearest person named before the mention (anywhere before it); with none before it,
    whose the message is as a whole ("Both his legs have gone weak, I'm holding him up").

    Measured on the tuning sets' red-flag rows whose class says whose sign it is (1,388 fired):
    1,158 right with the speaker as the fallback and speaker words inside a name counted, 1,241
    now; held-out A and C: 91 -> 94 of 95."""
    before = [(s, who) for s, who in _persons_named(cues) if s < start]
    if not before:
        return message_experiencer(cues)
    # "my wife" starts where its "my" does: the longer phrase (an other) wins the tie.
    return max(before, key=lambda item: (item[0], item[1] == OTHER))[1]
