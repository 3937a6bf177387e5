"""Text normalisation shared by matching, red-flag detection and content loading.

Typed text and recogniser output should look alike after this: lower case, no punctuation,
contractions expanded, digits spelled out, filler words gone, common recogniser slips mended.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Apostrophes first, so "can't" survives the punctuation pass. Order matters: specific forms
# before the generic "n't".
_CONTRACTIONS = (
    ("can't", "can not"), ("cannot", "can not"), ("won't", "will not"), ("shan't", "shall not"),
    ("ain't", "is not"), ("n't", " not"), ("'re", " are"), ("'m", " am"), ("'ve", " have"),
    ("'ll", " will"), ("'d", " would"),
)
# "'s" is "is" only after these words; elsewhere it is a possessive ("lou gehrig's").
_IS_AFTER = {"it", "that", "what", "there", "here", "he", "she", "who", "where", "how", "when",
             "why", "this", "everything", "something", "nothing", "mine"}

# Fillers carry no meaning for matching. "like" is kept: "what does it feel like" needs it.
_FILLER_WORDS = {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "hm", "mm", "mhm",
                 "please", "pls"}
_FILLER_PHRASES = (("you", "know"), ("i", "mean"), ("kind", "of"), ("sort", "of"))
_LEADING_FILLERS = {"so", "well", "okay", "ok", "right", "hey", "alright"}

# Recogniser slips seen when espeak-ng speech runs through pocketsphinx and Vosk, and common
# spellings of the same word. Keys are token sequences, values their replacement.
_SLIPS = {
    ("week", "ness"): ("weakness",), ("weekness",): ("weakness",), ("weak", "ness"): ("weakness",),
    ("weeknesses",): ("weakness",), ("charlie", "horse"): ("charley", "horse"),
    ("charlie", "horses"): ("charley", "horses"), ("twitchin",): ("twitching",),
    ("twitchy",): ("twitching",), ("calfs",): ("calves",), ("calve",): ("calf",),
    ("numb", "ness"): ("numbness",), ("swolen",): ("swollen",), ("blatter",): ("bladder",),
    ("lou", "gehrigs"): ("lou", "gehrig"), ("lou", "gehrig", "s"): ("lou", "gehrig"),
    ("gehrigs",): ("gehrig",), ("a", "l", "s"): ("als",), ("m", "s"): ("ms",),
    ("vitamin", "dee"): ("vitamin", "d"),
    ("non", "stop"): ("nonstop",), ("tip", "toe"): ("tiptoe",), ("tip", "toes"): ("tiptoes",),
    ("goodbye",): ("good", "bye"), ("bye", "bye"): ("bye",), ("thank", "u"): ("thank", "you"),
    ("thankyou",): ("thank", "you"), ("x", "ray"): ("xray",), ("mri", "s"): ("mri",),
    ("convulsion",): ("convulsions",), ("vitamin", "d", "three"): ("vitamin", "d"),
    ("how", "come"): ("why",), ("m", "n", "d"): ("mnd",),
    ("went", "myself"): ("wet", "myself"),  # heard for "i wet myself"; never English
    ("gp",): ("doctor",), ("gps",): ("doctors",),  # British: a family doctor
    ("weeker",): ("weaker",), ("weekened",): ("weakened",),
}
# Typed without the apostrophe ("cant move my leg"); "wont" and "cant" are English words too,
# but rare ones beside the contractions in what people type to a symptom checker.
_SLIPS.update({(short,): tuple(long.split()) for short, long in (
    ("cant", "can not"), ("dont", "do not"), ("doesnt", "does not"), ("didnt", "did not"),
    ("isnt", "is not"), ("wasnt", "was not"), ("arent", "are not"), ("couldnt", "could not"),
    ("wont", "will not"), ("havent", "have not"), ("hasnt", "has not"), ("wouldnt", "would not"),
    ("shouldnt", "should not"), ("werent", "were not"),
    # ... and with a letter lost as well ("i havnt peed", "he dosnt know me")
    ("havnt", "have not"), ("hasnt", "has not"), ("dosnt", "does not"), ("doesent", "does not"),
    ("didint", "did not"), ("didnot", "did not"), ("cudnt", "could not"), ("coudnt", "could not"))})
# Typed for the sound: "since last nite", "tonite".
_SLIPS.update({("nite",): ("night",), ("tonite",): ("tonight",), ("nites",): ("nights",)})
# "There's no way I can stand" says "I can't stand": the negation belongs to the verb.
_SLIPS.update({(*lead, "no", "way", who, modal): (who, modal, "not")
               for lead in ((), ("there", "is")) for who in ("i", "he", "she", "we", "they")
               for modal in ("can", "could")})
# "No" typed for "know" after a negated "do" ("didnt no it happened", "dosnt no me"): a
# negation is never followed by a second one there, so only "know" makes sense.
_SLIPS.update({(*typed, "no"): (*negated, "know") for negated, typed in (
    (("do", "not"), ("do", "not")), (("does", "not"), ("does", "not")),
    (("did", "not"), ("did", "not")), (("do", "not"), ("dont",)), (("does", "not"), ("doesnt",)),
    (("did", "not"), ("didnt",)), (("does", "not"), ("dosnt",)))})
# ... and with an "even" between ("didnt even no it happened"): still no second negation.
_SLIPS.update({(*typed, "even", "no"): (*negated, "even", "know") for negated, typed in (
    (("do", "not"), ("dont",)), (("did", "not"), ("didnt",)), (("did", "not"), ("dint",)),
    (("does", "not"), ("doesnt",)), (("did", "not"), ("did", "not")))})
# "Dint" typed for "didn't" ("i dint feel it"); "by dint of" keeps its English word.
_SLIPS.update({("dint",): ("did", "not"), ("by", "dint"): ("by", "dint"),
               ("dint", "no"): ("did", "not", "know")})
# "Wet my self" typed apart: after a verb of soiling only "myself" makes sense ("my self
# esteem" stays two words).
_SLIPS.update({(verb, "my", "self"): (verb, "myself")
               for verb in ("wet", "peed", "weed", "pooed", "pooped", "soiled", "messed")})
# "I don't think I can breathe" says "I can't breathe"; read as such, the negation is where it
# belongs.
_SLIPS.update({("i", do_not, *not_, "think", "i", modal): ("i", modal, "not")
               for do_not, *not_ in (("do", "not"), ("dont",)) for modal in ("can", "could")})
# "Unable to" and "not able to" say "can't" ("I am not able to breathe", "unable to see out of
# my eye"): read as such, every rule's "can't" words hear them, and the "not" is no negation of
# the symptom after it.
_SLIPS.update({("unable", "to"): ("can", "not"), ("not", "able", "to"): ("can", "not")})
# Text-speak "n" for "and" ("pins n needles", "fish n chips"): alone, it is no other word.
_SLIPS.update({("n",): ("and",)})
# Typed abbreviations of time and of being sick ("6 wks", "d&v for days").
_SLIPS.update({(short,): tuple(long.split()) for short, long in (
    ("wk", "week"), ("wks", "weeks"), ("hr", "hour"), ("hrs", "hours"), ("mins", "minutes"),
    ("yrs", "years"), ("mths", "months"))})
_SLIPS.update({("d", "v"): ("diarrhoea", "and", "vomiting"),
               ("d", "and", "v"): ("diarrhoea", "and", "vomiting")})
# A count of time with its unit left singular, as in many Englishes ("since two week", "for 3
# month"): after a number above one only the plural is meant.
_SLIPS.update({(count, unit): (count, unit + "s")
               for count in ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                             "eleven", "twelve", "few", "several", "many")
               for unit in ("minute", "hour", "day", "week", "month", "year")})
# Scots and Northern English negatives and words of place ("he cannae get his words oot").
_SLIPS.update({(short,): tuple(long.split()) for short, long in (
    ("cannae", "can not"), ("canna", "can not"), ("dinnae", "do not"), ("didnae", "did not"),
    ("doesnae", "does not"), ("isnae", "is not"), ("wasnae", "was not"), ("wouldnae", "would not"),
    ("willnae", "will not"), ("oot", "out"), ("doon", "down"), ("havnae", "have not"),
    ("havenae", "have not"), ("hasnae", "has not"), ("aff", "off"), ("mair", "more"))})
# Scots "ma" for "my" before a part of the body ("ma hands", "ma legs"); "ma" alone is a
# mother ("my ma had ALS").
_SLIPS.update({("ma", noun): ("my", noun) for noun in (
    "hand", "hands", "leg", "legs", "foot", "feet", "calf", "calves", "arm", "arms", "back",
    "face", "toes", "fingers", "knee", "knees", "chest", "eye", "eyes", "head", "bladder")})
# "Me" for "my" before a relative ("me brother has MND"), and before a part of the body after
# a word that takes no second object ("catching me toe", "in me leg"); "told me leg weakness
# is serious" and "it gives me leg cramps" keep their "me".
_SLIPS.update({("me", noun): ("my", noun) for noun in (
    "mum", "mam", "ma", "mammy", "dad", "da", "daddy", "brother", "sister", "son", "daughter",
    "husband", "wife", "missus")})
_SLIPS.update({(before, "me", noun): (before, "my", noun)
               for before in ("catching", "catch", "caught", "stubbed", "stub", "hurt", "in", "on",
                              "of", "and", "twisted", "banged", "broke", "sprained", "with",
                              "into", "up", "down")
               for noun in ("leg", "legs", "foot", "feet", "toe", "toes", "calf", "calves", "back",
                            "arm", "arms", "hand", "hands", "knee", "knees", "chest", "fingers")})
# "weak" and "week" sound the same; a recogniser writes either. After these words the time
# unit is impossible ("my leg feels week", "my grip is getting week"); before a body part it
# is not ("one week calf twitching" with "of" swallowed), so that stays a week.
_SLIPS.update({(word, "week"): (word, "weak") for word in (
    "feel", "feels", "feeling", "felt", "getting", "gotten", "grown", "growing", "very", "so",
    "too", "really", "bit", "little", "more", "quite", "and")})
# A British "can't" (K AA N T) heard with its T lost or given to a following "to" is written
# as one of the American homophones of K AA N ("I suddenly can't move my leg", espeak-ng en-gb:
# "i suddenly con to move my leg"); before a verb none of them is English.
_SLIPS.update({key: ("can", "not", verb)
               for sounds_like_cant in ("con", "conn", "khan", "kahn")
               for verb in ("move", "lift", "feel", "walk", "stand", "control", "breathe", "speak",
                            "talk", "see", "hold", "grip", "bend", "straighten", "raise", "climb",
                            "swallow", "sleep", "stop", "put", "bear", "use", "get", "keep")
               for key in ((sounds_like_cant, verb), (sounds_like_cant, "to", verb))})
# "Can't seem to" says "can't": the seeming only softens it ("i can't seem to wee at all",
# "she doesn't seem able to lift it"), so the rules' "can't" words hear it.
_SLIPS.update({("not", "seem", "to"): ("not",), ("not", "seem", "able", "to"): ("can", "not"),
               ("not", "seem", "to", "be", "able", "to"): ("can", "not")})
_SLIPS.update({(typed, "seem", "to"): tuple(long.split()) for typed, long in (
    ("cant", "can not"), ("dont", "do not"), ("doesnt", "does not"), ("didnt", "did not"),
    ("couldnt", "could not"))})
_SLIPS.update({(typed, "seem", "able", "to"): ("can", "not")
               for typed in ("dont", "doesnt", "didnt")})
# Text-speak for whole words ("cud twitchin spread", "wot does it mean if ur calf swells").
# None of these is another English word said to a symptom checker.
_SLIPS.update({(short,): tuple(long.split()) for short, long in (
    ("cud", "could"), ("wot", "what"), ("wat", "what"), ("ur", "your"), ("u", "you"),
    ("rn", "right now"), ("coz", "because"), ("cuz", "because"),
    ("charcter", "character"), ("meself", "myself"), ("nuh", "not"), ("sinse", "since"),
    ("febuary", "february"), ("wats", "what is"), ("cnat", "can not"), ("feal", "feel"),
    ("eether", "either"), ("numm", "numb"), ("draggin", "dragging"), ("tryed", "tried"),
    ("realy", "really"))})
# Typed run-togethers of an owner and a body word ("bothmy legs", "myfoot keeps dragging"):
# none of them is a word.
_SLIPS.update({("my" + part,): ("my", part) for part in (
    "leg", "legs", "foot", "feet", "arm", "arms", "hand", "hands", "calf", "calves", "face")})
_SLIPS.update({("bothmy",): ("both", "my")})
# "My left foot has gone number" is "numb" typed on: after "gone" or "went" no count fits.
_SLIPS.update({(before, "number"): (before, "numb") for before in ("gone", "went", "going")})
_SLIPS.update({("lost", "the", "site"): ("lost", "the", "sight"),
               ("lost", "my", "site"): ("lost", "my", "sight")})
# A recogniser's splits and near misses that only one reading fits: "a new stat in", "my cafe
# is swollen" (calf), "m and d" (MND).
_SLIPS.update({("stat", "in"): ("statin",), ("stat", "ins"): ("statins",),
               ("m", "and", "d"): ("mnd",)})
_SLIPS.update({(owner, "cafe"): (owner, "calf")
               for owner in ("my", "his", "her", "left", "right")})
# Caribbean "cyaan" / "kyaan" is "can't" and "pon" is "on" ("him cyaan stand pon it"): neither
# is another English word.
_SLIPS.update({("cyaan",): ("can", "not"), ("kyaan",): ("can", "not"), ("pon",): ("on",)})
# Scots "baith" is "both" and "tae" is "to" ("baith her legs", "hanging on tae the worktop").
_SLIPS.update({("baith",): ("both",), ("tae",): ("to",)})
# A recogniser's "chess" for "chest" where only a body fits, and "num" for "numb" after a word
# that only a state follows ("it's gone totally num").
_SLIPS.update({(preposition, owner, "chess"): (preposition, owner, "chest")
               for preposition in ("in", "across", "on") for owner in ("my", "his", "her", "the")})
_SLIPS.update({(before, "num"): (before, "numb") for before in (
    "gone", "went", "totally", "completely", "is", "are", "feels", "feel", "felt", "going",
    "bit", "all", "been", "goes", "go", "so", "very", "and")})
# "Should I worry that my wee has stopped?" asks about a fact it states, as "is it bad that"
# does; "should I worry about / if ..." still asks, so only the "that" form is rewritten.
_SLIPS.update({tuple(opener.split()): ("is", "it", "bad", "that") for opener in (
    "should i worry that", "should i be worried that", "should i be concerned that",
    "do i need to worry that")})
# "Won't push me up the way it used to" compares with the past and tells no past: the sign is
# now. Read as "as before", so the rules' past cue "used to" does not set it aside.
_SLIPS.update({tuple(f"{how} {who} used to".split()): ("as", "before")
               for how in ("the way", "like", "as") for who in ("it", "they", "i", "he", "she")})
# "Night cramps" heard with its R lost: a camp is never a thing of the night or the legs.
_SLIPS.update({(before, "camps"): (before, "cramps") for before in ("night", "leg", "calf")})
_SLIPS.update({("tippy", "toe"): ("tiptoe",), ("tippy", "toes"): ("tiptoes",)})
# One shoe, not a foot that flops: "flip flop" and "flip-flop" are one word to the rules.
_SLIPS.update({("flip", "flop"): ("flipflop",), ("flip", "flops"): ("flipflops",)})
# "his foot's gone numb no both feet": a "no" before "both" corrects what came before; it
# negates nothing ("No, both legs are fine" still says they are fine).
_SLIPS.update({("no", "both"): ("both",)})
# Scots "no" for "not" before a verb in -ing ("he's no answering"): "no" is never English there.
_SLIPS.update({("is", "no", verb): ("is", "not", verb) for verb in (
    "answering", "responding", "breathing", "waking", "moving", "talking", "eating",
    "drinking", "making")})
# "Me" for "my" before a side and a part of the body ("me left leg's been catching"): "me
# left" is not English otherwise.
_SLIPS.update({("me", side, noun): ("my", side, noun) for side in ("left", "right")
               for noun in ("leg", "foot", "arm", "hand", "calf", "side", "knee", "toe", "toes")})
# A relative's age or twinship says nothing of how close they are: "my wife's twin sister"
# and "my husband's older brother" are a sister and a brother to the rules.
_SLIPS.update({(qualifier, kin): (kin,)
               for qualifier in ("twin", "older", "younger", "elder", "eldest", "oldest",
                                 "youngest", "big", "little", "baby")
               for kin in ("brother", "sister", "brothers", "sisters", "son", "daughter")})
_MAX_SLIP = max(len(key) for key in _SLIPS)

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

_TOKEN = re.compile(r"[a-z]+|\d+")


def number_words(number: int) -> str:
    """Spell out 0-999 the way a recogniser writes it; larger numbers stay as digits."""
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        head = _ONES[hundreds] + " hundred"
        return head if rest == 0 else head + " and " + number_words(rest)
    return str(number)


def _clean_characters(text: str) -> str:
    """NFKC, lower case, curly quotes to straight, control characters to spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("`", "'")
    return "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)


