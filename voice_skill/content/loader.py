"""dialogs/*.yaml -> validated Dialog, RedFlagRule and Messages values; errors name file:line.

Every top-level key of a content file says what it holds: `dialogs` (FAQ and conversation
dialogs), `levels` and `rules` (red flags), or one of the fixed messages. Files may be split
and named as editors like.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ContentError
from ..nlu.normalize import SOFTENERS, content_words, normalize, pattern_words
from ..nlu.symptoms import SymptomLexicon, lexicon_from_yaml
from .yamlnodes import Located, mapping, read_yaml

LEVELS = ("none", "routine", "urgent", "emergency")
"""Escalation levels, lowest first."""

CONVERSATION_IDS = ("greeting", "help", "repeat", "more", "stop", "thanks")
MAX_ANSWER_WORDS = 45
"""A spoken answer is one idea; longer belongs in `more` (the issue's limit)."""

SPOKEN_ANSWERS = ("yes", "no", "yeah", "nope", "yes i do", "no i do not", "not really",
                  "i am not sure", "no nothing like that", "yes one of those", "yes i did",
                  "no i did not")
"""Replies to the safety check and to a red flag asked back (dialog.py reads them), so a
recogniser expects them too."""

MESSAGE_KEYS = ("fallback", "disclaimer", "clarify", "clarify_again", "idle_reset", "safety_net",
                "safety_check", "safety_check_which", "safety_check_yes", "red_flag_confirm",
                "red_flag_learned")
MAX_CONFIRM_WORDS = 10
"""A red flag asked back ("Did you mention weakness?") is named in at most this many words: the
question is spoken, and a long one is hard to answer yes or no."""
_DIALOG_KEYS = {"id", "topic", "source", "phrasings", "keywords", "answer", "more", "see_doctor"}
_RULE_KEYS = {"id", "level", "about", "advice", "match", "ignore", "examples", "history",
              "episode", "first_decides", "reach", "confirm"}
_EXAMPLE_KEYS = {"escalate", "calm"}


@dataclass(frozen=True)
class Dialog:
    """One FAQ topic or conversational move."""

    id: str
    topic: str
    """Short noun phrase spoken in 'Did you mean A or B?'."""
    phrasings: tuple[str, ...]
    """Normalised ways people ask for it."""
    keywords: tuple[str, ...]
    """Normalised words or phrases that point strongly to this dialog."""
    answer: str
    more: str
    see_doctor: str
    source: str
    origin: str
    """file:line of the dialog's entry."""
    phrasing_origins: tuple[str, ...] = ()
    """file:line of each phrasing, in the order of `phrasings`."""

    @property
    def is_conversation(self) -> bool:
        return self.id in CONVERSATION_IDS


@dataclass(frozen=True)
class Term:
    """One alternative of a red-flag group: words in sequence; a word ending in '*' is a prefix."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class RedFlagPattern:
    """Every group must be present, un-negated, somewhere in the utterance."""

    groups: tuple[tuple[Term, ...], ...]
    origin: str


@dataclass(frozen=True)
class RedFlagRule:
    id: str
    level: str
    about: str
    """What was heard, spoken back: 'loss of bladder or bowel control'."""
    advice: str
    """Extra advice for this rule, spoken after the level's advice ('' if none)."""
    patterns: tuple[RedFlagPattern, ...]
    ignored: tuple[Term, ...]
    """Phrases whose words never count as this rule's symptom ('hot bath')."""
    escalate_examples: tuple[str, ...]
    calm_examples: tuple[str, ...]
    origin: str
    history: bool = False
    """The rule is about someone's history (a parent who had ALS): past-time cues and the
    experiencer do not set it aside."""
    episode: bool = False
    """The sign is over by the time it is told (a faint): being fine after it does not set it
    aside; a long-past time still does."""
    first_decides: bool = False
    """A pattern's first group is the sign and its later groups are what brought it or how long
    it has lasted (a dirty wound last week, "for weeks"): time cues do not set the later
    groups aside, and the first group decides whether the sign is happening now."""
    reach: int | None = None
    """Most words from the first to the last word of a pattern's groups, so one sign's words
    are not gathered from all over a long story ("years off running ... my calf twitches");
    None: anywhere in what was said."""
    confirm: str = ""
    """How a confirmation question names the sign when the recogniser was unsure of it
    ('a leg that suddenly will not move'); '' to use `about`."""

    @property
    def asked_as(self) -> str:
        """The words the confirmation question names the sign with."""
        return self.confirm or self.about


CUE_KINDS = ("hypothetical", "habitual", "modal", "hearsay", "stories", "relayed", "past",
             "present", "recent", "sudden", "resolved", "recovered", "confirming", "elliptical",
             "figurative", "joking", "things", "body", "speaker", "others", "animals",
             "referents", "appraisal", "explained", "asking", "denial")
"""The kinds of assertion cue a content file may list under `assertion` (see safety.py)."""


@dataclass(frozen=True)
class AssertionCues:
    """Words that change what a symptom mention asserts, or say whose symptom it is.

    hypothetical: what follows in the clause is asked about or imagined ("what if", "signs of").
    habitual: a condition that tells what happens each time, so the hypothetical cue inside it
    imagines nothing ("if I try to stand, it folds").
    modal: a future or conditional verb just before the symptom ("it will spread").
    hearsay: what follows in the sentence was heard or read, not felt ("my friend says").
    stories: a story, show, game or documentary: what happens to people in it happens to no
    one here, unless the speaker is named after it ("in the film his leg swelled" is set aside,
    "watching a film and my leg went numb" is not).
    relayed: a saying that is a report from someone present ("the patient says", "he says").
    past: the clause is about a time long gone ("years ago", "as a child").
    present: brings a past clause back to now ("but now", "again", "is").
    recent: says it happened lately, so it is not long past, nor over because it passed
    ("this morning").
    sudden: says it came on suddenly, so it is not over because it passed ("I just fainted").
    resolved: what came before in the sentence is over ("fine since", "cleared up").
    confirming: a later clause says what was asked, imagined or told about is happening now
    ("that's me", "that's what's happening to me"), so those words are a report after all.
    elliptical: the same said in a clause that ends in its verb, standing for the symptom
    named before ("Is that serious? Mine is.", "Asking because I can't.").
    figurative: near it, the symptom word means something else ("with laughter", "rumour").
    things: objects a symptom word can describe that are not the body ("tea", "signal").
    body: parts of the body; a mention made only of these ("calf") is not judged on its own.
    speaker / others: who has the symptom ("my", "i" / "my wife", "he", "her").
    animals: pets and other animals; a symptom whose nearest owner named before it is one
    ("my cat had a fit") is no person's, so it is set aside as another meaning.
    asking: the whole sentence asks or imagines, whoever it names ("hypothetically, if both
    my legs went numb", "we had a seizure first aid talk at school").
    denial: a saying that denies what follows it in its clause ("I wouldn't call it
    weakness", "not a drop of blood"), further off than a "not" alone reaches.
    appraisal / explained: a sign told as what someone thought they saw ("I thought my face
    was drooping") and, after it, an explanation that shows it was something else ("turned
    out it was the mirror"): together, and only together, they set the sign aside.
    referents: single symptom words a later "it", "they" or "them" can stand for ("The
    twitching started in my calf. Now it's in my arms.").
    """

    terms: dict[str, tuple[Term, ...]] = field(default_factory=dict)
    """Per kind in CUE_KINDS, its phrases (a kind the content leaves out has none)."""

    def of(self, kind: str) -> tuple[Term, ...]:
        return self.terms.get(kind, ())


@dataclass(frozen=True)
class Messages:
    fallback: str
    disclaimer: str
    clarify: str
    clarify_again: str
    idle_reset: str
    safety_net: str
    """Before the fallback, for a symptom nothing fits; {emergency_number} still to fill in."""
    safety_check: str
    """The session's one yes/no question on warning signs, asked before the first answer."""
    safety_check_which: str
    """After a yes: which sign."""
    safety_check_yes: str
    """Said before the urgent advice when a yes names no sign the skill can place."""
    red_flag_confirm: str
    """The yes/no question for a red flag the recogniser was unsure of; {what} is the rule's
    `confirm` (or `about`) text."""
    red_flag_learned: str
    """Names a sign only the recall model read into what was said; {what} is the rule's
    `about` text."""


@dataclass(frozen=True)
class Content:
    dialogs: tuple[Dialog, ...]
    rules: tuple[RedFlagRule, ...]
    level_advice: dict[str, str]
    """Spoken advice per escalation level, with {emergency_number} still to fill in."""
    messages: Messages
    directory: Path
    cues: AssertionCues = AssertionCues()
    """Assertion and experiencer cues for the red-flag check (empty when no file has any)."""
    someone_else_advice: dict[str, str] = field(default_factory=dict)
    """Per level, the advice when the symptom is someone else's (the level's own otherwise)."""
    symptoms: SymptomLexicon = SymptomLexicon()
    """The symptom lexicon (symptoms.yaml): detectors and warning signs; empty if none."""

    def dialog(self, dialog_id: str) -> Dialog:
        """The dialog with this id (KeyError if the content has none)."""
        return self._by_id()[dialog_id]

    def has_dialog(self, dialog_id: str) -> bool:
        return dialog_id in self._by_id()

    def _by_id(self) -> dict[str, Dialog]:
        return {d.id: d for d in self.dialogs}

    def recognition_phrases(self) -> tuple[str, ...]:
        """Sentences a recogniser should expect: every phrasing, keyword and red-flag example,
        and the short answers to the safety check ("no", "yes my leg is weak")."""
        phrases = [p for d in self.dialogs for p in d.phrasings + d.keywords]
        phrases += [normalize(e) for r in self.rules for e in r.escalate_examples + r.calm_examples]
        phrases += list(SPOKEN_ANSWERS)
        phrases += [f"yes {normalize(sign.means)}" for sign in self.symptoms.signs]
        return tuple(dict.fromkeys(p for p in phrases if p))


# --- reading values ----------------------------------------------------------------------


def _text(node: Located, what: str, *, required: bool = True) -> str:
    if node.value is None and not required:
        return ""
    if not isinstance(node.value, str):
        raise ContentError(f"{node.origin}: {what} must be text")
    text = " ".join(node.value.split())
    if required and not text:
        raise ContentError(f"{node.origin}: {what} is empty")
    return text


def _texts(node: Located, what: str) -> list[tuple[str, str]]:
    """A list of texts as (text, origin) pairs; a single text is accepted as a list of one."""
    items = node.value if isinstance(node.value, list) else [node]
    return [(_text(item, what), item.origin) for item in items]


def _optional(table: dict[str, Located], key: str, what: str) -> str:
    return _text(table[key], what, required=False) if key in table else ""


# --- dialogs -----------------------------------------------------------------------------


def _dialog(node: Located) -> Dialog:
    table = mapping(node, "a dialog", _DIALOG_KEYS)
    for key in ("id", "phrasings", "answer"):
        if key not in table:
            raise ContentError(f"{node.origin}: dialog has no {key!r}")
    dialog_id = _text(table["id"], "id")
    answer = _text(table["answer"], f"answer of {dialog_id}")
    words = len(answer.split())
    if words > MAX_ANSWER_WORDS:
        raise ContentError(f"{table['answer'].origin}: answer of {dialog_id} has {words} words "
                           f"(at most {MAX_ANSWER_WORDS}; put the rest in 'more')")
    phrasings: dict[str, str] = {}
    for text, origin in _texts(table["phrasings"], "a phrasing"):
        if normalize(text):
            phrasings.setdefault(normalize(text), origin)
    if not phrasings:
        raise ContentError(f"{table['phrasings'].origin}: dialog {dialog_id} has no phrasings")
    keywords = [normalize(t) for t, _ in _texts(table["keywords"], "a keyword")] \
        if "keywords" in table else []
    return Dialog(
        id=dialog_id, topic=_optional(table, "topic", "topic") or dialog_id.replace("_", " "),
        phrasings=tuple(phrasings),
        keywords=tuple(k for k in keywords if k), answer=answer,
        more=_optional(table, "more", "more"), see_doctor=_optional(table, "see_doctor", "see_doctor"),
        source=_optional(table, "source", "source"), origin=node.origin,
        phrasing_origins=tuple(phrasings.values()),
    )


def _check_unique(dialogs: list[Dialog]) -> None:
    """Duplicate ids, or two dialogs' phrasings with the same topic words, make matching
    ambiguous: the matcher compares topic words only, so "what should i do when my calf
    twitches" and "calf twitch" would tie, whichever dialogs they are in."""
    seen_ids: dict[str, Dialog] = {}
    owner: dict[str, tuple[Dialog, str, str]] = {}
    for dialog in dialogs:
        if dialog.id in seen_ids:
            raise ContentError(f"{dialog.origin}: duplicate dialog id {dialog.id!r} "
                               f"(first at {seen_ids[dialog.id].origin})")
        seen_ids[dialog.id] = dialog
        for phrasing, origin in zip(dialog.phrasings, dialog.phrasing_origins):
            topic = content_words(phrasing)
            other, first, first_origin = owner.setdefault(topic, (dialog, phrasing, origin))
            if other is dialog:
                continue
            if first == phrasing:
                raise ContentError(f"{origin}: phrasing {phrasing!r} of {dialog.id} is "
                                   f"also in {other.id} ({first_origin})")
            raise ContentError(f"{origin}: phrasing {phrasing!r} of {dialog.id} has the same "
                               f"topic words ({topic!r}) as {first!r} in {other.id} "
                               f"({first_origin}); add a word that tells them apart")


# --- red flags ---------------------------------------------------------------------------


def _term(text: str, origin: str) -> Term:
    """Normalise each written word like user text; a trailing '*' survives as a prefix mark."""
    words = pattern_words(text)
    for softener in SOFTENERS.intersection(w.rstrip("*") for w in words):
        raise ContentError(f"{origin}: {softener!r} in {text!r} is read past in what people "
                           f"say, so it can never be matched; leave it out")
    if not words:
        raise ContentError(f"{origin}: empty alternative in a red-flag pattern")
    return Term(tuple(words))


def parse_pattern(text: str, origin: str) -> RedFlagPattern:
    """'bladder|bowel* + control|lost' -> groups joined by '+', alternatives by '|'."""
    groups = []
    for group in text.split("+"):
        alternatives = [a for a in group.split("|")]
        if not all(a.strip() for a in alternatives):
            raise ContentError(f"{origin}: empty alternative in red-flag pattern {text!r}")
        groups.append(tuple(_term(a, origin) for a in alternatives))
    return RedFlagPattern(tuple(groups), origin)


_PERSON_WORDS = (("my", "his", "her", "their"), ("myself", "himself", "herself", "themselves"))


def for_anyone(group: tuple[Term, ...]) -> tuple[Term, ...]:
    """A group whose phrases also match with another person's possessive or reflexive: a rule
    written as "can't get my breath" hears "can't get her breath" (and "his", "their"), and
    "haul myself up" hears "hauling himself up", since a sign in someone else escalates as one
    in the speaker."""
    found: dict[Term, None] = {}
    for term in group:
        found[term] = None
        if len(term.words) < 2:
            continue
        for forms in _PERSON_WORDS:
            at = [i for i, word in enumerate(term.words) if word in forms]
            for form in forms if at else ():
                words = list(term.words)
                for i in at:
                    words[i] = form
                found[Term(tuple(words))] = None
    return tuple(found)


def _rule_pattern(text: str, origin: str, anyone: bool) -> RedFlagPattern:
    pattern = parse_pattern(text, origin)
    if not anyone:
        return pattern
    return RedFlagPattern(tuple(for_anyone(g) for g in pattern.groups), origin)


def _rule(node: Located) -> RedFlagRule:
    table = mapping(node, "a red-flag rule", _RULE_KEYS)
    for key in ("id", "level", "about", "match"):
        if key not in table:
            raise ContentError(f"{node.origin}: red-flag rule has no {key!r}")
    level = _text(table["level"], "level")
    if level not in LEVELS[1:]:
        raise ContentError(f"{table['level'].origin}: unknown escalation level {level!r} "
                           f"(use {', '.join(LEVELS[1:])})")
    examples = mapping(table["examples"], "examples", _EXAMPLE_KEYS) if "examples" in table else {}
    history = _flag(table["history"], "history") if "history" in table else False
    # Whose relative had ALS matters to a history rule: "my dad" is not "her dad".
    anyone = not history
    return RedFlagRule(
        id=_text(table["id"], "id"), level=level, about=_text(table["about"], "about"),
        advice=_optional(table, "advice", "advice"),
        patterns=tuple(_rule_pattern(t, o, anyone) for t, o in _texts(table["match"], "a pattern")),
        ignored=tuple(term for t, o in _texts(table["ignore"], "an ignored phrase")
                      for term in _rule_pattern(t, o, anyone).groups[0])
        if "ignore" in table else (),
        escalate_examples=tuple(t for t, _ in _texts(examples["escalate"], "an example"))
        if "escalate" in examples else (),
        calm_examples=tuple(t for t, _ in _texts(examples["calm"], "an example"))
        if "calm" in examples else (),
        origin=node.origin,
        history=history,
        episode=_flag(table["episode"], "episode") if "episode" in table else False,
        first_decides=_flag(table["first_decides"], "first_decides")
        if "first_decides" in table else False,
        reach=_count(table["reach"], "reach") if "reach" in table else None,
        confirm=_confirm_words(table),
    )


def _confirm_words(table: dict[str, Located]) -> str:
    """A rule's `confirm` text, after checking that it, or the `about` it stands in for, is
    short enough to ask back."""
    key = "confirm" if "confirm" in table else "about"
    text = _text(table[key], key)
    if len(text.split()) > MAX_CONFIRM_WORDS:
        hint = "" if key == "confirm" else "; add a shorter 'confirm' to ask it back with"
        raise ContentError(f"{table[key].origin}: {key} has {len(text.split())} words, more "
                           f"than the {MAX_CONFIRM_WORDS} a spoken question names a sign in{hint}")
    return text if key == "confirm" else ""


def _count(node: Located, what: str) -> int:
    if not isinstance(node.value, int) or isinstance(node.value, bool) or node.value < 1:
        raise ContentError(f"{node.origin}: {what} must be a whole number of words, 1 or more")
    return node.value


def _flag(node: Located, what: str) -> bool:
    if not isinstance(node.value, bool):
        raise ContentError(f"{node.origin}: {what} must be true or false")
    return node.value


def _cues(node: Located) -> dict[str, tuple[Term, ...]]:
    """`assertion:` kind -> phrases, each written like a red-flag alternative ('laugh*')."""
    table = mapping(node, "assertion", set(CUE_KINDS))
    cues = {}
    for kind, entry in table.items():
        terms: list[Term] = []
        for text, origin in _texts(entry, f"a {kind} cue"):
            if "+" in text:
                raise ContentError(f"{origin}: a {kind} cue is one phrase or alternatives "
                                   f"joined by '|', not groups joined by '+'")
            terms += parse_pattern(text, origin).groups[0]
        cues[kind] = tuple(terms)
    return cues


def _levels(node: Located) -> tuple[dict[str, str], dict[str, str]]:
    """Per level: its advice, and the advice when it is someone else's symptom (optional)."""
    table = mapping(node, "levels", set(LEVELS[1:]))
    advice, someone_else = {}, {}
    for level, entry in table.items():
        fields = mapping(entry, f"level {level}", {"advice", "someone_else"})
        if "advice" not in fields:
            raise ContentError(f"{entry.origin}: level {level} has no 'advice'")
        advice[level] = _placeholders_checked(fields["advice"], f"advice of {level}")
        if "someone_else" in fields:
            someone_else[level] = _placeholders_checked(fields["someone_else"],
                                                        f"advice of {level} for someone else")
    return advice, someone_else


# What each text may leave to be filled in; a misspelt one would crash mid-conversation or
# be spoken literally.
_PLACEHOLDERS = {"clarify": {"first", "second"}, "clarify_again": {"first", "second"},
                 "safety_net": {"emergency_number"}, "red_flag_confirm": {"what"},
                 "red_flag_learned": {"what"}}
_ADVICE_PLACEHOLDERS = {"emergency_number"}


def _placeholders_checked(node: Located, what: str) -> str:
    """The text of node, after checking its {placeholders} are ones the skill fills in."""
    text = _text(node, what)
    allowed = _ADVICE_PLACEHOLDERS if what.startswith("advice") else _PLACEHOLDERS.get(what, set())
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise ContentError(f"{node.origin}: unbalanced brace in {what} ({error})") from None
    for name in sorted(names - allowed):
        raise ContentError(f"{node.origin}: unknown placeholder {{{name}}} in {what} "
                           f"(allowed: {', '.join(sorted(allowed)) or 'none'})")
    return text


# --- the whole folder --------------------------------------------------------------------


@dataclass
class _Collected:
    dialogs: list[Dialog]
    rules: list[RedFlagRule]
    levels: dict[str, str]
    messages: dict[str, str]
    symptoms: SymptomLexicon = SymptomLexicon()
    cues: dict[str, tuple[Term, ...]] = field(default_factory=dict)
    someone_else: dict[str, str] = field(default_factory=dict)


def _collect(path: Path, into: _Collected) -> None:
    root = read_yaml(path)
    table = mapping(root, path.name, {"dialogs", "levels", "rules", "assertion", "symptoms",
                                     *MESSAGE_KEYS})
    for key, node in table.items():
        if key == "dialogs":
            if not isinstance(node.value, list):
                raise ContentError(f"{node.origin}: dialogs must be a list")
            into.dialogs += [_dialog(item) for item in node.value]
        elif key == "rules":
            if not isinstance(node.value, list):
                raise ContentError(f"{node.origin}: rules must be a list")
            into.rules += [_rule(item) for item in node.value]
        elif key == "levels":
            advice, someone_else = _levels(node)
            into.levels.update(advice)
            into.someone_else.update(someone_else)
        elif key == "assertion":
            for kind, terms in _cues(node).items():
                into.cues[kind] = into.cues.get(kind, ()) + terms
        elif key == "symptoms":
            if into.symptoms.origin:
                raise ContentError(f"{node.where}: a second symptom lexicon (the first is at "
                                   f"{into.symptoms.origin})")
            into.symptoms = lexicon_from_yaml(node)
        else:
            into.messages[key] = _placeholders_checked(node, key)


def _check_complete(collected: _Collected, directory: Path) -> None:
    missing = [k for k in MESSAGE_KEYS if k not in collected.messages]
    if missing:
        raise ContentError(f"{directory}: no message {missing[0]!r} in any content file")
    used = {rule.level for rule in collected.rules}
    for level in sorted(used - set(collected.levels)):
        raise ContentError(f"{directory}: red-flag level {level!r} has no advice under 'levels'")
    seen: dict[str, str] = {}
    for rule in collected.rules:
        if rule.id in seen:
            raise ContentError(f"{rule.origin}: duplicate red-flag rule id {rule.id!r} "
                               f"(first at {seen[rule.id]})")
        seen[rule.id] = rule.origin


def load_content(directory: Path) -> Content:
    """Load and validate every *.yaml in directory (not its subfolders, where tests live)."""
    if not directory.is_dir():
        raise ContentError(f"{directory}: no such dialogs folder")
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise ContentError(f"{directory}: no *.yaml content files")
    collected = _Collected([], [], {}, {})
    for path in files:
        _collect(path, collected)
    _check_unique(collected.dialogs)
    _check_complete(collected, directory)
    return Content(tuple(collected.dialogs), tuple(collected.rules), collected.levels,
                   Messages(**collected.messages), directory, AssertionCues(collected.cues),
                   collected.someone_else, symptoms=collected.symptoms)
