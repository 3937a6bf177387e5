"""Parts that fail on an unattended device, kept going: a microphone that is unplugged, busy,
or goes silent is reopened with backoff; a recogniser that raises is opened afresh.

A recogniser that hangs inside its C code cannot be stopped from Python; the service's
watchdog (deploy/voice-skill.service, WatchdogSec=) restarts the whole skill instead, because
the session stops sending its proof of life (events.Tick).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..asr.base import Recognizer, Transcript
from ..audio.devices import Stalled
from ..errors import AudioError
from .events import Fault, Observer, Recovered, Tick

log = logging.getLogger("voice_skill.session")

BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
"""Waits between attempts to reopen a lost microphone; the last repeats."""


def backoff(failures: int) -> float:
    """Seconds to wait after this many failures in a row."""
    return BACKOFF_SECONDS[min(max(failures, 1), len(BACKOFF_SECONDS)) - 1]


class LiveMicrophone:
    """Chunks from a microphone for as long as the session runs, across device faults."""

    def __init__(self, open_source: Callable[[], Any], observers: Sequence[Observer] = (),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.open_source = open_source
        """Returns a context manager whose value has .chunks() (audio.devices.Microphone)."""
        self.observers = list(observers)
        self.sleep = sleep
        self.stopped = False

    def chunks(self) -> Iterator[bytes]:
        """Every chunk the microphone gives; a fault is logged once, then retried quietly."""
        failures = 0
        while not self.stopped:
            opened = None
            try:
                opened = self.open_source()
                for chunk in opened.__enter__().chunks():
                    if failures:
                        self._emit(Recovered("microphone"))
                        failures = 0
                    yield chunk
                    if self.stopped:
                        break
                else:
                    raise AudioError("the microphone closed")
            except AudioError as error:
                if isinstance(error, Stalled):
                    # A stream the sound server dropped can block in close for ever: it is
                    # left as it is (a leaked stream per stall is the price of staying up).
                    opened = None
                if failures == 0:
                    self._emit(Fault("microphone", f"{error}; retrying until it is back"))
                failures += 1
                self._wait(backoff(failures))
            finally:
                if opened is not None:
                    with contextlib.suppress(Exception):
                        opened.__exit__(None, None, None)

    def _wait(self, seconds: float) -> None:
        """Sleep in short steps, still proving life to a watchdog."""
        end = time.monotonic() + seconds
        while not self.stopped and time.monotonic() < end:
            self._emit(Tick(None))
            self.sleep(min(0.5, max(end - time.monotonic(), 0.0)))

    def _emit(self, event: object) -> None:
        for observer in self.observers:
            observer(event)  # type: ignore[arg-type]


class ResilientRecognizer:
    """A Recognizer that, when the engine raises, logs it, opens a fresh one and goes on:
    the utterance in progress is lost, the session is not."""

    def __init__(self, open_recognizer: Callable[[], Recognizer],
                 observers: Sequence[Observer] = ()) -> None:
        self.open_recognizer = open_recognizer
        self.observers = list(observers)
        self.engine = open_recognizer()
        self.description = self.engine.description

    def _restart(self, error: Exception) -> None:
        for observer in self.observers:
            observer(Fault("recogniser", f"{type(error).__name__}: {error}; restarting it"))
        with contextlib.suppress(Exception):
            self.engine.reset()
        self.engine = self.open_recognizer()
        for observer in self.observers:
            observer(Recovered("recogniser"))

    def accept(self, pcm: bytes) -> str:
        try:
            return self.engine.accept(pcm)
        except Exception as error:  # noqa: BLE001 - any engine failure is survivable
            self._restart(error)
            return ""

    def finish(self) -> Transcript:
        try:
            return self.engine.finish()
        except Exception as error:  # noqa: BLE001
            self._restart(error)
            return Transcript("", (), 0.0, "none")

    def reset(self) -> None:
        try:
            self.engine.reset()
        except Exception as error:  # noqa: BLE001
            self._restart(error)

    def recognize_whole(self, pcm: bytes) -> Transcript:
        whole = getattr(self.engine, "recognize_whole", None)
        try:
            if whole is not None:
                return whole(pcm)  # type: ignore[no-any-return]
            self.engine.reset()
            self.engine.accept(pcm)
            return self.engine.finish()
        except Exception as error:  # noqa: BLE001
            self._restart(error)
            return Transcript("", (), 0.0, "none")
