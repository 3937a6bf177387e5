"""The opt-in log of questions the skill could not answer, so content editors can add dialogs.

Text only, never audio: one JSON line per question (time, text, outcome, best intent and its
score). Off unless settings.privacy.log_unanswered; entries older than retention_days are
deleted when the log is opened and whenever one is written.
"""

from __future__ import annotations

import json
import os
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from . import paths
from .errors import ConfigError
from .nlu.dialog import Reply
from .settings import PrivacySettings

UNANSWERED_OUTCOMES = ("fallback", "clarify")
"""Decision outcomes that mean the content had no clear answer."""

FILE_NAME = "unanswered.jsonl"


def entry(reply: Reply, now: datetime) -> dict[str, object] | None:
    """The log line for a reply, or None when it was answered (or escalated: that is handled)."""
    decision = reply.answered.decision
    if decision.outcome not in UNANSWERED_OUTCOMES:
        return None
    best = decision.candidates[0] if decision.candidates else None
    return {"time": now.isoformat(timespec="seconds"), "text": decision.text,
            "outcome": decision.outcome, "intent": best.dialog_id if best else None,
            "score": round(best.score, 1) if best else None}


def _written_at(line: str) -> datetime | None:
    try:
        return datetime.fromisoformat(json.loads(line)["time"])
    except (ValueError, KeyError, TypeError):
        return None  # a line some editor broke cannot be dated; it goes with the next prune


def kept_lines(lines: list[str], now: datetime, retention_days: int) -> list[str]:
    """The lines written within the retention period (undatable lines are dropped)."""
    oldest = now.astimezone() - timedelta(days=retention_days)  # naive times are local
    kept = []
    for line in lines:
        written = _written_at(line)
        if written is not None and written.astimezone() >= oldest:
            kept.append(line)
    return kept


def _private(path: Path, mode: int) -> typing.TextIO:
    """A text file only its owner may read: health questions are personal."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o600)
    return open(descriptor, "w", encoding="utf-8")


@dataclass
class UnansweredLog:
    """An open unanswered-questions log; `record` each reply, answered or not."""

    path: Path
    retention_days: int

    @classmethod
    def open(cls, settings: PrivacySettings, now: datetime | None = None) -> UnansweredLog | None:
        """The log the privacy settings ask for, pruned; None when the owner has not opted in."""
        if not settings.log_unanswered:
            return None
        path = settings.unanswered_log or paths.state_dir() / FILE_NAME
        log = cls(path, settings.retention_days)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"[privacy] unanswered_log: cannot create {path.parent} "
                              f"({error.strerror})") from None
        log.prune(now or datetime.now().astimezone())
        return log

    def prune(self, now: datetime) -> None:
        """Delete entries older than the retention period (rewrites the file only if needed)."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        kept = kept_lines(lines, now, self.retention_days)
        if kept != lines:
            self._replace(kept)

    def _replace(self, lines: list[str]) -> None:
        # Write aside and rename, so a crash never leaves half a log.
        spare = self.path.with_name(self.path.name + ".tmp")
        with _private(spare, os.O_TRUNC) as log:
            log.write("".join(line + "\n" for line in lines))
        os.replace(spare, self.path)

    def record(self, reply: Reply, now: datetime) -> bool:
        """Log the question if it went unanswered (True when written), pruning old entries."""
        line = entry(reply, now)
        if line is None:
            return False
        self.prune(now)
        with _private(self.path, os.O_APPEND) as log:
            # ASCII escapes keep U+2028 and friends from splitting a line when read back.
            log.write(json.dumps(line) + "\n")
        return True
