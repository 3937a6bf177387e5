"""Words, pronunciations and n-gram language models built from the skill's phrases.

Used by the engines in `voice_skill.asr`: Vosk grammars need the phrases' words; pocketsphinx needs an ARPA
language model and a pronunciation dictionary covering them. Pure functions, except the
espeak-ng call that spells out words cmudict lacks.
"""

from __future__ import annotations

import math
import re
import subprocess
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import EngineError
from ..nlu.normalize import number_words

BACKGROUND_WORDS = 20000
"""Most frequent generic-LM words kept as the mixed LM's background (count)."""
DOMAIN_WEIGHT = 0.7
"""Share of unigram probability given to the phrases' words in the mixed LM (0..1)."""
DISCOUNT = 0.5
"""Absolute discount taken from every seen n-gram count (the value Vosk's grammar LM uses)."""

_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+")
_FILLERS = {"<s>", "</s>", "<sil>"}


def words_of(phrase: str) -> list[str]:
    """Lower-case words as recognisers spell them, digits spelled out ('b12' -> b twelve)."""
    text = unicodedata.normalize("NFKC", phrase).lower().replace("\u2019", "'")
    words: list[str] = []
    for token in _TOKEN.findall(text):
        words += number_words(int(token)).split() if token.isdigit() else [token]
    return words


def grammar_sentences(phrases: Iterable[str], in_vocabulary: Callable[[str], bool]) -> list[str]:
    """Vosk grammar lines: each phrase's words that the model knows, duplicates dropped.

    Vosk would drop unknown words itself, but with a warning per word on stderr.
    """
    sentences = (" ".join(w for w in words_of(p) if in_vocabulary(w)) for p in phrases)
    return list(dict.fromkeys(s for s in sentences if s))


def base_word(word: str) -> str:
    """'read(2)' -> 'read': pocketsphinx marks alternative pronunciations with (n)."""
    return word.split("(", 1)[0]


def is_filler(word: str) -> bool:
    """Silence, sentence marks and noise words pocketsphinx puts between real words."""
    return word in _FILLERS or word.startswith(("[", "+"))


# --- pronunciations ---------------------------------------------------------------------------


def read_dictionary(path: Path) -> dict[str, list[str]]:
    """cmudict-format file -> word -> its pronunciations (alternatives in file order)."""
    prons: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, _, phones = line.strip().partition(" ")
            if phones:
                prons[base_word(word)].append(phones.strip())
    return prons


# espeak-ng IPA (as `espeak-ng -v en-us --ipa` prints it) -> the CMU/ARPAbet phones of the
# pocketsphinx en-us model (its mdef). Longest symbols are matched first.
_IPA_TO_ARPABET = {
    "ɚɹ": "ER", "ɝɹ": "ER", "ɜːɹ": "ER", "oːɹ": "AO R", "ɪə": "IY AH", "əʊ": "OW",
    "aɪ": "AY", "aʊ": "AW", "eɪ": "EY", "oʊ": "OW", "ɔɪ": "OY", "tʃ": "CH", "dʒ": "JH",
    "ɑ": "AA", "ɒ": "AA", "æ": "AE", "a": "AE", "ʌ": "AH", "ə": "AH", "ɐ": "AH", "ɔ": "AO",
    "ɚ": "ER", "ɜ": "ER", "ɝ": "ER", "ɛ": "EH", "e": "EH", "ɪ": "IH", "ᵻ": "IH", "i": "IY",
    "o": "OW", "ʊ": "UH", "u": "UW", "b": "B", "d": "D", "ð": "DH", "f": "F", "ɡ": "G",
    "g": "G", "h": "HH", "k": "K", "x": "K", "l": "L", "ɬ": "L", "m": "M", "n": "N", "ŋ": "NG",
    "p": "P", "ɹ": "R", "r": "R", "s": "S", "ʃ": "SH", "t": "T", "ɾ": "T", "θ": "TH",
    "v": "V", "w": "W", "j": "Y", "z": "Z", "ʒ": "ZH",
}
_IPA_IGNORED = set("ˈˌːˑ‿-_.ʔ \u0329\u032f")  # stress, length, ties, glottal stop, syllabic marks
_LONGEST_IPA = max(len(symbol) for symbol in _IPA_TO_ARPABET)
_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH",
           "UW"}


def ipa_to_arpabet(ipa: str) -> str | None:
    """'mæɡnˈiːziəm' -> 'M AE G N IY Z IY AH M'; None if a symbol has no ARPAbet phone."""
    phones: list[str] = []
    i = 0
    while i < len(ipa):
        if ipa[i] in _IPA_IGNORED:
            i += 1
            continue
        for size in range(_LONGEST_IPA, 0, -1):
            phone = _IPA_TO_ARPABET.get(ipa[i:i + size])
            if phone is not None:
                if not (phones and phones[-1] == phone and phone not in _VOWELS):
                    phones.append(phone)  # espeak doubles consonants across syllables: "ɹɹ"
                i += size
                break
        else:
            return None
    return " ".join(phones) or None


