"""Audio in: WAV files, raw PCM on stdin and microphones, all turned into 16 kHz mono s16le.

Every recogniser gets the same format, so conversion happens once, here, at the edge:
decode any common WAV sample format, mix to mono, resample with a band-limited filter.
Sample formats and resampling live in `audio.pcm`, endpointing (where an utterance starts and
ends) in `audio.endpoint`, devices in `audio.devices`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from ..errors import AudioError
from .pcm import SAMPLE_RATE, PcmConverter, PcmFormat

CHUNK_SECONDS = 0.1
"""Length of the chunks the streaming sources yield (seconds)."""

_MIN_RATE, _MAX_RATE = 4000, 384000  # outside this a "rate" field is garbage, not audio
_FORMAT_PCM, _FORMAT_FLOAT, _FORMAT_EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
_FORMAT_COMPANDED = {0x0006: "A-law", 0x0007: "mu-law"}
# Format tags as defined in Microsoft's mmreg.h (read in AROS's wave_formats_le.h copy of it),
# named so the error tells a person what they have.
_FORMAT_NAMES = {0x0002: "MS ADPCM", 0x0006: "A-law", 0x0007: "mu-law", 0x0011: "IMA ADPCM",
                 0x0031: "GSM 6.10", 0x0050: "MPEG", 0x0055: "MPEG layer 3"}


class AudioSource(Protocol):
    """Anything that yields 16 kHz mono s16le PCM in chunks: a file, stdin, a microphone."""

    def chunks(self) -> Iterator[bytes]:
        """Yield PCM chunks until the source ends."""
        ...


# --- WAV files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WavHeader:
    format: PcmFormat
    """Sample format of the data chunk."""
    data_offset: int
    """Where the samples start in the file (bytes)."""
    data_size: int
    """Length of the samples actually present, whole frames only (bytes)."""


def _format_error(path: Path, code: int) -> AudioError:
    name = _FORMAT_NAMES.get(code, "unknown")
    return AudioError(f"{path}: unsupported WAV encoding 0x{code:04x} ({name}); "
                      "convert it to PCM, e.g. `sox IN -b 16 OUT.wav`")


def parse_fmt_chunk(body: bytes, path: Path) -> PcmFormat:
    """Decode a WAV 'fmt ' chunk body; AudioError naming path if it is not usable PCM."""
    if len(body) < 16:
        raise AudioError(f"{path}: truncated WAV header (fmt chunk is {len(body)} bytes, needs 16)")
    code, channels, rate, _, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if code == _FORMAT_EXTENSIBLE:
        if len(body) < 26:
            raise AudioError(f"{path}: truncated WAV header (extensible fmt chunk too short)")
        code = struct.unpack("<H", body[24:26])[0]  # first two bytes of the SubFormat GUID
    if code not in (_FORMAT_PCM, _FORMAT_FLOAT, *_FORMAT_COMPANDED):
        raise _format_error(path, code)
    if channels < 1 or block_align < channels or block_align % channels:
        raise AudioError(f"{path}: corrupt WAV header ({channels} channels, block align {block_align})")
    if not _MIN_RATE <= rate <= _MAX_RATE:
        raise AudioError(f"{path}: implausible WAV sample rate {rate} Hz")
    # The container width decides decoding; 24-bit-in-32 and 12-bit-in-16 then just work.
    width, is_float = block_align // channels, code == _FORMAT_FLOAT
    companding = _FORMAT_COMPANDED.get(code)
    allowed = (1,) if companding else (4, 8) if is_float else (1, 2, 3, 4)
    if width not in allowed:
        kind = companding or ("float" if is_float else "integer")
        raise AudioError(f"{path}: unsupported WAV sample size ({bits}-bit {kind})")
    return PcmFormat(rate, channels, width, is_float, companding)


def _describe_non_wav(head: bytes) -> str:
    if head[:3] == b"ID3" or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "an MP3 file, not WAV; convert it first, e.g. `sox IN.mp3 OUT.wav`"
    if head[:4] == b"RIFX":
        return "a big-endian (RIFX) WAV, which is not supported"
    if head[:4] in (b"RF64", b"BW64"):
        return "an RF64 WAV (over 4 GB), which is not supported"
    return f"not a WAV file (starts with {head[:8]!r})"


def read_wav_header(stream: IO[bytes], path: Path, file_size: int) -> WavHeader:
    """Walk the RIFF chunks up to 'data'; AudioError naming path for anything that is not WAV."""
    head = stream.read(12)
    if not head:
        raise AudioError(f"{path}: empty file, not a WAV")
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        if len(head) < 12 and head[:4] == b"RIFF":
            raise AudioError(f"{path}: truncated WAV header ({len(head)} bytes)")
        raise AudioError(f"{path}: {_describe_non_wav(head)}")
    fmt: PcmFormat | None = None
    while True:
        chunk = stream.read(8)
        if len(chunk) < 8:
            missing = "fmt" if fmt is None else "data"
            raise AudioError(f"{path}: truncated WAV header (no {missing} chunk)")
        chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if chunk_id == b"data":
            if fmt is None:
                raise AudioError(f"{path}: corrupt WAV (data chunk before fmt chunk)")
            offset = stream.tell()
            # Writers that cannot seek back leave a placeholder size (espeak-ng --stdout writes
            # 0x7ffff000, measured), and crashed recorders a stale one: the file end decides.
            size = min(size, max(file_size - offset, 0))
            return WavHeader(fmt, offset, size - size % fmt.frame_bytes)
        body = stream.read(size + size % 2)  # chunks are padded to even length
        if len(body) < size:
            raise AudioError(f"{path}: truncated WAV header (chunk {chunk_id!r} cut short)")
        if chunk_id == b"fmt ":
            fmt = parse_fmt_chunk(body[:size], path)


def iter_wav(path: Path, chunk_seconds: float = CHUNK_SECONDS) -> Iterator[bytes]:
    """Stream a WAV file as 16 kHz mono s16le chunks; memory stays flat for any length.

    The header is checked now, so a bad file raises AudioError here, not mid-loop.
    """
    path = Path(path)
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{path}: is a folder, not a WAV file") from None
    except OSError as error:
        raise AudioError(f"{path}: cannot open ({error.strerror or error})") from None
    try:
        header = read_wav_header(stream, path, path.stat().st_size)
    except BaseException:
        stream.close()
        raise
    return _stream_samples(stream, path, header, chunk_seconds)


def _stream_samples(
    stream: IO[bytes], path: Path, header: WavHeader, chunk_seconds: float
) -> Iterator[bytes]:
    """Read, convert and yield the data chunk block by block, closing the file at the end."""
    converter = PcmConverter(header.format)
    block = max(int(header.format.rate * chunk_seconds), 1) * header.format.frame_bytes
    left = header.data_size
    with stream:
        while left > 0:
            try:
                data = stream.read(min(block, left))
            except OSError as error:
                raise AudioError(f"{path}: cannot read ({error.strerror or error})") from None
            if not data:
                break
            left -= len(data)
            yield converter.convert(data)
    yield converter.flush()


def read_wav(path: Path) -> bytes:
    """Read a whole WAV file as 16 kHz mono s16le; AudioError naming the file if unusable."""
    pcm = b"".join(iter_wav(path, chunk_seconds=2.0))
    if not pcm:
        raise AudioError(f"{path}: WAV file holds no audio samples")
    return pcm


# --- raw PCM on a stream -----------------------------------------------------------------


def read_raw_pcm(stream: IO[bytes], chunk_seconds: float = CHUNK_SECONDS) -> Iterator[bytes]:
    """Yield raw 16 kHz mono s16le from a binary stream (e.g. stdin) in whole-sample chunks.

    A final odd byte is half a sample and is dropped.
    """
    size = max(int(SAMPLE_RATE * chunk_seconds), 1) * 2
    carry = b""
    while True:
        data = stream.read(size)
        if isinstance(data, str):
            raise AudioError("raw PCM input must be a binary stream (use sys.stdin.buffer)")
        if not data:
            return
        data = carry + data
        whole = len(data) - len(data) % 2
        carry = data[whole:]
        if whole:
            yield data[:whole]


@dataclass(frozen=True)
class WavFile:
    """A WAV file as an AudioSource."""

    path: Path
    """File to read; any common WAV format."""

    def chunks(self) -> Iterator[bytes]:
        """Yield the file's audio as 16 kHz mono s16le chunks."""
        return iter_wav(self.path)


@dataclass(frozen=True)
class RawPcm:
    """A binary stream of 16 kHz mono s16le (e.g. stdin) as an AudioSource."""

    stream: IO[bytes]
    """Where the samples come from."""

    def chunks(self) -> Iterator[bytes]:
        """Yield the stream's PCM in whole-sample chunks."""
        return read_raw_pcm(self.stream)


