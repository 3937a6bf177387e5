"""Where the skill keeps things outside its content: the platform's folders (XDG base
directories on Linux), or a checkout's own folders when it runs from one.

A service user has no home worth writing to; systemd's StateDirectory= and friends set
$STATE_DIRECTORY and $XDG_* for it, and those win (systemd.exec(5), "RuntimeDirectory=").
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "voice-skill"

PACKAGE_DIR = Path(__file__).resolve().parent
"""The installed or checked-out voice_skill package folder."""


def checkout() -> Path | None:
    """The source checkout the package runs from, or None when it is installed (a wheel puts
    the package in site-packages, where no pyproject.toml sits beside it)."""
    root = PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "dialogs").is_dir():
        return root
    return None


def _base(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "")
    # The XDG spec: a relative path in these variables is invalid and must be ignored.
    return Path(value) if value and Path(value).is_absolute() else Path.home() / fallback


def config_dir() -> Path:
    """Per-user settings folder ($XDG_CONFIG_HOME/voice-skill)."""
    return _base("XDG_CONFIG_HOME", ".config") / APP


def data_dir() -> Path:
    """Per-user data folder for downloaded models ($XDG_DATA_HOME/voice-skill)."""
    return _base("XDG_DATA_HOME", ".local/share") / APP


def state_dir() -> Path:
    """Per-user state folder for history and opt-in logs ($STATE_DIRECTORY from systemd, else
    $XDG_STATE_HOME/voice-skill)."""
    service = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if service and Path(service).is_absolute():
        return Path(service)
    return _base("XDG_STATE_HOME", ".local/state") / APP


SYSTEM_CONFIG = Path("/etc") / APP / "config.toml"
"""Settings for every user of the machine, e.g. a kiosk's service."""
SYSTEM_DATA = Path("/var/lib") / APP
"""Models installed for every user (a service's StateDirectory is /var/lib/voice-skill too)."""
