"""The wake phrase, spotted by the speech engines themselves in a stream of idle audio: what a
spotter is and returns, and the settings both engines share.

A `WakeSpotter` is fed 16 kHz mono s16le chunks of any size and says when the phrase ended,
counted in the stream it was fed, so the session can replay the audio after it into the
question recogniser: the first word of "hey helper why is my calf twitching" is not lost.
pocketsphinx spots with its keyphrase search (wake.sphinx); Vosk with a grammar of the phrase
and a few filler words (wake.vosk). `asr.registry.open_wake_spotter` picks one from the settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from ...errors import ConfigError


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
"""pocketsphinx kws_threshold at sensitivity 1 and at sensitivity 0, measured for "hey helper"
with 13 synthetic voices (bench/bench_wake.py): the phrase alone was heard from 12 of them at
1e-30, 9 at 1e-10, 5 at 1, 4 at 1e10; of 91 items 84 were heard at 1e-30 and at 1e-40, where
false wakes went from 7.6 to 35.6 an hour."""

VOSK_CONFIDENCE_RANGE = (0.3, 1.0)
"""Lowest word confidence Vosk must give each wake word, at sensitivity 1 and at 0. Not tuned:
in the Korean results examined the heard wake words had 1.0, and the phrase read into speech
without it (a grammar without filler words) had 0.5 to 1.0, so the filler words, not this
threshold, keep false wakes out (0.56 is needed at the default sensitivity)."""


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
