"""Recording the test server's loudspeaker with a clock: which moment each sample was heard.

`parec` on the null sink's monitor, at low latency (a null sink with no low-latency client
renders in blocks of up to 2 s, which would stall players and blur the timing). The sample
count is the clock between chunks: sample i was heard when the chunk holding it arrived, less
the samples after it in that chunk (the monitor runs at real-time pace). Each chunk is its own
anchor, because a sink that is just switching to low latency delivers nothing for a while.
Used by the speaker tests and bench/bench_barge_in.py.
"""

from __future__ import annotations

import bisect
import subprocess
import threading
import time

import numpy

RATE = 16000
"""Rate of the recording (hertz)."""

WINDOW = 0.01
"""Length of one energy window (seconds)."""


class MonitorRecorder:
    """Records `<sink>.monitor` of a PulseAudio server while it is open (a context manager)."""

    def __init__(self, env: dict[str, str], sink: str, latency_ms: int = 10) -> None:
        self._command = ["parec", f"--device={sink}.monitor", "--raw", f"--rate={RATE}",
                         "--channels=1", "--format=s16le", f"--latency-msec={latency_ms}"]
        self._env = env
        self._chunks: list[bytes] = []
        self._arrivals: list[float] = []
        self._ends: list[int] = []  # samples recorded up to the end of each chunk
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> MonitorRecorder:
        self._process = subprocess.Popen(self._command, env=self._env, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        # Wait for steady flow: the sink renders in long blocks until it serves this recorder.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.1)
            recent = [end for at, end in zip(self._arrivals, self._ends, strict=True)
                      if at > time.monotonic() - 0.5]
            if len(recent) > 10 and recent[-1] - recent[0] > 0.35 * RATE:
                return self
        raise AssertionError("the sink's monitor does not deliver audio steadily")

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.3)  # the tail of the sound reaches the monitor
        assert self._process is not None and self._thread is not None
        self._process.terminate()
        self._process.wait(timeout=5)
        self._thread.join(timeout=5)

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        total = 0
        while chunk := self._process.stdout.read1(4096):  # type: ignore[attr-defined]
            total += len(chunk)
            self._chunks.append(chunk)
            self._ends.append(total // 2)
            self._arrivals.append(time.monotonic())

    @property
    def samples(self) -> numpy.ndarray:
        """Everything recorded so far, as float samples."""
        data = b"".join(self._chunks)
        return numpy.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(numpy.float64)

    def time_of(self, index: int) -> float:
        """When sample index was heard (time.monotonic(), seconds); late by at most the
        recorder's latency, so durations measured to it are upper bounds."""
        chunk = min(bisect.bisect_right(self._ends, index), len(self._ends) - 1)
        return self._arrivals[chunk] - (self._ends[chunk] - index) / RATE

    def loud_windows(self, threshold: float = 300.0) -> numpy.ndarray:
        """Start sample of each WINDOW whose RMS exceeds threshold."""
        x = self.samples
        size = int(RATE * WINDOW)
        count = len(x) // size
        rms = numpy.sqrt(numpy.mean(x[: count * size].reshape(count, size) ** 2, axis=1))
        return numpy.flatnonzero(rms > threshold) * size

    def sound_between(self, start: float, end: float, threshold: float = 300.0) -> float:
        """Seconds of loud audio heard between two time.monotonic() moments."""
        loud = [self.time_of(int(i)) for i in self.loud_windows(threshold)]
        return WINDOW * sum(start <= t < end for t in loud)

    def last_sound(self, threshold: float = 300.0) -> float | None:
        """When the last loud window ended (time.monotonic(), seconds); None if all silent."""
        loud = self.loud_windows(threshold)
        return self.time_of(int(loud[-1]) + int(RATE * WINDOW)) if len(loud) else None
