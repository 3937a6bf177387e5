"""A private PulseAudio server for tests that need real audio devices on a machine without any.

The daemon gets its own runtime folder and socket; a pipe source stands in for a microphone
(whatever `feed()` writes to its FIFO is what PortAudio records) and a null sink for a
loudspeaker (its monitor is recorded with `parec`). PortAudio reaches the server through
ALSA's `pulse` plugin (Debian package libasound2-plugins), which shows up as the ALSA
devices "pulse" and "default".

Use the `pulse_audio` fixture: `from pulse import pulse_audio_fixture  # noqa: F401` in a
test module, then ask for `pulse_audio`.
"""

from __future__ import annotations

import glob
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pytest

RATE = 16000
"""Rate of the pipe source (hertz); it reads mono s16le."""

FRAME = RATE // 50
"""Samples the feeder writes per step (20 ms)."""

SOURCE = "test_mic"
SINK = "test_speaker"
_BINARIES = {"pulseaudio": "pulseaudio", "pactl": "pulseaudio-utils", "parec": "pulseaudio-utils"}
_ALSA_PLUGIN = "/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so"


class PulseUnavailable(RuntimeError):
    """The test server cannot run here; the message names what is missing."""


def missing_parts() -> list[str]:
    """What this machine lacks to run the server (Debian package names), empty if nothing."""
    missing = sorted({pkg for exe, pkg in _BINARIES.items() if shutil.which(exe) is None})
    if not glob.glob(_ALSA_PLUGIN):
        missing.append("libasound2-plugins (ALSA pulse plugin)")
    return missing