# Before a past participle, "'s" is "has": "it's come back", "she's been sick", "it's spread".
_HAS_BEFORE = re.compile(
    r"\b([a-z]+)'s (been|come|got|started|spread|moved|stopped|happened|taken|become|turned|"
    r"grown|lasted|kept|begun|returned|cleared|settled|eased|had|done|left)\b")


def _expand_contractions(text: str) -> str:
    for short, long in _CONTRACTIONS:
        text = text.replace(short, long)
    # "Dad's been confused": only "has" comes before "been", after any word.
    text = _HAS_BEFORE.sub(lambda m: f"{m[1]} has {m[2]}" if m[1] in _IS_AFTER
                           or m[2] == "been" else m[0], text)
    return re.sub(r"\b([a-z]+)'s\b", lambda m: m[1] + (" is" if m[1] in _IS_AFTER else ""), text)


def _spell_numbers(tokens: list[str]) -> list[str]:
    """'10' -> 'ten'; digits glued to letters ('s1') were split by the tokeniser already."""
    out: list[str] = []
    for token in tokens:
        out.extend(number_words(int(token)).split() if token.isdigit() else [token])
    return out


def _mend_slips(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_SLIP, len(tokens) - i), 0, -1):
            replacement = _SLIPS.get(tuple(tokens[i:i + size]))
            if replacement is not None:
                out.extend(replacement)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


