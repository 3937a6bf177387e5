"""Running under systemd: readiness, status and watchdog messages (sd_notify), no dependency.

systemd passes a unix datagram socket in $NOTIFY_SOCKET to a Type=notify unit; each datagram
is newline-separated KEY=VALUE assignments (sd_notify(3)). A name starting with '@' is in
Linux's abstract namespace: the '@' stands for a leading NUL byte. $WATCHDOG_USEC (with
$WATCHDOG_PID) says how often the unit must send WATCHDOG=1 before systemd kills it.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping


def socket_address(name: str) -> str | bytes:
    """The address to send to for a $NOTIFY_SOCKET value; '@' is the abstract namespace."""
    if name.startswith("@"):
        return b"\0" + name[1:].encode()
    return name


def watchdog_interval(environ: Mapping[str, str]) -> float | None:
    """Seconds systemd waits for WATCHDOG=1 before it kills the unit, or None without a
    watchdog (or one meant for another process, per $WATCHDOG_PID)."""
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1e6


class Notifier:
    """Sends sd_notify messages to the service manager; does nothing outside systemd."""

    def __init__(self, address: str | bytes | None, watchdog: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.address = address
        """Where messages go; None when no service manager listens."""
        self.watchdog_seconds = watchdog
        """systemd's watchdog timeout (seconds), None without a watchdog."""
        self._clock = clock
        self._last_ping = float("-inf")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """The notifier systemd's variables ask for ($NOTIFY_SOCKET, $WATCHDOG_USEC)."""
        env = os.environ if environ is None else environ
        name = env.get("NOTIFY_SOCKET", "")
        address = socket_address(name) if name.startswith(("/", "@")) else None
        return cls(address, watchdog_interval(env))

    @property
    def active(self) -> bool:
        """True when a service manager is listening."""
        return self.address is not None

    def send(self, **fields: str) -> bool:
        """Send KEY=VALUE lines in one datagram; False when nobody listens or it failed.

        A service must keep running when its manager's socket is gone, so errors are swallowed.
        """
        if self.address is None:
            return False
        message = "\n".join(f"{key}={value}" for key, value in fields.items()).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, self.address)
        except OSError:
            return False
        return True

    def ready(self, status: str = "") -> bool:
        """READY=1 (and a STATUS line): start-up is over."""
        return self.send(READY="1", **({"STATUS": status} if status else {}))

    def status(self, text: str) -> bool:
        """STATUS=text, shown by `systemctl status`."""
        return self.send(STATUS=text)

    def stopping(self) -> bool:
        """STOPPING=1: shutting down on purpose."""
        return self.send(STOPPING="1")

    def ping(self) -> bool:
        """WATCHDOG=1 if a quarter of the watchdog timeout has passed since the last one."""
        if self.watchdog_seconds is None:
            return False
        now = self._clock()
        # A quarter leaves room for a slow turn (a long answer spoken) between two pings.
        if now - self._last_ping < self.watchdog_seconds / 4:
            return False
        self._last_ping = now
        return self.send(WATCHDOG="1")


def watchdog(notifier: Notifier) -> Callable[[object], None]:
    """A session observer: READY=1 at the first chunk of audio (the microphone works),
    WATCHDOG=1 at every proof of life (events.Tick: each chunk handled, and each step of
    waiting for a lost microphone), STATUS= for faults. A session that hangs stops the pings,
    and systemd restarts the skill."""
    from .voice.events import Fault, Recovered, Tick

    started = False

    def observe(event: object) -> None:
        nonlocal started
        if not notifier.active:
            return
        if isinstance(event, Tick):
            if not started and event.at is not None:
                notifier.ready("listening")
                started = True
            notifier.ping()
        elif isinstance(event, Fault):
            notifier.status(f"{event.part}: {event.message}")
        elif isinstance(event, Recovered):
            notifier.status("listening")

    return observe
