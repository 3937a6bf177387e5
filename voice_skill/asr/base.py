"""Speech recognition: 16 kHz mono s16le PCM chunks in, partial text and a final Transcript out.

Two engines sit behind one `Recognizer` protocol: Vosk (needs a downloaded model) and
pocketsphinx (its wheel ships an English model, so it works with zero downloads). Both are
biased toward the skill's own phrases: Vosk through a run-time grammar, pocketsphinx through a
language model built from the phrases. This module holds what every engine shares; each engine
is a module of its own (vosk.py, sphinx.py), chosen by registry.py; the language-model and
pronunciation helpers are in lexicon.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..errors import AudioError
from ..settings import ASR_ENGINES, SPHINX_LMS, VOSK_MODES

SAMPLE_RATE = 16000
"""Rate every recogniser is fed (hertz)."""

UNKNOWN = "[unk]"
"""How a word the grammar could not place appears in `Transcript.words`."""

ENGINES, VOSK_MODES, SPHINX_LMS = ASR_ENGINES, VOSK_MODES, SPHINX_LMS  # one definition each
MODEL_HINT = "get one with `voice-skill models download NAME` (e.g. vosk-model-small-en-us-0.15)"


@dataclass(frozen=True)
class Word:
    text: str
    """The word as the engine spelled it (lower case for English models)."""
    confidence: float
    """Posterior probability that the word is right (0..1)."""
    start: float
    """Start time from the beginning of the utterance (seconds)."""
    end: float
    """End time from the beginning of the utterance (seconds)."""


@dataclass(frozen=True)
class Transcript:
    text: str
    """Recognised words joined by spaces, unknown-word markers left out."""
    words: tuple[Word, ...]
    """Every recognised word, unknown-word markers included, in order."""
    confidence: float
    """Mean word confidence (0..1); 0 for an empty transcript."""
    engine: str
    """Which engine and pass produced it, e.g. 'vosk-grammar' or 'pocketsphinx-mix'."""
    alternatives: tuple[str, ...] = ()
    """The recogniser's next-best readings of the same audio, best first (may be empty)."""
    second_opinions: tuple[str, ...] = ()
    """Readings by other acoustic models that lost on this audio (sphinx.py): checked for red
    flags, never answered from."""


class Recognizer(Protocol):
    """One utterance at a time: accept() chunks, then finish() or reset()."""

    description: str
    """What is in use, printed at start-up, e.g. 'vosk two-pass, model /path'."""

    def accept(self, pcm: bytes) -> str:
        """Feed a chunk of PCM; return the current partial text ('' if none)."""
        ...

    def finish(self) -> Transcript:
        """Final result of the utterance so far; the recogniser is then ready for the next."""
        ...

    def reset(self) -> None:
        """Drop the current utterance."""
        ...


def make_transcript(words: Sequence[Word], engine: str) -> Transcript:
    """Build a Transcript; text skips unknown-word markers, confidence is the mean."""
    spoken = [w.text for w in words if w.text != UNKNOWN]
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    return Transcript(" ".join(spoken), tuple(words), confidence, engine)


def is_unsure(transcript: Transcript, min_confidence: float) -> bool:
    """True when a constrained pass probably heard something outside its phrases."""
    if not transcript.words:
        return True
    return any(w.text == UNKNOWN or w.confidence < min_confidence for w in transcript.words)


def check_pcm(pcm: bytes) -> None:
    """Raise AudioError unless pcm holds whole 16-bit samples."""
    if len(pcm) % 2:
        raise AudioError(f"PCM chunk has an odd number of bytes ({len(pcm)}); "
                         "expected 16-bit samples")


def transcribe(recognizer: Recognizer, pcm: bytes, chunk_bytes: int = 8000) -> Transcript:
    """Recognise a whole utterance by streaming it in chunks of chunk_bytes."""
    if chunk_bytes <= 0 or chunk_bytes % 2:
        raise ValueError(f"chunk_bytes must be a positive even number, not {chunk_bytes}")
    check_pcm(pcm)
    whole = getattr(recognizer, "recognize_whole", None)
    if whole is not None:
        return whole(pcm)  # type: ignore[no-any-return]
    for start in range(0, len(pcm), chunk_bytes):
        recognizer.accept(pcm[start:start + chunk_bytes])
    return recognizer.finish()