_KEPT_REPEATS = frozenset({"no", "not", "very", "really", "so", "bye", "ha", "haha"})
"""Words said twice on purpose ("no no", "very very"): the rest, said twice, is a restart."""
RESTART_SIZE = 4
"""The longest run of words a speaker says again when restarting ("i can't i can't seem to")."""


def _drop_restarts(tokens: list[str]) -> list[str]:
    """A run of words said again at once keeps one copy: "i can't i can't seem to wee" is "i
    can't seem to wee", so the first "can't" does not negate the rest."""
    out: list[str] = []
    for token in tokens:
        out.append(token)
        for size in range(min(RESTART_SIZE, len(out) // 2), 0, -1):
            if out[-size:] == out[-2 * size:-size] and not (size == 1 and token in _KEPT_REPEATS):
                del out[-size:]
                break
    return out


def _drop_fillers(tokens: list[str]) -> list[str]:
    tokens = [t for t in tokens if t not in _FILLER_WORDS]
    for phrase in _FILLER_PHRASES:
        n = len(phrase)
        i = 0
        while i + n <= len(tokens):
            if tuple(tokens[i:i + n]) == phrase and len(tokens) > n:
                del tokens[i:i + n]
            else:
                i += 1
    while len(tokens) > 1 and tokens[0] in _LEADING_FILLERS:
        tokens = tokens[1:]
    return tokens


SIDES = frozenset({"left", "right"})
"""The sides of the body, said in corrections and inside phrases ("my right hand")."""
_CORRECTIONS = (("no", "i", "mean"), ("no", "no"), ("i", "mean"), ("no",), ("sorry",))
"""Said between two sides, these take the first back: "my left no my right calf" (longest
first, so "no no" is taken whole)."""


def _mend_self_corrections(tokens: list[str]) -> list[str]:
    """A side said and corrected at once keeps only the correction, so the "no" of "my left no
    right calf" is not read as a negation."""
    mended: list[str] = []
    i = 0
    while i < len(tokens):
        corrected = tokens[i] in SIDES and _corrected_side(tokens, i + 1)
        if corrected:
            i += corrected  # skip the side taken back and the word that took it back
            continue
        mended.append(tokens[i])
        i += 1
    return mended


def _corrected_side(tokens: list[str], at: int) -> int:
    """How many words, from the side before `at`, a correction to the other side takes back
    (0 if none follows): "left no right" takes back "left no"; "left no my right",
    "left no my"."""
    for marker in _CORRECTIONS:
        end = at + len(marker)
        if tuple(tokens[at:end]) != marker:
            continue
        side = end + 1 if end < len(tokens) and tokens[end] in ("my", "the") else end
        if side < len(tokens) and tokens[side] in SIDES and tokens[side] != tokens[at - 1]:
            return side - (at - 1)
    return 0


def _clause_words(clause: str) -> list[str]:
    """One clause's normalised words: numbers spelled, slips, restarts and self-corrections
    mended within the clause ("I did not, no" keeps its "no")."""
    return _mend_self_corrections(_drop_restarts(_mend_slips(_spell_numbers(
        _TOKEN.findall(clause)))))


def tokens(text: str) -> list[str]:
    """Normalised words of text, in order. Fillers are kept (they can be clause boundaries)."""
    text = _expand_contractions(_clean_characters(text))
    return [token for part in _CLAUSE_BREAK.split(text) for token in _clause_words(part)]


_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\"\n]+")
# A full stop followed by a space (not "2.5"), a question or exclamation mark, or a new line.
_SENTENCE_BREAK = re.compile(r"[.!?]+(?=\s|$)|\n+")


def clauses(text: str) -> list[list[str]]:
    """Normalised words split where punctuation ends a clause (typed text has it, speech not)."""
    return [part for sentence in sentences(text) for part in sentence]


def questions(text: str) -> list[bool | None]:
    """Per sentence of `sentences(text)`: True when it ends with a question mark, False with
    a full stop or exclamation mark, None with neither (speech, or typing without them)."""
    text = _expand_contractions(_clean_characters(text))
    parts = re.split(f"({_SENTENCE_BREAK.pattern})", text)
    found: list[bool | None] = []
    for body, end in zip(parts[::2], parts[1::2] + [""]):
        if any(_TOKEN.findall(part) for part in _CLAUSE_BREAK.split(body)):
            found.append(True if "?" in end else False if end.strip() else None)
    return found


def sentences(text: str) -> list[list[list[str]]]:
    """Sentences of text, each a list of its clauses' normalised words (empty parts dropped).
    Some cues reach across a comma but not across a full stop: "a clot years ago, fine since"."""
    text = _expand_contractions(_clean_characters(text))
    found = []
    for sentence in _SENTENCE_BREAK.split(text):
        parts = (_clause_words(part) for part in _CLAUSE_BREAK.split(sentence))
        kept = [part for part in parts if part]
        if kept:
            found.append(kept)
    return found


def pattern_words(text: str) -> list[str]:
    """A content editor's phrase normalised like user text; a trailing '*' on a word survives
    as its prefix mark ('bowel* control' -> ['bowel*', 'control'])."""
    words: list[str] = []
    for raw in text.split():
        if raw.endswith("*") and raw[:-1].isdigit():
            # "in 20*" is a year: spelled out as "twenty*" it never met the digits typed
            words.append(raw)
            continue
        normalised = list(_one_word_tokens(raw.rstrip("*")))
        if raw.endswith("*") and normalised:
            normalised[-1] += "*"
        words += normalised
    return words


@functools.lru_cache(maxsize=1 << 16)
def _one_word_tokens(word: str) -> tuple[str, ...]:
    """tokens() of one written word. The content repeats its words thousands of times ('leg*',
    'my'), and loading it normalised each one afresh: most of `ask`'s start-up."""
    return tuple(tokens(word))


def normalize(text: str) -> str:
    """The matching form of text: normalised words without fillers, joined by single spaces."""
    return " ".join(_drop_fillers(tokens(text)))


# Words that say how a question is asked rather than what about. Dropping them before
# scoring stops "what is X" matching every other "what is Y" (measured in bench/bench_match.py).
STOP_WORDS = frozenset(
    ["a", "an", "the", "is", "are", "am", "was", "were", "be", "been", "being", "do", "does", "did", "doing", "have", "has", "had", "i", "me", "my", "mine", "you", "your", "it", "its", "this", "that", "these", "those", "of", "to", "in", "on", "at", "for", "with", "about", "from", "by", "and", "or", "so", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "what", "whats", "why", "how", "when", "where", "which", "who", "there", "here", "any", "some", "just", "really", "very", "also", "too", "get", "got", "getting", "tell", "know"]
)


# Words that only soften or stress what they stand in ("I didn't even know", "completely
# breathless", "I can't really feel it"): the red-flag check reads past them.
SOFTENERS = frozenset({"really", "even", "actually", "literally", "honestly", "truly", "totally",
                       "completely", "absolutely", "utterly"})


_SUFFIXES = ("ing", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    """A crude stem, enough that 'twitched', 'twitches' and 'twitching' meet as 'twitch'."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(normalized: str) -> str:
    """The stemmed words of a normalised text that carry its topic (all words if none would)."""
    kept = [w for w in normalized.split() if w not in STOP_WORDS] or normalized.split()
    return " ".join(stem(w) for w in kept)
