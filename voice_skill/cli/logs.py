"""Diagnostics go to `logging` on stderr; stdout is the conversation.

Under systemd ($JOURNAL_STREAM is set) each line starts with a syslog priority such as <4>,
which journald turns into the entry's level (systemd.exec(5), SyslogLevelPrefix=, on by
default), and carries no time: journald stamps every entry itself.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import IO

LEVELS = ("debug", "info", "warning", "error")
_SYSLOG_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
                    logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    """`<priority>logger: message`, for journald."""

    def format(self, record: logging.LogRecord) -> str:
        """One record as one journal line."""
        priority = _SYSLOG_PRIORITY.get(record.levelno, 6)
        return f"<{priority}>{record.name}: {super().format(record)}"


def formatter(environ: Mapping[str, str]) -> logging.Formatter:
    """The journal's format under systemd, else a short local time before each line."""
    if environ.get("JOURNAL_STREAM"):
        return JournalFormatter("%(message)s")
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")


def setup_logging(level: str, stream: IO[str], environ: Mapping[str, str] | None = None) -> None:
    """Send the skill's log records at `level` or above to stream (replacing an earlier call's
    handler, so running main() twice in one process logs once)."""
    logger = logging.getLogger("voice_skill")
    for handler in list(logger.handlers):
        if getattr(handler, "voice_skill_cli", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.voice_skill_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter(os.environ if environ is None else environ))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
