"""Push-to-talk: Enter on the terminal, or a button wired to a Raspberry Pi's GPIO pin."""

from __future__ import annotations

import threading
from typing import IO

from ..errors import ConfigError

GPIO_BOUNCE_SECONDS = 0.05
"""A mechanical button chatters for a few milliseconds; presses closer than this are one."""


class _Presses:
    """Counts presses from another thread; pressed() takes one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def press(self) -> None:
        with self._lock:
            self._count += 1

    def pressed(self) -> bool:
        """True once for each press since the last call."""
        with self._lock:
            if self._count:
                self._count = 0  # several presses while busy mean one request to talk
                return True
            return False


class EnterButton(_Presses):
    """Each line typed on the terminal (just Enter) is a press."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        threading.Thread(target=self._read, args=(stream,), daemon=True, name="button").start()

    def _read(self, stream: IO[str]) -> None:
        for _line in stream:
            self.press()


class GpioButton(_Presses):
    """A normally-open button between a GPIO pin (BCM numbering) and ground."""

    def __init__(self, pin: int) -> None:
        super().__init__()
        try:
            from gpiozero import Button  # type: ignore[import-not-found]
        except ImportError:
            raise ConfigError("[voice] button_gpio needs gpiozero: pip install "
                              "'voice-skill[gpio]' (or apt-get install python3-gpiozero)") from None
        try:
            self._button = Button(pin, bounce_time=GPIO_BOUNCE_SECONDS)
        except Exception as error:  # noqa: BLE001 - gpiozero raises its own hierarchy
            raise ConfigError(f"[voice] button_gpio {pin}: {error}") from None
        self._button.when_pressed = self.press
