"""Running as a systemd service: sd_notify over a real unix datagram socket, and the unit file."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from voice_skill.service import Notifier, socket_address, watchdog, watchdog_interval
from voice_skill.voice.events import Fault, Tick

UNIT = Path(__file__).resolve().parent.parent / "deploy" / "voice-skill.service"


@pytest.fixture(name="manager")
def manager_fixture(tmp_path: Path) -> Iterator[socket.socket]:
    """A unix datagram socket in tmp standing in for systemd's notify socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify"))
        sock.settimeout(5)
        yield sock


def received(sock: socket.socket) -> list[str]:
    """Every datagram waiting on sock, decoded."""
    messages = []
    sock.settimeout(0.2)
    try:
        while True:
            messages.append(sock.recv(4096).decode())
    except TimeoutError:
        return messages


def test_ready_status_and_stopping_reach_the_socket(manager: socket.socket) -> None:
    notifier = Notifier.from_environment({"NOTIFY_SOCKET": manager.getsockname()})
    assert notifier.active
    assert notifier.ready("listening")
    assert notifier.status("answering")
    assert notifier.stopping()
    assert received(manager) == ["READY=1\nSTATUS=listening", "STATUS=answering", "STOPPING=1"]


def test_abstract_namespace_socket() -> None:
    name = f"voice-skill-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(5)
        notifier = Notifier.from_environment({"NOTIFY_SOCKET": "@" + name})
        assert notifier.ready()
        assert sock.recv(4096) == b"READY=1"
    assert socket_address("@x") == b"\0x"
    assert socket_address("/run/systemd/notify") == "/run/systemd/notify"


def test_outside_systemd_nothing_is_sent() -> None:
    notifier = Notifier.from_environment({})
    assert not notifier.active
    assert not notifier.ready() and not notifier.ping()
    watchdog(notifier)(Tick(0.1))  # an observer outside systemd does nothing, and no harm


def test_a_vanished_manager_does_not_stop_the_skill(tmp_path: Path) -> None:
    assert not Notifier(str(tmp_path / "gone")).ready()


def test_watchdog_interval_from_the_environment() -> None:
    pid = str(os.getpid())
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": pid}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval({}) is None


def test_pings_are_spaced_by_a_quarter_of_the_timeout(manager: socket.socket) -> None:
    now = [100.0]
    notifier = Notifier(manager.getsockname(), watchdog=8.0, clock=lambda: now[0])
    sent = []
    for step in (0.0, 1.0, 1.5, 0.5, 3.0):  # at 100, 101, 102.5, 103, 106
        now[0] += step
        sent.append(notifier.ping())
    assert sent == [True, False, True, False, True]
    assert received(manager) == ["WATCHDOG=1"] * 3


def test_the_watchdog_observer_is_ready_at_the_first_audio_and_pings_while_waiting(
        manager: socket.socket) -> None:
    notifier = Notifier(manager.getsockname(), watchdog=30.0)
    observe = watchdog(notifier)
    observe(Tick(None))  # a microphone being retried: alive, but not ready
    assert received(manager) == ["WATCHDOG=1"]
    observe(Fault("microphone", "unplugged"))
    assert received(manager) == ["STATUS=microphone: unplugged"]
    observe(Tick(0.1))
    assert received(manager)[0] == "READY=1\nSTATUS=listening"


def test_the_listen_command_reports_ready_to_systemd(manager: socket.socket) -> None:
    """The real CLI: `listen --stdin` with NOTIFY_SOCKET set says READY=1, then STOPPING=1."""
    env = {**os.environ, "NOTIFY_SOCKET": manager.getsockname(), "WATCHDOG_USEC": "30000000"}
    env.pop("WATCHDOG_PID", None)
    silence = bytes(2 * 16000)  # one second of 16 kHz s16le silence, then end of stream
    result = subprocess.run(
        [sys.executable, "-m", "voice_skill", "listen", "--stdin", "--engine", "pocketsphinx",
         "--out", os.devnull],
        input=silence, capture_output=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr.decode()
    messages = received(manager)
    assert messages[0] == "READY=1\nSTATUS=listening"
    assert "WATCHDOG=1" in messages
    assert messages[-1] == "STOPPING=1"


def _verify(unit: Path) -> str:
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True, timeout=60, check=False)
    return (result.stdout + result.stderr).strip()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian package systemd)")
def test_unit_file_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart exists, so point it at this environment's console script.
    script = Path(sys.executable).parent / "voice-skill"
    text = UNIT.read_text().replace("/opt/voice-skill/bin/voice-skill", str(script))
    good = tmp_path / "voice-skill.service"
    good.write_text(text)
    assert _verify(good) == ""
    # The same check sees a mistake, so the clean result above means something.
    bad = tmp_path / "typo.service"
    bad.write_text(text.replace("WatchdogSec=", "WatchdogSecs="))
    assert "WatchdogSecs" in _verify(bad)


def test_unit_runs_the_skill_unprivileged_with_a_watchdog() -> None:
    lines = set(UNIT.read_text().splitlines())
    for setting in ("Type=notify", "DynamicUser=yes", "SupplementaryGroups=audio",
                    "StateDirectory=voice-skill", "Restart=on-failure"):
        assert setting in lines
    assert any(line.startswith("WatchdogSec=") for line in lines)
