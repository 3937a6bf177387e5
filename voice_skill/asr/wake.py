"""The wake phrase, spotted by the speech engines themselves in a stream of idle audio.

A `WakeSpotter` is fed 16 kHz mono s16le chunks of any size and says when the phrase ended,
counted in the stream it was fed, so the session can replay the audio after it into the
question recogniser: the first word of "hey helper why is my calf twitching" is not lost.
pocketsphinx spots with its keyphrase search; Vosk with a grammar of the phrase and a few
filler words. `registry.open_wake_spotter` picks one from the settings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import ConfigError, EngineError
from .base import SAMPLE_RATE, check_pcm
from .sphinx import NOISE_FLOOR_SEED, adaptation_options, with_noise_floor


@dataclass(frozen=True)
class WakeHeard:
    phrase: str
    """The wake phrase as the engine spelled it."""
    end: float
    """Where the phrase ended, from the start of the audio fed since the spotter started or
    was reset (seconds)."""
    score: float | None = None
    """The engine's own measure of how sure it is (Vosk: the lowest word confidence, 0..1);
    None where the engine gives none (pocketsphinx's keyphrase search)."""


class WakeSpotter(Protocol):
    """Listens for one phrase in a continuous stream: feed() chunks, reset() between streams."""

    description: str
    """What is in use, printed at start-up, e.g. 'pocketsphinx keyphrase "hey helper" ...'."""

    def feed(self, pcm: bytes) -> WakeHeard | None:
        """Feed a chunk of 16 kHz mono s16le PCM; the wake, when the phrase ended in it."""
        ...

    def reset(self) -> None:
        """Forget the audio so far; positions count from zero again."""
        ...


# --- sensitivity ------------------------------------------------------------------------------

KWS_THRESHOLD_RANGE = (1e-40, 1.0)
"""pocketsphinx kws_threshold at sensitivity 1 and at sensitivity 0 (measured for "hey helper",
13 voices, bench/bench_wake.py): the phrase alone was heard from 12 of them at 1e-30, 9 at
1e-10, 5 at 1, 4 at 1e10; from 1e-26 down to 1e-40 no more were heard, only more false wakes."""

VOSK_CONFIDENCE_RANGE = (0.3, 1.0)
"""Lowest word confidence Vosk must give each wake word, at sensitivity 1 and at 0."""


def kws_threshold(sensitivity: float) -> float:
    """Sensitivity 0..1 as a pocketsphinx kws_threshold, on a log scale (higher is stricter)."""
    loose, strict = (math.log10(t) for t in KWS_THRESHOLD_RANGE)
    return float(10 ** (strict + sensitivity * (loose - strict)))


def vosk_min_confidence(sensitivity: float) -> float:
    """Sensitivity 0..1 as the lowest word confidence a Vosk wake needs."""
    loose, strict = VOSK_CONFIDENCE_RANGE
    return strict + sensitivity * (loose - strict)


class Refractory:
    """Drops a wake that ends within `seconds` of the last one reported."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: float | None = None

    def admits(self, end: float) -> bool:
        """True (and remembered) unless end is within the refractory period of the last wake."""
        if self._last is not None and end - self._last < self.seconds:
            return False
        self._last = end
        return True

    def reset(self) -> None:
        """Forget the last wake."""
        self._last = None


def phrase_words(phrase: str) -> list[str]:
    """The wake phrase's words, lower case; an empty phrase is a ConfigError."""
    words = phrase.lower().split()
    if not words:
        raise ConfigError("[voice] wake_phrase is empty")
    return words


# --- pocketsphinx -----------------------------------------------------------------------------

_SAMPLES_PER_FRAME = SAMPLE_RATE // 100  # pocketsphinx's default frame rate is 100 per second


class SphinxWakeSpotter:
    """pocketsphinx's keyphrase search, on the plain en-us model and on each adaptation beside it
    (the shipped espeak-ng one by default: the plain model rarely hears espeak-ng's "hey helper",
    bench/bench_wake.py); whichever decoder hears the phrase first wakes."""

    def __init__(self, phrase: str, threshold: float, refractory: float = 0.0,
                 adaptations: Sequence[Path] = ()) -> None:
        import pocketsphinx

        self.phrase = " ".join(phrase_words(phrase))
        model_dir = Path(pocketsphinx.get_model_path("en-us"))
        options = [{}, *(adaptation_options(a, model_dir / "en-us") for a in adaptations)]
        self._decoders = [self._decoder(o, threshold) for o in options]
        self._refractory = Refractory(refractory)
        self.description = (f'pocketsphinx keyphrase "{self.phrase}", kws_threshold '
                            f"{threshold:.1e}, refractory {refractory:g} s")
        if adaptations:
            self.description += ", also adapted to " + ", ".join(
                a.name.removesuffix(".mllr") for a in adaptations)
        self.reset()

    def _decoder(self, adapted: dict[str, str], threshold: float) -> Any:
        import pocketsphinx

        try:
            decoder = pocketsphinx.Decoder(lm=None, kws_threshold=threshold, loglevel="FATAL",
                                           **adapted)
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"pocketsphinx cannot load its model: {error}") from None
        for word in self.phrase.split():
            if decoder.lookup_word(word) is None:
                raise ConfigError(f"[voice] wake_phrase: {word!r} is not in pocketsphinx's "
                                  "en-us dictionary; choose a phrase of dictionary words")
        decoder.add_keyphrase("wake", self.phrase)
        decoder.activate_search("wake")
        return decoder

    def reset(self) -> None:
        """Forget the audio so far; positions count from zero again."""
        for decoder in self._decoders:
            if getattr(self, "_fed", None) is not None:  # started before: end that utterance
                decoder.end_utt()
            decoder.start_utt()
        self._fed = 0  # samples fed since the reset
        self._utterance_start = 0  # sample at which the decoders' current utterance began
        self._refractory.reset()
        # The same faint floor SphinxRecognizer adds: digital silence misleads pocketsphinx.
        self._noise = np.random.default_rng(NOISE_FLOOR_SEED)

    def feed(self, pcm: bytes) -> WakeHeard | None:
        """Feed a chunk; the wake, when a decoder heard the phrase end in it."""
        check_pcm(pcm)
        if not pcm:
            return None
        pcm = with_noise_floor(pcm, self._noise)
        self._fed += len(pcm) // 2
        ends = [self._heard_end(decoder, pcm) for decoder in self._decoders]
        found = [end for end in ends if end is not None]
        if not found:
            return None
        # A new utterance forgets the detection, so the same phrase cannot fire twice.
        for decoder in self._decoders:
            decoder.end_utt()
            decoder.start_utt()
        self._utterance_start = self._fed
        end = min(found)
        return WakeHeard(self.phrase, end) if self._refractory.admits(end) else None

    def _heard_end(self, decoder: Any, pcm: bytes) -> float | None:
        """Decode pcm; where the phrase ended (seconds in the stream) if it was heard."""
        decoder.process_raw(pcm, False, False)
        if decoder.hyp() is None:
            return None
        last = list(decoder.seg())[-1]
        return (self._utterance_start + (last.end_frame + 1) * _SAMPLES_PER_FRAME) / SAMPLE_RATE


# --- Vosk -------------------------------------------------------------------------------------

FILLER_WORDS = 50
"""One-syllable words of the model put beside the phrase in the grammar, so that other speech
has somewhere to go. With only [phrase, unknown word], the Korean model read 13 of 15 Korean
sentences without the phrase as it (unknown words are weighted too low to win); with 50 it read
none, and heard the phrase in 6 of 6 (three speaking rates, alone and before a question); 100 to
1,000 heard it in 4 of 6, all 5,036 in 2 of 6 (measured with espeak-ng's Korean voice)."""


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

        from .vosk import _unknown_symbol

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
