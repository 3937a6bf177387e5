"""Speaking: the Speaker protocol and its engines — a sound device, a WAV file, or plain text.

Speech comes from pyttsx3 (espeak-ng on Linux) running in a warm worker process
(``worker.py``), one sentence at a time, so the first sentence can play while the next is
synthesised and a hung engine costs one sentence, not the whole conversation. Speakers start
speech and return (``start``), cut it off for barge-in (``stop``, see ``playback.py``), say what
is sounding (``now_playing``), play earcons, and fall back to captions while the device is gone.
"""

from __future__ import annotations

import io
import re
import sys
import wave
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol, TextIO

from ..audio.devices import find_device
from ..audio.pcm import resample_s16
from ..errors import AudioError, EngineError
from ..settings import TtsSettings
from .earcon import EARCONS, EarconName, earcon_speech
from .outputs import DeviceOutput, WavOutput, _sounddevice
from .playback import Delivery, Output, Player, Playing
from .worker import Speech, SpeechWorker

__all__ = [
    "Delivery", "DeviceSpeaker", "Playing", "Speaker", "Speech", "SpeechWorker", "TextSpeaker",
    "WavFileSpeaker", "open_speaker", "split_sentences", "synthesize_wav",
    "wav_bytes",
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class Speaker(Protocol):
    """Says text aloud (or as well as it can); speech can be started, stopped and observed.

    No method raises for device or engine trouble: speech falls back to printed captions.
    """

    description: str
    """What the speech goes through, for the start-up banner."""

    @property
    def speaking(self) -> bool:
        """Something is being said (or synthesised to be said) now."""

    @property
    def now_playing(self) -> Playing | None:
        """What is sounding now and since when, so the session can ignore its own echo."""

    @property
    def last_played_at(self) -> float | None:
        """When the output last fell silent (time.monotonic(), seconds); None if never."""

    def start(self, text: str, delivery: Delivery | None = None) -> None:
        """Begin saying text (stopping anything still playing) and return at once."""

    def stop(self) -> None:
        """Stop speaking within a few tens of milliseconds, dropping unsaid sentences."""

    def wait(self, timeout: float | None = None) -> bool:
        """Block until speech ends; False if it still goes on after timeout seconds."""

    def say(self, text: str, delivery: Delivery | None = None) -> None:
        """Say all of text and block until it is said: start() then wait()."""

    def earcon(self, name: EarconName) -> None:
        """Begin playing a short tone ("listening" or "done"); nothing when earcons are off."""

    def close(self) -> None:
        """Stop, then release the engine and the device or file."""


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
    speaking = False
    now_playing = None
    last_played_at = None

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def start(self, text: str, delivery: Delivery | None = None) -> None:
        """Print text on its own line (nothing for blank text); printing is never cut short."""
        if text.strip():
            print(text.strip(), file=self._stream or sys.stdout, flush=True)

    def say(self, text: str, delivery: Delivery | None = None) -> None:
        """Print text on its own line (nothing for blank text)."""
        self.start(text, delivery)

    def stop(self) -> None:
        """Nothing to stop."""

    def wait(self, timeout: float | None = None) -> bool:
        """Printing is done at once."""
        return True

    def earcon(self, name: EarconName) -> None:
        """No tones without sound."""

    def close(self) -> None:
        """Nothing to release."""


class _Voice:
    """Sentence-by-sentence speech from a worker; after an engine failure it prints instead."""

    def __init__(self, worker: SpeechWorker, text: TextSpeaker) -> None:
        self.worker = worker
        self.text = text
        self.failed = False

    def speech(self, sentences: Sequence[str],
               delivery: Delivery | None = None) -> Iterator[Speech]:
        """Speech per sentence, at delivery's rate and volume if given, else the settings';
        on failure the unspoken sentences are printed and it stops."""
        rate, volume = (delivery.rate, delivery.volume) if delivery else (None, None)
        for index, sentence in enumerate(sentences):
            try:
                if self.failed:
                    raise EngineError("speech engine given up on earlier")
                speech = self.worker.synthesize(sentence, rate, volume)
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


class _Playable:
    """start/stop/wait/say/earcon over a Player; a subclass sets _player, _voice and _tones."""

    _player: Player
    _voice: _Voice
    _tones: dict[str, Speech]

    @property
    def speaking(self) -> bool:
        """Something is being said (or synthesised to be said) now."""
        return self._player.speaking

    @property
    def now_playing(self) -> Playing | None:
        """What is sounding now and since when."""
        return self._player.now_playing

    @property
    def last_played_at(self) -> float | None:
        """When the output last fell silent (time.monotonic(), seconds); None if never."""
        return self._player.last_played_at

    def start(self, text: str, delivery: Delivery | None = None) -> None:
        """Begin saying text sentence by sentence at delivery's rate and volume; returns at once."""
        self._player.start(text, split_sentences(text), delivery)

    def stop(self) -> None:
        """Silence the output, dropping sentences not yet said or still being synthesised."""
        self._player.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until speech ends; False if it still goes on after timeout seconds."""
        return self._player.wait(timeout)

    def say(self, text: str, delivery: Delivery | None = None) -> None:
        """Say all of text and block until it is said."""
        self.start(text, delivery)
        self.wait()

    def earcon(self, name: EarconName) -> None:
        """Begin playing the named tone; nothing when earcons are off."""
        if self._tones:
            self._player.play(f"earcon:{name}", self._tones[name])

    def close(self) -> None:
        """Stop playing and stop the worker (killed if a request of its is still hung)."""
        if not self._player.release(timeout=2 * self._voice.worker.settings.timeout):
            self._voice.worker.kill()
        self._voice.worker.close()

    def _make_player(self, voice: _Voice, output: Output, earcon_volume: float | None) -> None:
        self._voice = voice
        rate = output.sample_rate
        self._player = Player(lambda sentences, delivery: (
            resample(s, rate) for s in voice.speech(sentences, delivery)), output, voice.text.say)
        self._tones = {} if earcon_volume is None else {
            name: earcon_speech(name, rate, earcon_volume) for name in EARCONS}


class WavFileSpeaker(_Playable):
    """Writes everything said, in order, into one WAV file instead of playing it."""

    def __init__(self, path: Path, settings: TtsSettings, *, worker: SpeechWorker | None = None,
                 text_stream: TextIO | None = None, earcon_volume: float | None = None) -> None:
        self.path = Path(path)
        try:
            self._file: BinaryIO = open(self.path, "wb")  # noqa: SIM115 - held until close()
        except OSError as error:
            raise AudioError(f"{self.path}: cannot write WAV file ({error.strerror})") from None
        try:
            voice = _Voice(_started_worker(settings, worker), TextSpeaker(text_stream))
        except BaseException:
            self._file.close()
            raise
        self._wav = wave.open(self._file, "wb")  # noqa: SIM115 - held until close()
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(voice.worker.sample_rate)
        output = WavOutput(self._wav, self._file)
        output.write(b"")  # a valid, empty WAV exists even if nothing is ever said
        self._make_player(voice, output, earcon_volume)
        self.description = f"{voice.label} → WAV file {self.path}"

    def close(self) -> None:
        """Finish the file and stop the worker."""
        super().close()
        if not self._file.closed:
            self._wav.close()
            self._file.close()


class DeviceSpeaker(_Playable):
    """Plays speech through PortAudio to the default or a named output device."""

    def __init__(self, settings: TtsSettings, output_device: str | None = None, *,
                 worker: SpeechWorker | None = None, text_stream: TextIO | None = None,
                 earcon_volume: float | None = None) -> None:
        self._sd = _sounddevice()
        device = find_device(output_device, "output")
        self._device = device.index
        voice = _Voice(_started_worker(settings, worker), TextSpeaker(text_stream))
        try:
            rate = self._playable_rate(voice.worker.sample_rate, device.default_samplerate)
        except BaseException:
            voice.worker.close()
            raise
        self._make_player(voice, DeviceOutput(self._sd, self._device, rate), earcon_volume)
        self.description = f"{voice.label} → output device {device.name!r}"

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
                 output_device: str | None = None, *, text_stream: TextIO | None = None,
                 earcon_volume: float | None = None) -> Speaker:
    """A WAV writer for --out, else the sound device; with no device (or a broken engine) a
    TextSpeaker, after one warning on stderr. A named device that does not exist is an error.
    Printed fallbacks go to text_stream (default stdout); earcons play at earcon_volume (0..1 of
    full scale), none if it is None (see earcon.earcon_volume)."""
    if out is not None:
        return WavFileSpeaker(out, settings, text_stream=text_stream, earcon_volume=earcon_volume)
    try:
        return DeviceSpeaker(settings, output_device, text_stream=text_stream,
                             earcon_volume=earcon_volume)
    except AudioError as error:
        if output_device is not None:
            raise
        _warn(f"{error}; answers are printed only")
    except EngineError as error:
        _warn(f"{error}; answers are printed only")
    return TextSpeaker(text_stream)
