"""PCM sample formats and band-limited conversion to 16 kHz mono s16le, for streams.

Resampling is a Kaiser-windowed sinc applied polyphase.

Naive decimation (keeping every third sample of 48 kHz audio) folds everything above the
new Nyquist frequency back into the speech band; here a low-pass filter at 90 % of the
lower Nyquist frequency is applied as part of the interpolation, so nothing folds back.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil, gcd

import numpy as np

SAMPLE_RATE = 16000
"""Rate of every PCM buffer handed to a recogniser (hertz)."""

ZERO_CROSSINGS = 16
"""Sinc lobes kept on each side of the filter centre; more is sharper and slower."""

ROLLOFF = 0.9
"""Pass-band edge as a fraction of the lower Nyquist frequency (7.2 kHz for 16 kHz out)."""

KAISER_BETA = 8.6
"""Kaiser window shape. Kaiser's design rule beta = 0.1102 (A - 8.7) (Oppenheim & Schafer,
Discrete-Time Signal Processing, sec. 7.5) gives A = 87 dB of stop-band attenuation."""


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
        out: np.ndarray = np.einsum("ij,ij->i", windows, self._bank[phases])
        return out.astype(np.float32)

    def flush(self) -> np.ndarray:
        """End of stream: the remaining output, so the total is
        ceil(inputs * rate_out / rate_in)."""
        if self._identity:
            return np.zeros(0, dtype=np.float32)
        total = -(-self._consumed * self._up // self._down)
        tail = self.process(np.zeros(2 * self._half, dtype=np.float32))
        self._consumed -= 2 * self._half
        keep = max(total - (self._produced - len(tail)), 0)
        self._produced = total
        return tail[:keep]


@dataclass(frozen=True)
class PcmFormat:
    rate: int
    """Frames per second (hertz)."""
    channels: int
    """Interleaved channels per frame; all are mixed to mono."""
    width: int
    """Bytes per sample of one channel: 1 (unsigned), 2, 3, 4 (signed) or 4, 8 (float)."""
    is_float: bool = False
    """IEEE float samples in [-1, 1] rather than integers."""
    companding: str | None = None
    """"mu-law" or "A-law": 8-bit logarithmic telephone samples (ITU-T G.711)."""

    @property
    def frame_bytes(self) -> int:
        """Bytes per frame (one sample of every channel)."""
        return self.channels * self.width


def _mu_law_table() -> np.ndarray:
    """The 256 G.711 mu-law codes as 16-bit sample values: bits are stored inverted, then
    sign, 3 exponent bits and 4 mantissa bits over a bias of 132 (ITU-T G.711; the tests
    check every code against sox's decoder)."""
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(code & 0x80, -magnitude, magnitude).astype(np.float32)


def _a_law_table() -> np.ndarray:
    """The 256 G.711 A-law codes as 16-bit sample values: even bits are stored inverted (0x55),
    a set sign bit means positive, exponent 0 is linear (ITU-T G.711; checked against sox)."""
    code = np.arange(256, dtype=np.int32) ^ 0x55
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8,
                         ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0))
    return np.where(code & 0x80, magnitude, -magnitude).astype(np.float32)


_COMPANDING_TABLES = {"mu-law": _mu_law_table() / 32768.0, "A-law": _a_law_table() / 32768.0}


def decode_samples(data: bytes, fmt: PcmFormat) -> np.ndarray:
    """Whole frames of interleaved samples -> mono float32 in [-1, 1] (channels averaged)."""
    if fmt.companding is not None:
        values = _COMPANDING_TABLES[fmt.companding][np.frombuffer(data, dtype=np.uint8)]
    elif fmt.is_float:
        floats = np.frombuffer(data, dtype="<f4" if fmt.width == 4 else "<f8")
        # Corrupt files hold NaN, infinities or 1e300: silence and full scale are safe stand-ins,
        # and over-range values would be clipped by any DAC anyway.
        floats = np.clip(np.nan_to_num(floats, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
        values = floats.astype(np.float32)
    elif fmt.width == 1:  # 8-bit WAV is unsigned, centred on 128
        values = (np.frombuffer(data, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif fmt.width == 3:
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        packed = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        values = ((packed << 8) >> 8).astype(np.float32) / 8388608.0  # sign-extend 24 bits
    else:
        dtype = "<i2" if fmt.width == 2 else "<i4"
        full_scale = float(1 << (8 * fmt.width - 1))
        values = np.frombuffer(data, dtype=dtype).astype(np.float32) / full_scale
    if fmt.channels > 1:
        values = values.reshape(-1, fmt.channels).mean(axis=1, dtype=np.float32)
    return values


def encode_s16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] -> s16le bytes; out-of-range values clip instead of wrapping."""
    scaled = np.clip(np.rint(samples * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()


class PcmConverter:
    """Streaming converter from any PcmFormat to 16 kHz mono s16le; keeps partial frames."""

    def __init__(self, fmt: PcmFormat, rate_out: int = SAMPLE_RATE) -> None:
        self.format = fmt
        self._passthrough = fmt == PcmFormat(rate_out, 1, 2)
        self._resampler = Resampler(fmt.rate, rate_out)
        self._pending = b""

    def convert(self, data: bytes) -> bytes:
        """Convert the next piece of the stream; a trailing partial frame waits for more."""
        data = self._pending + data
        whole = len(data) - len(data) % self.format.frame_bytes
        self._pending = data[whole:]
        if self._passthrough:
            return data[:whole]
        return encode_s16(self._resampler.process(decode_samples(data[:whole], self.format)))

    def flush(self) -> bytes:
        """End of stream: return what the resampler still holds (a partial frame is dropped)."""
        self._pending = b""
        if self._passthrough:
            return b""
        return encode_s16(self._resampler.flush())


def resample_s16(pcm: bytes, rate_in: int, rate_out: int) -> bytes:
    """Mono s16le from rate_in to rate_out (hertz), band-limited like every other conversion
    here; the same bytes when the rates match."""
    if rate_in == rate_out or not pcm:
        return pcm
    converter = PcmConverter(PcmFormat(rate_in, 1, 2), rate_out)
    return converter.convert(pcm) + converter.flush()


def to_mono16k(data: bytes, rate: int, channels: int, width: int, is_float: bool = False) -> bytes:
    """Convert a whole buffer of interleaved PCM to 16 kHz mono s16le (band-limited)."""
    converter = PcmConverter(PcmFormat(rate, channels, width, is_float))
    return converter.convert(data) + converter.flush()
