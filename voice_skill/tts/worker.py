"""The speech worker: pyttsx3 in a child process, so a hung engine is killed, not waited for.

pyttsx3 is known to hang on Linux and the Raspberry Pi (runAndWait never returning, notably
on the second call, and after a fork of an initialised engine). So the engine runs in a fresh
interpreter (never a fork) that stays warm between answers; the parent bounds every request
by ``TtsSettings.timeout`` and kills and restarts a worker that falls silent.

Wire protocol on the child's stdin and stdout: every frame is a 4-byte big-endian length and
a payload. Requests are JSON objects. Each reply is a JSON header frame; a successful
``synthesize`` reply is followed by one frame of PCM samples.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Self

from ..errors import ConfigError, EngineError
from ..settings import TTS_RATES, TtsSettings

RATE_RANGE = TTS_RATES
"""Speaking rates espeak-ng accepts (words per minute), as the settings check them."""

VOLUME_RANGE = (0.0, 1.5)
"""Engine volumes a single request may ask for (1.0 is espeak-ng's default amplitude, 100).
Measured with `espeak-ng -a`: amplitude 100 peaks at 0.69 of full scale, 150 at 0.99, 200 at
0.999 (clipped), so above 1.5 speech only distorts, it gets no louder."""

_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class Speech:
    """Synthesised audio of one piece of text."""

    pcm: bytes
    """Mono signed 16-bit little-endian samples."""
    sample_rate: int
    """Samples per second (hertz)."""

    @property
    def duration(self) -> float:
        """Length of the audio (seconds)."""
        return len(self.pcm) / 2 / self.sample_rate


def choose_voice(wanted: str, voices: Sequence[tuple[str, str]]) -> str:
    """Pick the voice id for an id or part of a name; exact matches win, then the shortest id."""
    key = wanted.strip().lower()
    for voice_id, name in voices:
        if key in (voice_id.lower(), voice_id.lower().rsplit("/", 1)[-1], name.lower()):
            return voice_id
    partial = [v for v, name in voices if key in v.lower() or key in name.lower()]
    if partial:
        # 'english' or 'en-us' match several; the shortest id is the plain, unaccented one.
        return min(partial, key=lambda v: (len(v), v))
    english = [v for v, _ in voices if v.lower().rsplit("/", 1)[-1].startswith("en")]
    examples = ", ".join(sorted(english, key=len)[:3])
    raise ConfigError(f"tts.voice {wanted!r}: no such pyttsx3 voice (e.g. {examples})")


# ---------------------------------------------------------------- child side (the worker)


def _send(out: BinaryIO, payload: bytes) -> None:
    out.write(_LENGTH.pack(len(payload)) + payload)
    out.flush()


def _receive(source: BinaryIO) -> bytes | None:
    head = source.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    return source.read(length)


class _Engine:
    """A configured pyttsx3 engine that renders text to WAV through save_to_file."""

    def __init__(self, request: dict[str, Any]) -> None:
        import pyttsx3  # type: ignore[import-untyped]  # only the worker loads the engine

        self._engine = pyttsx3.init()
        self._written = threading.Event()
        self._espeak = _repair_espeak_driver(self._engine, self._written)
        voices = [(v.id, v.name or v.id) for v in self._engine.getProperty("voices")]
        wanted = choose_voice(request["voice"], voices) if request.get("voice") else None
        # pyttsx3 queues property changes until runAndWait and swallows their errors there,
        # so they are checked after the warm-up render below has applied them.
        if wanted:
            self._engine.setProperty("voice", wanted)
        self._delivery = (request["rate"], request["volume"])
        self._engine.setProperty("rate", request["rate"])
        self._engine.setProperty("volume", request["volume"])
        self._folder = request["folder"]
        self._true_rate = _espeak_sample_rate()
        # Warm-up: loads the voice's data now, not when the first answer is waiting.
        self.sample_rate = self.render("ready").sample_rate
        self.voice = str(self._engine.getProperty("voice"))
        if wanted and self.voice.lower() != wanted.lower():
            raise EngineError(f"the speech engine refused voice {wanted!r}")

    def deliver(self, rate: int, volume: float) -> None:
        """Speak later renders at rate (words per minute) and volume (1.0 = engine default)."""
        # Queued like the text itself and applied by the next runAndWait, in order.
        if (rate, volume) != self._delivery:
            self._engine.setProperty("rate", rate)
            self._engine.setProperty("volume", volume)
            self._delivery = (rate, volume)

    def render(self, text: str) -> Speech:
        """Synthesise text to a temporary WAV via pyttsx3 and return its samples."""
        path = os.path.join(self._folder, "speech.wav")
        # pyttsx3 2.99's espeak driver: say() plays through the `aplay` command, while
        # save_to_file() + runAndWait() writes the WAV itself (drivers/espeak.py, _onSynth).
        self._written.clear()
        self._engine.save_to_file(text, path)
        self._engine.runAndWait()
        if self._espeak is not None:
            # espeak-ng in retrieval mode synthesises on its own thread; runAndWait returns after
            # one 10 ms poll, often before the file exists. Wait for the file, then for espeak
            # to go idle: if it still "is playing" at the next runAndWait the driver cancels
            # that next utterance (seen as empty WAVs). A hang here is the parent's to end.
            self._written.wait()
            while self._espeak.IsPlaying():
                time.sleep(0.001)
        try:
            with wave.open(path, "rb") as wav:
                if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                    raise EngineError("speech engine wrote a WAV that is not 16-bit mono")
                rate = self._true_rate or wav.getframerate()
                speech = Speech(wav.readframes(wav.getnframes()), rate)
        except (OSError, wave.Error, EOFError) as error:
            raise EngineError(f"speech engine wrote no readable WAV ({error})") from None
        os.remove(path)
        return speech


def _repair_espeak_driver(engine: Any, written: threading.Event) -> Any | None:
    """Make pyttsx3 2.99's espeak driver (drivers/espeak.py) reliable for files and set
    `written` once each WAV is on disk; returns the espeak module, or None for other drivers.

    espeak-ng in retrieval mode works on its own thread, queueing rate and volume changes and
    text alike, and runAndWait calls driver.stop(), which cancels whatever that queue holds when
    it is busy: the rate just set, or the utterance about to start. Measured: of 150 fresh
    workers at 300 wpm, 2 answered their first sentence with an empty WAV and their second at
    the default 200 wpm; none of 200 workers did once stop is a no-op. This worker never
    interrupts speech (a hung one is killed instead), so nothing is lost by disabling it.
    """
    driver = getattr(engine.proxy, "_driver", None)
    if driver is None or type(driver).__module__ != "pyttsx3.drivers.espeak":
        return None
    from pyttsx3.drivers import _espeak  # type: ignore[import-untyped]

    driver.stop = lambda: None
    # The driver announces finished-utterance after it has closed the WAV file.
    engine.connect("finished-utterance", lambda **_: written.set())
    return _espeak


def _espeak_sample_rate() -> int | None:
    """espeak-ng's real output rate: pyttsx3 2.99 labels every WAV 22050 Hz (drivers/espeak.py),
    which is wrong for voices that synthesise at another rate (mbrola voices use 16000 Hz)."""
    try:
        from pyttsx3.drivers import _espeak  # type: ignore[import-untyped]

        rate = int(_espeak.dll.espeak_ng_GetSampleRate())
    except (ImportError, AttributeError, OSError):
        return None  # not the espeak driver, or an espeak without this call: trust the file
    return rate if rate > 0 else None


def _handle(engine: _Engine | None,
            request: dict[str, Any]) -> tuple[_Engine | None, dict, bytes | None]:
    """Answer one request: the new engine, the reply header and any PCM to send after it."""
    if request.get("op") == "configure":
        engine = _Engine(request)
        return engine, {"ok": True, "voice": engine.voice, "sample_rate": engine.sample_rate}, None
    if request.get("op") == "synthesize" and engine is not None:
        engine.deliver(request["rate"], request["volume"])
        speech = engine.render(request["text"])
        return engine, {"ok": True, "sample_rate": speech.sample_rate}, speech.pcm
    bad = f"bad request {request.get('op')!r}"
    return engine, {"ok": False, "kind": "engine", "error": bad}, None


def _exit_when_orphaned() -> None:
    """End this worker if its parent dies, even while the engine is stuck in C code."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer requests until end of input; engine failures become error replies, never exits."""
    engine: _Engine | None = None
    while (frame := _receive(requests)) is not None:
        pcm = None
        try:
            engine, header, pcm = _handle(engine, json.loads(frame))
        except ConfigError as error:
            header = {"ok": False, "kind": "config", "error": str(error)}
        except Exception as error:  # noqa: BLE001 - any engine failure is reported, not fatal
            header = {"ok": False, "kind": "engine", "error": f"{type(error).__name__}: {error}"}
        _send(replies, json.dumps(header).encode())
        if pcm is not None:
            _send(replies, pcm)


def main() -> None:
    """Worker entry point: the protocol owns stdout, so stray prints go to /dev/null."""
    replies = os.fdopen(os.dup(1), "wb")
    # The espeak driver prints "Audio saved to ..." on every file; keep it off the protocol.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    threading.Thread(target=_exit_when_orphaned, daemon=True).start()
    serve(sys.stdin.buffer, replies)


# ---------------------------------------------------------------- parent side (the client)


class _WorkerFailed(Exception):
    """The worker process hung, died or broke the protocol (internal: triggers a restart)."""


class SpeechWorker:
    """A warm pyttsx3 worker process; every request is bounded by the settings' timeout."""

    def __init__(self, settings: TtsSettings, command: Sequence[str] | None = None) -> None:
        self.settings = settings  # rate, volume and timeout were checked by TtsSettings
        self.command = list(command or [sys.executable, "-m", "voice_skill.tts.worker"])
        """How to start the worker (tests substitute one that hangs)."""
        self.voice = ""
        """The voice id the engine actually uses, known once started."""
        self.sample_rate = 0
        """Rate of the engine's audio (hertz), known once started."""
        self.restarts = 0
        """How many times a hung or dead worker was replaced."""
        self._process: subprocess.Popen[bytes] | None = None
        self._errors: BinaryIO | None = None
        self._buffer = bytearray()
        self._deadline = 0.0
        self._folder = ""

    @property
    def pid(self) -> int | None:
        """Process id of the running worker, if any."""
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start and configure the worker; ConfigError for an unknown voice, else EngineError."""
        try:
            self._start()
        except _WorkerFailed as error:
            self.kill()
            raise EngineError(f"speech engine did not start: {error}") from None

    def synthesize(self, text: str, rate: int | None = None, volume: float | None = None) -> Speech:
        """Speech for text, at rate (words per minute) and volume (1.0 = engine default) if given,
        else the settings'; a hung or dead worker is replaced and asked once more."""
        request = {"op": "synthesize", "text": text, "rate": rate or self.settings.rate,
                   "volume": self.settings.volume if volume is None else volume}
        if not text.strip():
            self.start()
            return Speech(b"", self.sample_rate)  # pyttsx3 asserts on empty text
        for attempt in (1, 2):
            try:
                self._start()
                header = self._request(request)
                return Speech(bytes(self._read_frame()), int(header["sample_rate"]))
            except _WorkerFailed as error:
                self.kill()
                if attempt == 2:
                    raise EngineError(f"speech engine failed twice: {error}") from None
                self.restarts += 1
        raise AssertionError("unreachable")

    def kill(self) -> None:
        """Stop the worker at once (it may be hung); the next request starts a fresh one."""
        if self._process is None:
            return
        self._process.kill()
        self._process.wait()
        self._close_pipes()

    def close(self) -> None:
        """Let the worker finish and exit; kill it if it does not within a second."""
        if self._process is None:
            return
        try:
            self._process.stdin.close()  # type: ignore[union-attr]
            self._process.wait(timeout=1.0)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        self._close_pipes()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        if self._process is not None:
            return
        self._spawn()
        header = self._request({"op": "configure", "voice": self.settings.voice,
                                "rate": self.settings.rate, "volume": self.settings.volume,
                                "folder": self._folder})
        self.voice = str(header.get("voice", ""))
        self.sample_rate = int(header["sample_rate"])

    def _spawn(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        # The worker imports this package even when the caller runs from another folder.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - the worker's stderr while it lives
        # The parent owns the worker's scratch folder, so even a killed worker leaves nothing.
        self._folder = tempfile.mkdtemp(prefix="voice-skill-tts-")
        try:
            # A session of its own: Ctrl-C at the terminal is for the skill, which then stops
            # the worker itself, not for the worker to die mid-sentence with a traceback.
            self._process = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=errors, env=env,
                                             start_new_session=True)
        except OSError as error:
            errors.close()
            shutil.rmtree(self._folder, ignore_errors=True)
            raise _WorkerFailed(f"cannot run {self.command[0]} ({error.strerror})") from None
        self._errors = errors
        self._buffer.clear()

    def _close_pipes(self) -> None:
        process, self._process = self._process, None
        for pipe in (process.stdin, process.stdout) if process else ():
            try:
                pipe.close()  # type: ignore[union-attr]
            except OSError:
                pass  # a broken pipe to a dead worker is expected here
        if self._errors is not None:
            self._errors.close()
            self._errors = None
            shutil.rmtree(self._folder, ignore_errors=True)

    def _request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and read its header; the timeout runs from the moment of sending."""
        self._deadline = time.monotonic() + self.settings.timeout
        payload = json.dumps(message).encode()
        self._write_all(_LENGTH.pack(len(payload)) + payload)
        try:
            header = json.loads(self._read_frame())
        except ValueError:
            raise _WorkerFailed("worker broke the protocol") from None
        if not header.get("ok"):
            error = str(header.get("error", "unknown error"))
            if header.get("kind") == "config":
                self.kill()
                raise ConfigError(error)
            raise _WorkerFailed(error)
        return header

    def _write_all(self, data: bytes) -> None:
        fd = self._process.stdin.fileno()  # type: ignore[union-attr]
        view = memoryview(data)
        while view:
            if not select.select([], [fd], [], self._remaining())[1]:
                raise _WorkerFailed(f"worker did not read for {self.settings.timeout:g} s (hung)")
            try:
                view = view[os.write(fd, view):]
            except OSError:
                raise _WorkerFailed(self._death_note()) from None

    def _read_frame(self) -> bytes:
        (length,) = _LENGTH.unpack(self._read_exact(_LENGTH.size))
        return self._read_exact(length)

    def _read_exact(self, size: int) -> bytes:
        fd = self._process.stdout.fileno()  # type: ignore[union-attr]
        while len(self._buffer) < size:
            if not select.select([fd], [], [], self._remaining())[0]:
                raise _WorkerFailed(f"no reply within {self.settings.timeout:g} s (hung)")
            chunk = os.read(fd, max(65536, size - len(self._buffer)))
            if not chunk:
                raise _WorkerFailed(self._death_note())
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _remaining(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def _death_note(self) -> str:
        """Why the worker went away: its exit status and last line of error output."""
        assert self._process is not None and self._errors is not None
        try:
            status = self._process.wait(timeout=self._remaining())
        except subprocess.TimeoutExpired:
            return "worker closed its output but did not exit"
        self._errors.seek(0)
        lines = self._errors.read().decode(errors="replace").strip().splitlines()
        return f"worker exited with status {status}" + (f": {lines[-1]}" if lines else "")


if __name__ == "__main__":
    main()
