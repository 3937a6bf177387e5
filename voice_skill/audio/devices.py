"""Audio devices through PortAudio (sounddevice): listing, choosing one for recording or
playback by index or name, and the microphone as a stream of 16 kHz mono s16le chunks."""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Literal, Self

from ..errors import AudioError
from ..settings import AudioSettings
from .pcm import PcmConverter, PcmFormat

# --- devices -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    """PortAudio device number (what `--device 3` means)."""
    name: str
    """Name as PortAudio reports it."""
    max_input_channels: int
    """Capture channels; 0 for an output-only device."""
    max_output_channels: int
    """Playback channels; 0 for an input-only device."""
    default_samplerate: float
    """The device's native rate (hertz)."""


def _sounddevice() -> ModuleType:
    """Import sounddevice only when a device is needed; a missing PortAudio is an AudioError."""
    try:
        import sounddevice  # type: ignore[import-untyped]
    except OSError as error:  # raised when libportaudio2 is not installed
        raise AudioError(
            f"cannot use audio devices: {error} (Debian: apt-get install libportaudio2)"
        ) from None
    module: ModuleType = sounddevice
    return module


def list_devices(rescan: bool = False) -> list[DeviceInfo]:
    """Every PortAudio device; rescan re-reads the system's list (and closes open streams).

    PortAudio snapshots devices when first loaded, so a sound server started later is
    only seen after a rescan.
    """
    sd = _sounddevice()
    if rescan:
        # The maintainer-endorsed way to refresh (python-sounddevice issues #125 and #47).
        sd._terminate()
        sd._initialize()
    return [
        DeviceInfo(int(d["index"]), str(d["name"]), int(d["max_input_channels"]),
                   int(d["max_output_channels"]), float(d["default_samplerate"]))
        for d in sd.query_devices()
    ]


Direction = Literal["input", "output"]
"""Which way a device is used: recording (input) or playback (output)."""


def _describe(devices: Iterable[DeviceInfo]) -> str:
    return ", ".join(f"{d.index}: {d.name}" for d in devices) or "none"


def channels(device: DeviceInfo, direction: Direction) -> int:
    """The device's channel count in that direction (0: it cannot be used that way)."""
    return device.max_input_channels if direction == "input" else device.max_output_channels


def choose_device(spec: str | None, devices: list[DeviceInfo], default_index: int | None,
                  direction: Direction = "input") -> DeviceInfo:
    """Pick a device for direction: by index, else by case-insensitive name or part of one
    (None or blank: the default). A number is always an index, never part of a name."""
    usable = [d for d in devices if channels(d, direction) > 0]
    if not usable:
        hint = " (is a microphone connected?)" if direction == "input" else ""
        raise AudioError(f"no audio {direction} device found{hint}")
    if spec is None or not spec.strip():
        return ([d for d in usable if d.index == default_index] or usable)[0]
    spec = spec.strip()
    if spec.isdigit():
        for device in usable:
            if device.index == int(spec):
                return device
        raise AudioError(f"no {direction} device number {spec}; choices: {_describe(usable)}")
    exact = [d for d in usable if d.name.lower() == spec.lower()]
    matches = exact or [d for d in usable if spec.lower() in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    problem = (f"matches several {direction} devices" if matches
               else f"matches no {direction} device")
    raise AudioError(f"{spec!r} {problem}; choices: {_describe(matches or usable)}")


def find_device(spec: str | None, direction: Direction = "input") -> DeviceInfo:
    """The system's device for direction named by spec (an index or part of its name), or
    its default one."""
    sd = _sounddevice()
    devices = list_devices()
    default = sd.default.device[0 if direction == "input" else 1]
    return choose_device(spec, devices, default if isinstance(default, int) and default >= 0
                         else None, direction)


STALL_SECONDS = 2.0
"""A microphone that delivers nothing for this long is treated as gone: over PulseAudio a
device that was removed often stops delivering rather than failing."""
QUEUE_CHUNKS = 200
"""Chunks held for a reader that falls behind (10 s at 50 ms); beyond that audio is lost."""


class Stalled(AudioError):
    """The device stopped delivering without an error."""


class Microphone:
    """A live input device as an AudioSource; use as a context manager.

    The device is opened at its native rate (resampling is ours, and band-limited), mono if
    it allows, else at its own channel count, which is then mixed down. PortAudio hands each
    block to a callback on its own thread: a blocking read() on one thread while another
    closes the stream aborts the process inside libpulse (seen here), a callback does not.
    """

    def __init__(self, settings: AudioSettings | None = None, chunk_seconds: float = 0.05,
                 stall_seconds: float = STALL_SECONDS) -> None:
        self.settings = settings or AudioSettings()
        self.chunk_seconds = chunk_seconds
        self.stall_seconds = stall_seconds
        self.device: DeviceInfo | None = None
        self._stream: object | None = None
        self._converter: PcmConverter | None = None
        self._blocks: queue.Queue[bytes] = queue.Queue(maxsize=QUEUE_CHUNKS)

    def __enter__(self) -> Self:
        sd = _sounddevice()
        self.device = find_device(self.settings.device, "input")
        rate = int(self.device.default_samplerate)
        errors = []
        for channels in dict.fromkeys((1, min(self.device.max_input_channels, 2))):
            try:
                stream = sd.RawInputStream(device=self.device.index, samplerate=rate,
                                           channels=channels, dtype="int16",
                                           blocksize=max(int(rate * self.chunk_seconds), 1),
                                           callback=self._arrived)
                stream.start()
            except sd.PortAudioError as error:
                errors.append(f"{channels} channel(s): {error}")
                continue
            self._stream = stream
            self._converter = PcmConverter(PcmFormat(rate, channels, 2))
            return self
        raise AudioError(f"cannot open input device {self.device.index} ({self.device.name}) "
                         f"at {rate} Hz: {'; '.join(errors)}")

    def _arrived(self, data: object, frames: int, time_info: object, status: object) -> None:
        """PortAudio's thread: hand the block over; if nobody reads, lose it, never block."""
        with contextlib.suppress(queue.Full):
            self._blocks.put_nowait(bytes(data))  # type: ignore[call-overload]

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release the device at once (abort: what is buffered is dropped); chunks() ends."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()  # type: ignore[attr-defined]
            stream.close()  # type: ignore[attr-defined]

    def chunks(self) -> Iterator[bytes]:
        """Yield 16 kHz mono s16le chunks until close(); Stalled when the device goes quiet
        (no blocks at all, not silence) for stall_seconds."""
        if self._stream is None or self._converter is None:
            raise AudioError("Microphone.chunks() needs an open microphone "
                             "(use `with Microphone(...)`)")
        while self._stream is not None:
            try:
                data = self._blocks.get(timeout=self.stall_seconds)
            except queue.Empty:
                name = self.device.name if self.device else "?"
                raise Stalled(f"input device {name!r} gave no audio for "
                              f"{self.stall_seconds:g} s") from None
            yield self._converter.convert(data)
