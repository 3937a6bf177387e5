"""Playing speech so that it can be cut off: one utterance at a time, on a thread of its own.

Synthesis runs a sentence ahead on a second thread. Audio goes to the output in short chunks
and the stop flag is checked between them, so stop() silences the output within one chunk
plus the output's own abort; sentences still being synthesised or queued are dropped.
A failing output is retried with backoff while the speech falls back to captions.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..errors import AudioError
from ..settings import TtsSettings
from .worker import RATE_RANGE, VOLUME_RANGE, Speech

log = logging.getLogger(__name__)

RATE_STEP = 1.25
""""faster" multiplies the speaking rate by this, "slower" divides by it."""
VOLUME_STEP = 0.25
""""louder" adds this to the engine volume, "softer" takes it away (1.0 = engine default)."""


@dataclass(frozen=True)
class Delivery:
    """How to say one text: speed and loudness, as the voice commands change them."""

    rate: int = TtsSettings.rate
    """Speaking rate (words per minute), within RATE_RANGE."""
    volume: float = TtsSettings.volume
    """Engine volume, within VOLUME_RANGE (1.0 = espeak-ng's default amplitude)."""

    def __post_init__(self) -> None:
        if not RATE_RANGE[0] <= self.rate <= RATE_RANGE[1]:
            raise ValueError(f"speaking rate must be {RATE_RANGE[0]} to {RATE_RANGE[1]} wpm, "
                             f"got {self.rate!r}")
        if not VOLUME_RANGE[0] <= self.volume <= VOLUME_RANGE[1]:
            raise ValueError(f"volume must be {VOLUME_RANGE[0]} to {VOLUME_RANGE[1]}, "
                             f"got {self.volume!r}")

    @classmethod
    def from_settings(cls, settings: TtsSettings) -> Delivery:
        """The delivery the settings ask for."""
        return cls(rate=settings.rate, volume=settings.volume)

    def slower(self) -> Delivery:
        """One step slower, never below the engine's slowest rate."""
        return dataclasses.replace(self, rate=max(RATE_RANGE[0], round(self.rate / RATE_STEP)))

    def faster(self) -> Delivery:
        """One step faster, never above the engine's fastest rate."""
        return dataclasses.replace(self, rate=min(RATE_RANGE[1], round(self.rate * RATE_STEP)))

    def louder(self) -> Delivery:
        """One step louder, up to the loudest volume that does not distort."""
        return dataclasses.replace(self, volume=min(VOLUME_RANGE[1], self.volume + VOLUME_STEP))

    def softer(self) -> Delivery:
        """One step softer, down to silence."""
        return dataclasses.replace(self, volume=max(VOLUME_RANGE[0], self.volume - VOLUME_STEP))


@dataclass(frozen=True)
class Playing:
    """What the speaker is sounding now: the session tells its own echo from barge-in by it."""

    text: str
    """The whole text being spoken, or "earcon:<name>" for a tone."""
    sentence: str
    """The sentence whose audio is reaching the output now (the text itself for a tone)."""
    since: float
    """When the text's first audio went to the output (time.monotonic(), seconds)."""


class Output(Protocol):
    """Where samples go: a sound device or a file. Errors are AudioError."""

    sample_rate: int
    """Rate every write is at (hertz)."""
    latency: float
    """Audio buffered ahead of what is heard (seconds); finish() may drop up to this much."""

    def open(self) -> None:
        """Get ready to take samples (open the device)."""

    def write(self, pcm: bytes) -> None:
        """Queue 16-bit mono samples; a device blocks while its buffer is full."""

    def finish(self) -> None:
        """Let everything queued play out, then close."""

    def abort(self) -> None:
        """Drop everything queued at once and close; never raises."""


class Backoff:
    """When to try a failed output again: after 1, 2, 4 ... seconds, at most `longest`."""

    def __init__(self, first: float = 1.0, longest: float = 30.0) -> None:
        self.first = first
        self.longest = longest
        self.failures = 0
        """Failures in a row; 0 while the output works."""
        self.retry_at = 0.0
        """Earliest time for the next attempt (time.monotonic(), seconds)."""

    @property
    def down(self) -> bool:
        """The last attempt failed."""
        return self.failures > 0

    def ready(self, now: float) -> bool:
        """Whether an attempt may be made at now (seconds)."""
        return not self.down or now >= self.retry_at

    def failed(self, now: float) -> float:
        """Record a failure at now; the wait until the next attempt (seconds)."""
        delay = min(self.longest, self.first * 2 ** self.failures)
        self.failures += 1
        self.retry_at = now + delay
        return delay

    def succeeded(self) -> None:
        """Record a working output."""
        self.failures = 0


SpeechSource = Callable[[Sequence[str], "Delivery | None"], Iterator[Speech]]
"""Speech for each sentence, at the output's rate; prints what it cannot synthesise."""


@dataclass(frozen=True)
class _Job:
    text: str
    """What Playing.text reports."""
    sentences: tuple[str, ...]
    """Sentences to synthesise (none for a tone)."""
    delivery: Delivery | None
    """Rate and volume for synthesis; None for the settings'."""
    tone: Speech | None = None
    """Ready-made audio played instead of synthesis."""


class Player:
    """Plays one job at a time from a speech source to an output; start, stop and observe."""

    def __init__(self, source: SpeechSource, output: Output, caption: Callable[[str], None],
                 *, chunk_seconds: float = 0.02, backoff: Backoff | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._output = output
        self._caption = caption
        self._chunk_bytes = 2 * max(1, int(output.sample_rate * chunk_seconds))
        self.backoff = backoff or Backoff()
        """The output's health and next retry."""
        self._clock = clock
        self._synthesis = threading.Lock()  # one request at a time reaches the worker
        self._state = threading.Lock()
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._playing: Playing | None = None
        self._last_played_at: float | None = None

    @property
    def speaking(self) -> bool:
        """A job is playing (or being synthesised)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def now_playing(self) -> Playing | None:
        """What is reaching the output now, if anything."""
        return self._playing

    @property
    def last_played_at(self) -> float | None:
        """When the output last stopped sounding (time.monotonic(), seconds); None if never."""
        return self._last_played_at

    def start(self, text: str, sentences: Sequence[str], delivery: Delivery | None) -> None:
        """Stop whatever plays and start speaking sentences; returns at once."""
        self._begin(_Job(text, tuple(sentences), delivery))

    def play(self, label: str, tone: Speech) -> None:
        """Stop whatever plays and start playing ready-made audio; returns at once."""
        self._begin(_Job(label, (), None, tone))

    def stop(self, timeout: float = 1.0) -> None:
        """Silence the output and drop unspoken sentences; returns once the output is quiet
        (or after timeout seconds if the device hangs)."""
        with self._state:
            thread = self._thread
            self._cancel.set()
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("audio output did not stop within %.1f s", timeout)

    def release(self, timeout: float) -> bool:
        """Stop, and wait up to timeout seconds for a stopped job's last synthesis request,
        so the worker can be closed; False if it is still busy (hung: kill it)."""
        self.stop()
        if not self._synthesis.acquire(timeout=timeout):
            return False
        self._synthesis.release()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends; False if it is still playing after timeout seconds."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.speaking

    def _begin(self, job: _Job) -> None:
        self.stop()
        with self._state:
            self._cancel = cancel = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(job, cancel),
                                            name="tts-playback", daemon=True)
            self._thread.start()

    def _run(self, job: _Job, cancel: threading.Event) -> None:
        try:
            self._play(job, cancel)
        except Exception:  # noqa: BLE001 - a bug here must not kill the session, only the job
            log.exception("speech playback failed")
            self._caption(" ".join(job.sentences))
        finally:
            if self._playing is not None:
                self._last_played_at = self._clock()
            self._playing = None

    def _play(self, job: _Job, cancel: threading.Event) -> None:
        """Play a job to its end or until cancelled; on an output fault, caption the rest."""
        if not self.backoff.ready(self._clock()):
            self._caption(" ".join(job.sentences))  # still waiting to retry the output
            return
        items = iter([job.tone]) if job.tone is not None else self._source(job.sentences,
                                                                           job.delivery)
        speeches = _Prefetch(items, cancel, self._synthesis)
        played, opened = 0, False
        try:
            for speech in speeches:
                if not opened:
                    self._output.open()
                    opened = True
                if not self._write(job, played, speech, cancel):
                    break
                played += 1
            if opened and self._pad(cancel):
                self._output.finish()
            elif opened:
                self._output.abort()
        except AudioError as error:
            self._output.abort()
            self._fault(error)
            if not cancel.is_set():
                self._caption(" ".join(job.sentences[played:]))

    def _write(self, job: _Job, index: int, speech: Speech, cancel: threading.Event) -> bool:
        """Write one sentence's audio in chunks; False once cancelled."""
        sentence = job.sentences[index] if job.sentences else job.text
        for offset in range(0, len(speech.pcm), self._chunk_bytes):
            if cancel.is_set():
                return False
            self._output.write(speech.pcm[offset:offset + self._chunk_bytes])
            playing = self._playing
            if playing is None:
                self._playing = Playing(job.text, sentence, self._clock())
                self._recovered()  # a device can open and still fail its first write
            elif playing.sentence != sentence:
                self._playing = dataclasses.replace(playing, sentence=sentence)
        return not cancel.is_set()

    def _pad(self, cancel: threading.Event) -> bool:
        """Push the last words out of the device's buffer with silence: PortAudio's ALSA
        stop drops what is still buffered (an earcon lost all but 10 ms of its 160 ms)."""
        silence = bytes(2 * int(self._output.sample_rate * self._output.latency))
        for offset in range(0, len(silence), self._chunk_bytes):
            if cancel.is_set():
                return False
            self._output.write(silence[offset:offset + self._chunk_bytes])
        return not cancel.is_set()

    def _fault(self, error: AudioError) -> None:
        """Log the first failure of a run as a warning, later failed retries quietly."""
        first = not self.backoff.down
        delay = self.backoff.failed(self._clock())
        if first:
            log.warning("%s; captions only, retrying the output in %g s", error, delay)
        else:
            log.debug("%s; retrying the output in %g s", error, delay)

    def _recovered(self) -> None:
        if self.backoff.down:
            log.info("audio output is back after %d failed attempts", self.backoff.failures)
        self.backoff.succeeded()


class _Prefetch:
    """Runs a speech iterator on a background thread, so the next sentence is synthesised
    while this one plays; cancelling drops what is queued or still being made."""

    def __init__(self, items: Iterator[Speech], cancel: threading.Event,
                 lock: threading.Lock) -> None:
        self._items = items
        self._cancel = cancel
        self._lock = lock
        # One sentence ahead: enough to play without gaps, and little work wasted on a stop.
        self._ready: queue.Queue[Speech | None] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._produce, name="tts-prefetch", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[Speech]:
        while not self._cancel.is_set():
            try:
                item = self._ready.get(timeout=0.02)  # wakes to see a stop during synthesis
            except queue.Empty:
                continue
            if item is None:
                return
            yield item

    def _produce(self) -> None:
        try:
            while not self._cancel.is_set():
                # Held per sentence: the next job's thread waits here for the worker, so a
                # stopped job's unfinished request never interleaves with a new one.
                with self._lock:
                    item = None if self._cancel.is_set() else next(self._items, None)
                if item is None or not self._hand_over(item):
                    break
        finally:
            self._hand_over(None)

    def _hand_over(self, item: Speech | None) -> bool:
        """Queue item once there is room; False if cancelled first (nobody will take it)."""
        while not self._cancel.is_set():
            try:
                self._ready.put(item, timeout=0.02)
                return True
            except queue.Full:
                continue
        return False
