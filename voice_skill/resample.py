"""Band-limited sample-rate conversion for streams (Kaiser-windowed sinc, polyphase).

Naive decimation (keeping every third sample of 48 kHz audio) folds everything above the
new Nyquist frequency back into the speech band; here a low-pass filter at 90 % of the
lower Nyquist frequency is applied as part of the interpolation, so nothing folds back.
"""

from __future__ import annotations

from math import ceil, gcd

import numpy as np

ZERO_CROSSINGS = 16
"""Sinc lobes kept on each side of the filter centre; more is sharper and slower."""

ROLLOFF = 0.9
"""Pass-band edge as a fraction of the lower Nyquist frequency (7.2 kHz for 16 kHz out)."""

KAISER_BETA = 8.6
"""Kaiser window shape; 8.6 puts the stop band near -90 dB (Kaiser's design formula)."""


def filter_bank(up: int, down: int) -> tuple[np.ndarray, int]:
    """Polyphase filter rows (one per output phase) and the half-length in input samples.

    Output sample n sits at input position n*down/up = i + p/up; row p weights the input
    samples i-half+1 .. i+half around it.
    """
    cutoff = ROLLOFF * min(1.0, up / down)  # fraction of the input Nyquist frequency
    half = ceil(ZERO_CROSSINGS / cutoff)
    taps = np.arange(-half + 1, half + 1)
    distance = np.arange(up)[:, None] / up - taps[None, :]  # input samples from the centre
    ratio = np.clip(distance / half, -1.0, 1.0)
    window = np.i0(KAISER_BETA * np.sqrt(1.0 - ratio**2)) / np.i0(KAISER_BETA)
    rows = cutoff * np.sinc(cutoff * distance) * window
    rows /= rows.sum(axis=1, keepdims=True)  # unity gain at DC for every phase
    return rows.astype(np.float32), half


class Resampler:
    """Stateful converter: feed float blocks of any size, get the same output as one big call."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        common = gcd(rate_in, rate_out)
        self.rate_in, self.rate_out = rate_in, rate_out
        self._up, self._down = rate_out // common, rate_in // common
        self._identity = rate_in == rate_out
        self._bank, self._half = filter_bank(self._up, self._down)
        self._offsets = np.arange(-self._half + 1, self._half + 1)
        # Zero history before the first sample keeps output n centred on input n*down/up.
        self._buffer = np.zeros(self._half, dtype=np.float32)
        self._base = -self._half  # absolute input index of _buffer[0]
        self._consumed = 0  # input samples received
        self._produced = 0  # output samples emitted

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Resample the next block; returns every output sample whose inputs have arrived."""
        self._consumed += len(samples)
        if self._identity:
            self._produced += len(samples)
            return samples.astype(np.float32, copy=False)
        self._buffer = np.concatenate((self._buffer, samples.astype(np.float32, copy=False)))
        last = self._base + len(self._buffer) - 1
        # Output n needs input up to (n*down)//up + half, so n < (last-half+1)*up/down.
        limit = -(-(last - self._half + 1) * self._up // self._down)
        out = self._compute(self._produced, limit)
        self._produced = max(limit, self._produced)
        keep_from = (self._produced * self._down) // self._up - self._half + 1
        if keep_from > self._base:
            self._buffer = self._buffer[keep_from - self._base :]
            self._base = keep_from
        return out

    def _compute(self, first: int, limit: int) -> np.ndarray:
        if limit <= first:
            return np.zeros(0, dtype=np.float32)
        positions = np.arange(first, limit, dtype=np.int64) * self._down
        centres, phases = positions // self._up, positions % self._up
        windows = self._buffer[(centres - self._base)[:, None] + self._offsets[None, :]]
        return np.einsum("ij,ij->i", windows, self._bank[phases]).astype(np.float32)

    def flush(self) -> np.ndarray:
        """End of stream: the remaining output, so the total is ceil(inputs * rate_out / rate_in)."""
        if self._identity:
            return np.zeros(0, dtype=np.float32)
        total = -(-self._consumed * self._up // self._down)
        tail = self.process(np.zeros(2 * self._half, dtype=np.float32))
        self._consumed -= 2 * self._half
        keep = max(total - (self._produced - len(tail)), 0)
        self._produced = total
        return tail[:keep]
