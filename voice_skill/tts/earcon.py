"""Earcons: short generated tones that say "I am listening" and "I have stopped listening".

Each is a few sine notes with a raised-cosine fade at both ends of every note, so it starts
and ends at zero and never clicks; made at the output's own rate, so nothing is resampled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy

from ..settings import VoiceSettings
from .worker import Speech

EarconName = Literal["listening", "done"]


@dataclass(frozen=True)
class Earcon:
    """A tone: notes played one after another."""

    notes: tuple[float, ...]
    """Pitch of each note, in order (hertz)."""
    note_length: float = 0.08
    """Length of each note (seconds)."""
    fade: float = 0.01
    """Raised-cosine fade in and out of each note (seconds)."""


EARCONS: dict[str, Earcon] = {
    # A rising fifth invites speech; the same interval falling closes the turn.
    "listening": Earcon(notes=(660.0, 990.0)),
    "done": Earcon(notes=(990.0, 660.0)),
}


def earcon_volume(settings: VoiceSettings) -> float | None:
    """The volume the speaker should play earcons at, or None when they are off."""
    return settings.earcon_volume if settings.earcons else None


def earcon_speech(name: str, sample_rate: int, volume: float) -> Speech:
    """The named earcon as 16-bit mono PCM at sample_rate (hertz), peaking at volume (0..1 of
    full scale); ValueError for an unknown name or a volume outside 0..1."""
    if name not in EARCONS:
        raise ValueError(f"unknown earcon {name!r} (known: {', '.join(EARCONS)})")
    if not 0.0 <= volume <= 1.0:
        raise ValueError(f"earcon volume must be 0.0 to 1.0, got {volume!r}")
    earcon = EARCONS[name]
    notes = [_note(pitch, earcon, sample_rate) for pitch in earcon.notes]
    samples = numpy.concatenate(notes) * (volume * 32767)
    return Speech(numpy.round(samples).astype("<i2").tobytes(), sample_rate)


def _note(pitch: float, earcon: Earcon, sample_rate: int) -> numpy.ndarray:
    """One note's samples in -1..1, faded in and out."""
    count = int(round(earcon.note_length * sample_rate))
    tone = numpy.sin(2 * numpy.pi * pitch * numpy.arange(count) / sample_rate)
    ramp = min(count // 2, int(round(earcon.fade * sample_rate)))
    envelope = numpy.ones(count)
    if ramp:
        rise = 0.5 - 0.5 * numpy.cos(numpy.pi * numpy.arange(ramp) / ramp)
        envelope[:ramp] = rise
        envelope[count - ramp:] = rise[::-1]
    return tone * envelope
