"""Vosk as a WakeSpotter: a grammar of the phrase, the unknown word and filler words."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ..base import SAMPLE_RATE, check_pcm
from .base import Refractory, WakeHeard, phrase_words

FILLER_WORDS = 50
"""One-syllable words of the model put beside the phrase in the grammar, so that other speech
has somewhere to go. With only [phrase, unknown word], the Korean model read 13 of 15 Korean
sentences without the phrase as it (unknown words are weighted too low to win). With a random
50 of its 5,036 one-syllable words it read none, and heard the phrase in 6 of 6 (three speaking
rates, alone and before a question); with 100 to 1,000 in 4 of 6, with all in 2 of 6 (espeak-ng's
Korean voice). The evenly spread 50 used here (tests/test_wake.py): no false wake in the 15, the
phrase heard at 120, 140 and 160 words a minute and before questions, missed at 200 (read as
"안녕 옻")."""


def filler_words(in_vocabulary: Any, phrase: Sequence[str], count: int = FILLER_WORDS
                 ) -> list[str]:
    """count one-character words of the model (Hangul syllables, Latin letters), evenly spread
    over those it knows, none of them a word of the phrase."""
    candidates = [chr(c) for c in (*range(0xAC00, 0xD7A4), *range(ord("a"), ord("z") + 1))]
    known = [w for w in candidates if w not in phrase and in_vocabulary(w)]
    step = max(1, len(known) // count)
    return known[::step][:count]


VOSK_SETTLE = 0.3
"""Vosk: once a partial result holds the phrase, audio that must follow it before the result is
finalised for word times (seconds), unless another word follows sooner. A partial result says
"안녕 도우미" while 도우미 is still being spoken (measured: 0.26 s before its end), and Vosk 0.3.45
gives no partial word times with a grammar (SetPartialWords empties the partials)."""


class VoskWakeSpotter:
    """A Vosk recogniser whose grammar is the phrase, the unknown word and filler words; it wakes
    when a result holds the phrase's words in a row, each at least min_confidence sure. A partial
    result that holds them is finalised once VOSK_SETTLE has passed or another word follows."""

    def __init__(self, model: Any, path: Path, phrase: str, min_confidence: float,
                 refractory: float = 0.0) -> None:
        import vosk

        from ..vosk import _unknown_symbol

        words = phrase_words(phrase)
        for word in words:
            if model.vosk_model_find_word(word) < 0:
                raise ConfigError(f"[voice] wake_phrase: {word!r} is not in the vocabulary of "
                                  f"the Vosk model {path}")
        self.phrase, self._words = " ".join(words), words
        unknown = _unknown_symbol(model)
        grammar = [self.phrase, *([unknown] if unknown else []),
                   *filler_words(lambda w: model.vosk_model_find_word(w) >= 0, words)]
        # ensure_ascii=False: Vosk's JSON reader does not decode \uXXXX escapes.
        self._recognizer = vosk.KaldiRecognizer(model, SAMPLE_RATE,
                                                json.dumps(grammar, ensure_ascii=False))
        self._recognizer.SetWords(True)
        self._min_confidence = min_confidence
        self._refractory = Refractory(refractory)
        self._fed = 0.0  # Vosk's word times count from its creation, across Reset()
        self._origin = 0.0
        self._pending: float | None = None  # when a partial result first held the phrase
        self.description = (f'vosk grammar "{self.phrase}" (+{len(grammar) - 1} filler words), '
                            f"word confidence >= {min_confidence:.2f}, refractory "
                            f"{refractory:g} s, model {path}")

    def reset(self) -> None:
        """Forget the audio so far; positions count from zero again."""
        self._recognizer.Reset()
        self._origin, self._pending = self._fed, None
        self._refractory.reset()

    def feed(self, pcm: bytes) -> WakeHeard | None:
        """Feed a chunk; the wake, once Vosk has placed the phrase's words in time."""
        check_pcm(pcm)
        self._fed += len(pcm) / 2 / SAMPLE_RATE
        if self._recognizer.AcceptWaveform(pcm):
            result = json.loads(self._recognizer.Result()).get("result", [])
        elif self._settled(json.loads(self._recognizer.PartialResult()).get("partial", "")):
            result = json.loads(self._recognizer.FinalResult()).get("result", [])
        else:
            return None
        self._pending = None
        heard = self._find(result)
        if heard is None:
            return None
        self._recognizer.Reset()  # so the same words cannot wake again
        return heard if self._refractory.admits(heard.end) else None

    def _settled(self, partial: str) -> bool:
        """True when a partial result holding the phrase should be finalised now."""
        words, n = partial.split(), len(self._words)
        starts = [i for i in range(len(words) - n + 1) if words[i:i + n] == self._words]
        if not starts:
            self._pending = None
            return False
        if self._pending is None:
            self._pending = self._fed
        return starts[0] + n < len(words) or self._fed - self._pending >= VOSK_SETTLE

    def _find(self, result: list[dict[str, Any]]) -> WakeHeard | None:
        """The first run of the phrase's words in a Vosk result, each sure enough."""
        n = len(self._words)
        for i in range(len(result) - n + 1):
            run = result[i:i + n]
            if [w["word"] for w in run] == self._words and \
                    all(w["conf"] >= self._min_confidence for w in run):
                score = min(float(w["conf"]) for w in run)
                return WakeHeard(self.phrase, round(run[-1]["end"] - self._origin, 3), score)
        return None
