"""Where speech goes: a PortAudio output device or a WAV file, each an Output for the Player."""

from __future__ import annotations

import wave
from typing import Any, BinaryIO

from ..errors import AudioError


def _sounddevice() -> Any:
    """The sounddevice module, or AudioError when PortAudio itself is missing."""
    try:
        import sounddevice  # type: ignore[import-untyped]
    except OSError as error:
        raise AudioError(f"no audio output: PortAudio library not found ({error})") from None
    return sounddevice


class WavOutput:
    """An Output that appends to an open WAV file; the file is complete after every write."""

    def __init__(self, wav: wave.Wave_write, file: BinaryIO) -> None:
        self._wav = wav
        self._file = file
        self.sample_rate = wav.getframerate()
        self.latency = 0.0

    def open(self) -> None:
        """The file is already open."""

    def write(self, pcm: bytes) -> None:
        """Append samples (wave rewrites the header's lengths; flushing keeps it playable)."""
        self._wav.writeframes(pcm)
        self._file.flush()

    def finish(self) -> None:
        """Everything is written already."""

    def abort(self) -> None:
        """What was written stays; a stopped answer simply ends there."""


class DeviceOutput:
    """An Output on a PortAudio device, opened for each utterance; errors become AudioError."""

    def __init__(self, sd: Any, device: int, sample_rate: int, latency: float = 0.2) -> None:
        self._sd = sd
        self._device = device
        self.sample_rate = sample_rate
        # A deep buffer rides out a busy CPU without underruns (PortAudio's 'high' default,
        # 35 ms here, underran under load), and costs nothing on a stop: abort drops it.
        self.latency = latency
        """Audio buffered ahead in the device (seconds)."""
        self._stream: Any = None

    def open(self) -> None:
        """Open and start a stream on the device."""
        try:
            self._stream = self._sd.RawOutputStream(samplerate=self.sample_rate, channels=1,
                                                    dtype="int16", device=self._device,
                                                    latency=self.latency)
            self._stream.start()
        except (self._sd.PortAudioError, ValueError) as error:
            self._stream = None
            raise AudioError(f"audio output failed ({error})") from None

    def write(self, pcm: bytes) -> None:
        """Queue samples, blocking while the device's buffer is full."""
        try:
            self._stream.write(pcm)
        except self._sd.PortAudioError as error:
            raise AudioError(f"audio output failed ({error})") from None

    def finish(self) -> None:
        """Play out what is queued (Pa_StopStream drains), then close."""
        stream, self._stream = self._stream, None
        try:
            stream.stop()
            stream.close()
        except self._sd.PortAudioError as error:
            raise AudioError(f"audio output failed ({error})") from None

    def abort(self) -> None:
        """Drop what is queued (Pa_AbortStream) and close."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except self._sd.PortAudioError:
                pass  # the device is gone already; nothing is left to silence