class PulseServer:
    """A PulseAudio daemon with a pipe source (default input) and a null sink (default output)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "native"
        self.fifo = root / "mic.fifo"
        self.log = root / "pulseaudio.log"
        self.env = {**os.environ, "PULSE_SERVER": f"unix:{self.socket}"}
        self._daemon: subprocess.Popen[bytes] | None = None
        self._queue: queue.Queue[bytes] = queue.Queue()
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._outstanding = 0  # items queued by feed() and not yet fully written
        self._feeder: threading.Thread | None = None
        self._drain: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the daemon, wait for its socket, make the test devices the defaults."""
        self.root.mkdir(parents=True, exist_ok=True)
        daemon_env = {**self.env, "HOME": str(self.root), "XDG_RUNTIME_DIR": str(self.root),
                      "PULSE_RUNTIME_PATH": str(self.root), "XDG_CONFIG_HOME": str(self.root)}
        command = [
            "pulseaudio", "--daemonize=no", "-n", "--use-pid-file=no", "--exit-idle-time=-1",
            "--disallow-exit", "--disable-shm=yes", "--realtime=no", "--high-priority=no",
            "--log-target=stderr",
            "-L", f"module-native-protocol-unix socket={self.socket} auth-anonymous=1",
            "-L", f"module-null-sink sink_name={SINK}",
            "-L", "module-pipe-source " + " ".join(self._pipe_source_args()),
        ]
        with self.log.open("wb") as log:
            self._daemon = subprocess.Popen(command, env=daemon_env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self._daemon.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise PulseUnavailable(f"pulseaudio did not start: {self._log_tail()}")
            time.sleep(0.1)
        self.pactl("set-default-source", SOURCE)
        self.pactl("set-default-sink", SINK)
        self._start_flow()

    def _pipe_source_args(self) -> list[str]:
        return [f"source_name={SOURCE}", f"file={self.fifo}", "format=s16le", f"rate={RATE}",
                "channels=1"]

    def _module(self, name: str) -> str | None:
        for line in self.pactl("list", "short", "modules").splitlines():
            fields = line.split("\t")
            if len(fields) > 1 and fields[1] == name:
                return fields[0]
        return None

    def unplug_microphone(self) -> None:
        """Remove the virtual microphone, as a USB microphone pulled out."""
        module = self._module("module-pipe-source")
        if module is not None:
            self.pactl("unload-module", module)

    def plug_microphone(self) -> None:
        """Put the virtual microphone back (and the feeder and drain that keep it flowing)."""
        self.pactl("load-module", "module-pipe-source", *self._pipe_source_args())
        self.pactl("set-default-source", SOURCE)
        self._start_flow()

    def unplug_speaker(self) -> None:
        """Remove the virtual loudspeaker."""
        module = self._module("module-null-sink")
        if module is not None:
            self.pactl("unload-module", module)

    def plug_speaker(self) -> None:
        self.pactl("load-module", "module-null-sink", f"sink_name={SINK}")
        self.pactl("set-default-sink", SINK)

    def _start_flow(self) -> None:
        """The pipe source stops reading its FIFO while nobody records, so the FIFO would fill
        and hold stale audio; a permanent listener keeps it flowing like a live microphone,
        and the feeder writes silence when nothing is queued."""
        if self._drain is None or self._drain.poll() is not None:
            self._drain = subprocess.Popen(["parec", f"--device={SOURCE}", "--raw"],
                                           env=self.env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
        if self._feeder is None or not self._feeder.is_alive():
            self._feeder = threading.Thread(target=self._feed_forever, name="pulse-feeder",
                                            daemon=True)
            self._feeder.start()

    def _answers(self) -> bool:
        probe = subprocess.run(["pactl", "info"], env=self.env, capture_output=True, check=False)
        return probe.returncode == 0

    def _log_tail(self) -> str:
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        errors = [line for line in lines if line.startswith("E:")] or lines
        return " | ".join(errors[-3:]) or "no log output"

    def pactl(self, *args: str) -> str:
        """Run pactl against this server; its stdout."""
        result = subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                                check=False)
        if result.returncode != 0:
            raise PulseUnavailable(f"pactl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def _feed_forever(self) -> None:
        """Write to the FIFO at real-time pace, silence when nothing is queued.

        The pipe source yields nothing while its FIFO is open but empty, which would starve
        the recording stream; steady silence keeps it flowing like a real microphone.
        """
        try:
            with open(self.fifo, "wb", buffering=0) as fifo:
                self._write_paced(fifo)
        except OSError:  # the daemon went away: teardown, or a failure the tests will report
            return

    def _write_paced(self, fifo: BinaryIO) -> None:
        step_bytes = 2 * FRAME
        pending, item_active = b"", False
        start, written = time.monotonic(), 0
        while not self._stop.is_set():
            if not pending and item_active:
                item_active = False
                with self._done:
                    self._outstanding -= 1
                    self._done.notify_all()
            if not pending:
                try:
                    pending, item_active = self._queue.get_nowait(), True
                except queue.Empty:
                    pass
            step, pending = pending[:step_bytes], pending[step_bytes:]
            fifo.write(step.ljust(step_bytes, b"\0"))
            written += FRAME
            delay = start + written / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def feed(self, pcm: bytes, pad: float = 0.5) -> float:
        """Queue 16 kHz mono s16le for the pipe source, with pad seconds of silence each side.

        Returns the seconds of audio queued; `wait_fed()` blocks until it has all been written.
        """
        padding = bytes(2 * int(RATE * pad))
        with self._done:
            self._outstanding += 1
        self._queue.put(padding + pcm + padding)
        return (len(pcm) + 2 * len(padding)) / 2 / RATE

    def wait_fed(self, timeout: float = 60.0) -> bool:
        """Block until everything queued by feed() has been written; False on timeout."""
        with self._done:
            return self._done.wait_for(lambda: self._outstanding == 0, timeout)

    @contextmanager
    def record_sink(self, path: Path) -> Iterator[Path]:
        """Record the null sink's monitor to a 16 kHz mono WAV at path while the block runs."""
        command = ["parec", f"--device={SINK}.monitor", "--file-format=wav", f"--rate={RATE}",
                   "--channels=1", "--format=s16le", str(path)]
        recorder = subprocess.Popen(command, env=self.env, stderr=subprocess.PIPE)
        try:
            time.sleep(0.3)  # let parec connect before the caller plays anything
            yield path
            time.sleep(0.3)  # and let the tail of the sound reach the monitor
        finally:
            recorder.send_signal(signal.SIGINT)  # parec finalises the WAV header on SIGINT
            try:
                _, errors = recorder.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                recorder.kill()
                _, errors = recorder.communicate()
        if not path.exists():
            raise PulseUnavailable(f"parec recorded nothing: {errors.decode(errors='replace')}")

    def stop(self) -> None:
        """Stop the listener, the daemon (terminate, then kill) and the feeder."""
        self._stop.set()
        for process in (self._drain, self._daemon):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self._drain = self._daemon = None
        if self._feeder is not None:  # its FIFO has lost its reader, so it cannot block now
            self._feeder.join(timeout=5)


@pytest.fixture(scope="session", name="pulse_audio")
def pulse_audio_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """A running private PulseAudio server whose devices sounddevice sees as the defaults.

    Sets PULSE_SERVER for this process (restored afterwards) and makes PortAudio rescan.
    """
    missing = missing_parts()
    if missing:
        pytest.skip(f"PulseAudio test server needs Debian packages: {', '.join(missing)}")
    # Unix socket paths are limited to 108 bytes; pytest's tmp paths are well under that.
    server = PulseServer(tmp_path_factory.mktemp("pulse"))
    try:
        server.start()
    except PulseUnavailable as error:
        pytest.skip(str(error))
    previous = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = server.env["PULSE_SERVER"]
    _rescan_portaudio()
    try:
        yield server
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = previous
        _rescan_portaudio()


def _rescan_portaudio() -> None:
    """Make PortAudio (if loaded) re-read devices, so it sees the server come and go."""
    from voice_skill.audio.devices import list_devices
    from voice_skill.errors import AudioError

    try:
        list_devices(rescan=True)
    except AudioError:  # no PortAudio: the device tests fail with this same message
        pass