ACCENT_VOICES = ("en-gb",)
"""espeak-ng voices whose pronunciations of the phrase words are added as variants. The
acoustic model and cmudict are American; a British speaker's "calf" (K AA F), "can't" (K AA N
T) or "bladder" (B L AE D AH) then has an entry to match. Measured on the development set
spoken by espeak-ng en-gb+m3 (178 WAVs): intent 0.57 -> 0.68, missed red flags 17 -> 12,
American voices unchanged (bench/eval_spoken.py --breakdown)."""


def espeak_pronunciations(words: Sequence[str], voice: str = "en-us") -> dict[str, str]:
    """Pronounce words with espeak-ng's rules, in one run; words it cannot spell are left out."""
    if not words:
        return {}
    try:
        result = subprocess.run(["espeak-ng", "-q", "-v", voice, "--ipa"],
                                input="\n".join(words) + "\n", capture_output=True, text=True,
                                timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    lines = result.stdout.splitlines()
    if result.returncode != 0 or len(lines) != len(words):
        # espeak-ng speaks each line as its own clause; if that ever changes, go word by word.
        if len(words) == 1:
            return {}
        return {w: p for w in words for p in espeak_pronunciations([w], voice).values()}
    spelled = ((w, ipa_to_arpabet(line.strip())) for w, line in zip(words, lines))
    return {w: arpabet for w, arpabet in spelled if arpabet}


def espeak_has_voice(voice: str) -> bool:
    """espeak-ng is installed and speaks with this voice."""
    try:
        result = subprocess.run(["espeak-ng", "-q", "-v", voice, "--ipa", "--", "a"],
                                capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


def espeak_pronunciation(word: str, voice: str = "en-us") -> str | None:
    """Pronounce a word cmudict lacks with espeak-ng's letter-to-sound rules; None if impossible."""
    return espeak_pronunciations([word], voice).get(word)


# --- n-gram language model --------------------------------------------------------------------


def _ngram_counts(sentences: Iterable[Sequence[str]], order: int) -> list[Counter[tuple[str, ...]]]:
    counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        padded = ("<s>", *sentence, "</s>")
        for n in range(1, order + 1):
            for i in range(len(padded) - n + 1):
                counts[n][padded[i:i + n]] += 1
    return counts


def _unigrams(count: Counter[tuple[str, ...]], background: Mapping[str, float],
              domain_weight: float) -> dict[str, float]:
    """Domain unigram ML estimate mixed linearly with the background distribution."""
    total = sum(c for (w,), c in count.items() if w != "<s>")
    weight = domain_weight if background else 1.0
    probs = {w: weight * c / total for (w,), c in count.items() if w != "<s>"}
    for word, p in background.items():
        probs[word] = probs.get(word, 0.0) + (1.0 - weight) * p
    return probs


def _backoff_weight(seen: Mapping[str, float], lower: Mapping[str, float]) -> float:
    """Katz normalisation: mass left after the seen words over the lower order's unseen mass."""
    left = 1.0 - sum(seen.values())
    unseen_lower = 1.0 - sum(lower[w] for w in seen)
    return max(left, 1e-12) / max(unseen_lower, 1e-12)


def _higher_order(counts: Counter[tuple[str, ...]], discount: float
                  ) -> dict[tuple[str, ...], dict[str, float]]:
    """history -> next word -> absolute-discounted probability (P = (c - D) / c(history))."""
    by_history: dict[tuple[str, ...], dict[str, int]] = defaultdict(dict)
    for gram, c in counts.items():
        by_history[gram[:-1]][gram[-1]] = c
    return {h: {w: (c - discount) / sum(nexts.values()) for w, c in nexts.items()}
            for h, nexts in by_history.items()}


def _log10(p: float) -> str:
    return f"{math.log10(p):.4f}" if p > 0 else "-99.0000"


def build_arpa(sentences: Sequence[Sequence[str]], background: Mapping[str, float] | None = None,
               domain_weight: float = DOMAIN_WEIGHT, discount: float = DISCOUNT,
               order: int = 3) -> str:
    """ARPA text of a backoff n-gram LM over sentences, its unigrams mixed with background.

    background maps words to probabilities summing to 1 (None or empty: a pure domain LM).
    Higher orders use absolute discounting; backoff weights keep every history normalised.
    """
    counts = _ngram_counts(sentences, order)
    levels: list[dict[tuple[str, ...], float]] = [{}]
    unigram = _unigrams(counts[1], background or {}, domain_weight)
    levels.append({(w,): p for w, p in unigram.items()})
    levels[1][("<s>",)] = 0.0
    backoffs: dict[tuple[str, ...], float] = {}
    for n in range(2, order + 1):
        level: dict[tuple[str, ...], float] = {}
        for history, nexts in _higher_order(counts[n], discount).items():
            lower = {w: _probability(levels, backoffs, history[1:] + (w,)) for w in nexts}
            backoffs[history] = _backoff_weight(nexts, lower)
            level.update({history + (w,): p for w, p in nexts.items()})
        levels.append(level)
    lines = ["\\data\\"] + [f"ngram {n}={len(levels[n])}" for n in range(1, order + 1)]
    for n in range(1, order + 1):
        lines += ["", f"\\{n}-grams:"]
        for gram, p in sorted(levels[n].items()):
            bow = f"\t{_log10(backoffs[gram])}" if gram in backoffs else ""
            lines.append(f"{_log10(p)}\t{' '.join(gram)}{bow}")
    return "\n".join(lines + ["", "\\end\\", ""])


def _probability(levels: list[dict[tuple[str, ...], float]], backoffs: dict[tuple[str, ...], float],
                 gram: tuple[str, ...]) -> float:
    """P(last word | the rest) from the orders built so far, backing off as ARPA readers do."""
    if gram in levels[len(gram)]:
        return levels[len(gram)][gram]
    return backoffs.get(gram[:-1], 1.0) * _probability(levels, backoffs, gram[1:])


# --- the domain model pocketsphinx loads ------------------------------------------------------


@dataclass(frozen=True)
class BuiltLM:
    arpa: str
    """ARPA text of the language model."""
    dictionary: str
    """cmudict-format pronunciations of every word in the LM."""
    skipped: tuple[str, ...]
    """Phrase words left out: neither cmudict nor espeak-ng could pronounce them."""
    summary: str
    """One line for the start-up description, e.g. '312 phrase words, 20000 background words'."""


def generic_unigrams(model_dir: Path, words: Iterable[str], keep: int) -> dict[str, float]:
    """The keep likeliest of words under pocketsphinx's generic LM, renormalised to sum to 1."""
    import pocketsphinx

    logmath = pocketsphinx.LogMath()
    path = str(model_dir / "en-us.lm.bin")
    generic = pocketsphinx.NGramModel(pocketsphinx.Config(), logmath, path)
    scored = sorted(((generic.prob([w]), w) for w in words), reverse=True)[:keep]
    probs = {w: logmath.exp(score) for score, w in scored if score > logmath.get_zero()}
    total = sum(probs.values())
    return {w: p / total for w, p in probs.items()}


def _pronounce(words: Iterable[str], cmudict: Mapping[str, list[str]],
               accents: Sequence[str] = ACCENT_VOICES) -> tuple[dict[str, list[str]], list[str]]:
    """word -> pronunciations (cmudict's, else espeak-ng's American, then accent variants)."""
    words = sorted(set(words))
    american = espeak_pronunciations([w for w in words if w not in cmudict], "en-us")
    variants = [espeak_pronunciations(words, voice) for voice in accents]
    prons: dict[str, list[str]] = {}
    for word in words:
        found = list(cmudict.get(word) or [p for p in [american.get(word)] if p])
        for spoken in variants:
            if word in spoken and spoken[word] not in found:
                found.append(spoken[word])
        if found:
            prons[word] = found
    skipped = [w for w in words if w not in prons]
    return prons, skipped


def _dictionary_text(prons: Mapping[str, list[str]]) -> str:
    lines = [f"{w}{f'({i + 1})' if i else ''} {p}" for w in sorted(prons)
             for i, p in enumerate(prons[w])]
    return "\n".join(lines) + "\n"


def build_domain_lm(phrases: Sequence[str], model_dir: Path, mix: bool,
                    background_words: int = BACKGROUND_WORDS,
                    domain_weight: float = DOMAIN_WEIGHT,
                    accents: Sequence[str] = ACCENT_VOICES) -> BuiltLM:
    """LM and dictionary from phrases; with mix, the generic LM's frequent words as a background.
    The phrase words also get the pronunciations of the espeak-ng accent voices given."""
    cmudict = read_dictionary(model_dir / "cmudict-en-us.dict")
    sentences = [words_of(p) for p in phrases]
    prons, skipped = _pronounce((w for s in sentences for w in s), cmudict, accents)
    # A word nobody can pronounce splits its phrase, so no false n-gram joins its neighbours.
    pieces = [piece.split() for s in sentences
              for piece in " ".join(w if w in prons else "|" for w in s).split("|")]
    pieces = [p for p in pieces if p]
    if not pieces:
        raise EngineError("no phrase has a word pocketsphinx can pronounce; a domain or mix "
                          "language model needs at least one (the generic one does not)")
    background = generic_unigrams(model_dir, cmudict, background_words) if mix else {}
    for word in background:
        prons.setdefault(word, cmudict[word])
    summary = f"{len({w for p in pieces for w in p})} phrase words"
    summary += f", {len(background)} background words" if mix else ""
    summary += f", {len(skipped)} unpronounceable skipped" if skipped else ""
    summary += f", {', '.join(accents)} pronunciations added" if accents else ""
    return BuiltLM(build_arpa(pieces, background, domain_weight), _dictionary_text(prons),
                   tuple(skipped), summary)
