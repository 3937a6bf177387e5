"""Speaking: the Speaker protocol and its engines — a sound device, a WAV file, or plain text.

Speech comes from pyttsx3 (espeak-ng on Linux) running in a warm worker process
(``tts.worker``), one sentence at a time, so the first sentence can play while the rest is
synthesised and a hung engine costs one sentence, not the whole conversation.
"""

from __future__ import annotations

import io
import queue
import re
import sys
import threading
import wave
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO

from ..audio.devices import find_device
from ..audio.pcm import resample_s16
from ..errors import AudioError, EngineError
from ..settings import TtsSettings
from .worker import Speech, SpeechWorker

__all__ = [
    "DeviceSpeaker", "Speaker", "Speech", "SpeechWorker", "TextSpeaker", "WavFileSpeaker",
    "open_speaker", "split_sentences", "synthesize_wav", "wav_bytes",
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class Speaker(Protocol):
    """Says text aloud (or as well as it can) and blocks until it is said."""

    description: str
    """What the speech goes through, for the start-up banner."""

    def say(self, text: str) -> None:
        """Say all of text; never raises for device or engine trouble (falls back to printing)."""

    def close(self) -> None:
        """Release the engine and the device or file."""


_DIGIT_RUN = re.compile(r"\b\d{3,}\b")


def spoken_form(text: str) -> str:
    """Read runs of three or more digits digit by digit, as phone numbers are said:
    espeak-ng reads "911" as "nine hundred and eleven" (checked with `espeak-ng -x`)."""
    return _DIGIT_RUN.sub(lambda match: " ".join(match.group()), text)


def split_sentences(text: str) -> list[str]:
    """Split text after sentence-ending punctuation, in spoken form; blank text gives none."""
    parts = (p.strip() for p in _SENTENCE_END.split(spoken_form(text)))
    return [part for part in parts if part]


def join_speech(parts: Sequence[Speech], sample_rate: int) -> Speech:
    """One Speech of all parts in order, at sample_rate (hertz)."""
    return Speech(b"".join(resample(part, sample_rate).pcm for part in parts), sample_rate)


def resample(speech: Speech, sample_rate: int) -> Speech:
    """Speech at another rate (hertz), through the one band-limited resampler (audio.pcm);
    the same Speech if rates match."""
    if speech.sample_rate == sample_rate or not speech.pcm:
        return speech
    return Speech(resample_s16(speech.pcm, speech.sample_rate, sample_rate), sample_rate)


def wav_bytes(speech: Speech) -> bytes:
    """A complete mono 16-bit WAV file holding speech."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(speech.sample_rate)
        wav.writeframes(speech.pcm)
    return buffer.getvalue()


def synthesize_wav(text: str, settings: TtsSettings) -> bytes:
    """WAV file bytes of text spoken by pyttsx3, from a worker process started for the call."""
    with SpeechWorker(settings) as worker:
        parts = [worker.synthesize(sentence) for sentence in split_sentences(text)]
        worker.start()
        return wav_bytes(join_speech(parts, worker.sample_rate))


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


class TextSpeaker:
    """Prints what would be said: the speaker for a machine without sound output."""

    description = "printed text only (no speech output)"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def say(self, text: str) -> None:
        """Print text on its own line (nothing for blank text)."""
        if text.strip():
            print(text.strip(), file=self._stream or sys.stdout, flush=True)

    def close(self) -> None:
        """Nothing to release."""


class _Voice:
    """Sentence-by-sentence speech from a worker; after an engine failure it prints instead."""

    def __init__(self, worker: SpeechWorker, text: TextSpeaker) -> None:
        self.worker = worker
        self.text = text
        self.failed = False

    def speech(self, sentences: Sequence[str]) -> Iterator[Speech]:
        """Speech per sentence; on failure the unspoken sentences are printed and it stops."""
        for index, sentence in enumerate(sentences):
            try:
                if self.failed:
                    raise EngineError("speech engine given up on earlier")
                speech = self.worker.synthesize(sentence)
            except EngineError as error:
                self.give_up(f"{error}; printing answers instead of speaking them")
                self.text.say(" ".join(sentences[index:]))
                return
            yield speech

    def give_up(self, reason: str) -> None:
        """Stop speaking for good, warning once; a hung worker is killed, not waited for."""
        if not self.failed:
            self.failed = True
            _warn(reason)
        self.worker.kill()

    @property
    def label(self) -> str:
        """Voice and rate, for descriptions."""
        return f"pyttsx3 voice {self.worker.voice} at {self.worker.settings.rate} wpm"


def _started_worker(settings: TtsSettings, worker: SpeechWorker | None) -> SpeechWorker:
    worker = worker or SpeechWorker(settings)
    worker.start()
    return worker


class WavFileSpeaker:
    """Writes everything said, in order, into one WAV file instead of playing it."""

    def __init__(self, path: Path, settings: TtsSettings, *, worker: SpeechWorker | None = None,
                 text_stream: TextIO | None = None) -> None:
        self.path = Path(path)
        try:
            self._file: BinaryIO = open(self.path, "wb")  # noqa: SIM115 - held until close()
        except OSError as error:
            raise AudioError(f"{self.path}: cannot write WAV file ({error.strerror})") from None
        try:
            self._voice = _Voice(_started_worker(settings, worker), TextSpeaker(text_stream))
        except BaseException:
            self._file.close()
            raise
        self._wav = wave.open(self._file, "wb")  # noqa: SIM115 - held until close()
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(self._voice.worker.sample_rate)
        self._append(b"")  # a valid, empty WAV exists even if nothing is ever said
        self.description = f"{self._voice.label} → WAV file {self.path}"

    def say(self, text: str) -> None:
        """Append the speech of text to the file (the file is complete after every call)."""
        for speech in self._voice.speech(split_sentences(text)):
            self._append(resample(speech, self._wav.getframerate()).pcm)

    def close(self) -> None:
        """Finish the file and stop the worker."""
        self._voice.worker.close()
        if not self._file.closed:
            self._wav.close()
            self._file.close()

    def _append(self, pcm: bytes) -> None:
        # wave rewrites the header's lengths on every writeframes; flushing keeps the file playable.
        self._wav.writeframes(pcm)
        self._file.flush()


def _sounddevice() -> Any:
    """The sounddevice module, or AudioError when PortAudio itself is missing."""
    try:
        import sounddevice  # type: ignore[import-untyped]
    except OSError as error:
        raise AudioError(f"no audio output: PortAudio library not found ({error})") from None
    return sounddevice


class _Prefetch:
    """Runs a speech iterator on a background thread, so the next sentence is synthesised
    while this one plays."""

    def __init__(self, items: Iterator[Speech]) -> None:
        self._items = items
        self._ready: queue.Queue[Speech | None] = queue.Queue()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="tts-prefetch", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[Speech]:
        while (item := self._ready.get()) is not None:
            yield item

    def stop(self) -> None:
        """Ask for no more items and wait for the one being made (bounded by the timeout)."""
        self._stopped.set()
        self._thread.join()

    def _produce(self) -> None:
        try:
            for item in self._items:
                self._ready.put(item)
                if self._stopped.is_set():
                    break
        finally:
            self._ready.put(None)


class DeviceSpeaker:
    """Plays speech through PortAudio to the default or a named output device."""

    def __init__(self, settings: TtsSettings, output_device: str | None = None, *,
                 worker: SpeechWorker | None = None, text_stream: TextIO | None = None) -> None:
        self._sd = _sounddevice()
        device = find_device(output_device, "output")
        self._device = device.index
        voice = _Voice(_started_worker(settings, worker), TextSpeaker(text_stream))
        try:
            self._rate = self._playable_rate(voice.worker.sample_rate, device.default_samplerate)
        except BaseException:
            voice.worker.close()
            raise
        self._voice = voice
        self.description = f"{voice.label} → output device {device.name!r}"

    def say(self, text: str) -> None:
        """Play the speech of text, sentence by sentence; prints instead if the device fails."""
        sentences = split_sentences(text)
        if self._voice.failed or not sentences:
            self._voice.text.say(" ".join(sentences))
            return
        played = 0
        # Resampled on the prefetch thread too, so playback never waits for it.
        speeches = _Prefetch(resample(s, self._rate) for s in self._voice.speech(sentences))
        try:
            with self._sd.RawOutputStream(samplerate=self._rate, channels=1, dtype="int16",
                                          device=self._device) as stream:
                for speech in speeches:
                    stream.write(speech.pcm)
                    played += 1
        except self._sd.PortAudioError as error:
            speeches.stop()
            self._voice.give_up(f"audio output failed ({error}); printing answers instead")
            self._voice.text.say(" ".join(sentences[played:]))
        else:
            speeches.stop()

    def close(self) -> None:
        """Stop the worker."""
        self._voice.worker.close()

    def _playable_rate(self, engine_rate: int, native_rate: float) -> int:
        """The engine's rate if the device takes it, else the device's own (speech is resampled)."""
        for rate in (engine_rate, int(native_rate)):
            try:
                self._sd.check_output_settings(device=self._device, channels=1, dtype="int16",
                                               samplerate=rate)
                return rate
            except self._sd.PortAudioError as error:
                reason = error
        raise AudioError(f"output device {self._device} cannot play 16-bit mono ({reason})")


def open_speaker(settings: TtsSettings, out: Path | None = None,
                 output_device: str | None = None, *, text_stream: TextIO | None = None) -> Speaker:
    """A WAV writer for --out, else the sound device; with no device (or a broken engine) a
    TextSpeaker, after one warning on stderr. A named device that does not exist is an error.
    Printed fallbacks go to text_stream (default stdout)."""
    if out is not None:
        return WavFileSpeaker(out, settings, text_stream=text_stream)
    try:
        return DeviceSpeaker(settings, output_device, text_stream=text_stream)
    except AudioError as error:
        if output_device is not None:
            raise
        _warn(f"{error}; answers are printed only")
    except EngineError as error:
        _warn(f"{error}; answers are printed only")
    return TextSpeaker(text_stream)
