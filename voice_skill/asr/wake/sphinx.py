"""pocketsphinx's keyphrase search as a WakeSpotter, on the plain model and its adaptations."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ConfigError, EngineError
from ..base import SAMPLE_RATE, check_pcm
from ..sphinx import NOISE_FLOOR_SEED, adaptation_options, with_noise_floor
from .base import Refractory, WakeHeard, phrase_words

_SAMPLES_PER_FRAME = SAMPLE_RATE // 100  # pocketsphinx's default frame rate is 100 per second

END_SEARCH = 0.35
"""How far past pocketsphinx's end of the phrase its true end is looked for (seconds). The
keyphrase search ends the phrase early, while its last sound fades: espeak-ng en-us "hey
helper" 0.97 s where the speech ends at 1.05 s, en-us+f2 0.98 s for 1.18 s, flite slt 1.11 s for
1.23 s; replayed from there, the question recogniser heard the fading "-er" as a first word.
For flite slt "hey computer" the end came 0.18 s early, before "-ter": hence 0.35 s."""


def quietest_point(pcm: bytes, frame: int = _SAMPLES_PER_FRAME) -> int:
    """Sample offset in pcm where its longest run of quiet 10 ms frames (no louder than twice
    the quietest) begins: the pause after a word, or the dip between two words said without
    one, rather than the closure of a stop inside the word ("compu-t-er")."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    count = samples.size // frame
    if count == 0:
        return 0
    power = (samples[:count * frame].reshape(count, frame) ** 2).mean(axis=1)
    quiet = power <= 4 * power.min()
    best_start, best_length, start = 0, 0, None
    for index, is_quiet in enumerate([*quiet, False]):
        if is_quiet and start is None:
            start = index
        elif not is_quiet and start is not None:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = None
    return best_start * frame


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
        for decoder in self._decoders:
            decoder.start_utt()
        self._clear()

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
            decoder.end_utt()
            decoder.start_utt()
        self._clear()

    def _clear(self) -> None:
        self._fed = 0  # samples fed since the reset
        self._utterance_start = 0  # sample at which the decoders' current utterance began
        self._recent = b""  # the last second of audio fed, where the phrase's true end is sought
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
        self._recent = (self._recent + pcm)[-2 * SAMPLE_RATE:]
        ends = [self._heard_end(decoder, pcm) for decoder in self._decoders]
        found = [end for end in ends if end is not None]
        if not found:
            return None
        # A new utterance forgets the detection, so the same phrase cannot fire twice.
        for decoder in self._decoders:
            decoder.end_utt()
            decoder.start_utt()
        self._utterance_start = self._fed
        end = self._true_end(min(found))
        return WakeHeard(self.phrase, end) if self._refractory.admits(end) else None

    def _true_end(self, engine_end: float) -> float:
        """The quietest point within END_SEARCH after the engine's end (seconds in the stream)."""
        first = self._fed - len(self._recent) // 2  # sample at which _recent starts
        start = max(0, round(engine_end * SAMPLE_RATE) - first)
        window = self._recent[2 * start:2 * (start + round(END_SEARCH * SAMPLE_RATE))]
        return round((first + start + quietest_point(window)) / SAMPLE_RATE, 3)

    def _heard_end(self, decoder: Any, pcm: bytes) -> float | None:
        """Decode pcm; where the phrase ended (seconds in the stream) if it was heard."""
        decoder.process_raw(pcm, False, False)
        if decoder.hyp() is None:
            return None
        last = list(decoder.seg())[-1]
        return (self._utterance_start + (last.end_frame + 1) * _SAMPLES_PER_FRAME) / SAMPLE_RATE
