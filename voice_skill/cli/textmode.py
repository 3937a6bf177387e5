"""Typed conversation and one-shot questions: the voice loop minus its two audio stages."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from .. import paths
from ..nlu.dialog import Conversation, Reply, Skill
from ..unanswered import UnansweredLog

MAX_INPUT_CHARS = 2000
"""Longer input is cut: no spoken question is this long, and matching cost grows with length."""

OLD_HISTORY_FILE = Path.home() / ".voice_skill_history"
"""Where chat history was kept before it moved to the state folder."""

log = logging.getLogger(__name__)


def history_file(old: Path | None = None) -> Path:
    """Chat's line history: state_dir()/history, created; an old ~/.voice_skill_history moves
    there the first time."""
    path = paths.state_dir() / "history"
    old = OLD_HISTORY_FILE if old is None else old
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if old.is_file() and not path.exists():
            os.replace(old, path)  # same file system in the usual home; else it stays put
            log.info("chat history moved from %s to %s", old, path)
    except OSError as error:
        log.warning("chat history: %s (%s)", path, error.strerror)
    return path


def reply_record(text: str, reply: Reply) -> dict[str, object]:
    """The JSON object `ask --json` prints for one question. A one-shot question cannot hear
    the reply to the safety check, so the check is a field beside the answer it held back:
    the answer, intent and escalation are the ones a "no" would get. Nor can it hear the reply
    to a red flag asked back (`confirm`): there no answer is not a no, so the answer, intent
    and escalation are the ones a "yes" gets, and a batch scored on them stays safe."""
    answered = reply.answered
    decision = answered.decision
    confirm = reply.confirm
    return {
        "input": text,
        "intent": answered.intent,
        "score": decision.score,
        "escalation": answered.escalation,
        "answer": answered.text,
        "outcome": decision.outcome,
        "red_flags": [hit.rule.id for hit in decision.assessment.hits],
        # Rules whose words were heard but not reported as happening now, and why: each
        # decision can be traced to a rule and a cue.
        "set_aside": {aside.rule.id: aside.why for aside in decision.assessment.set_aside},
        "someone_else": decision.assessment.about_someone_else,
        "safety_check": reply.safety_check,
        "confirm": None if confirm is None else {
            "question": confirm.question, "level": confirm.level, "rule": confirm.rule},
    }


# JSON allows these inside strings, but line-splitting readers (Python's str.splitlines,
# older JavaScript) break on them: escaped, every answer stays on exactly one line.
_LINE_BREAKERS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_line(record: dict[str, object]) -> str:
    """One JSON object on one line, UTF-8 readable, whatever characters the input held."""
    line = json.dumps(record, ensure_ascii=False)
    for char, escaped in _LINE_BREAKERS.items():
        line = line.replace(char, escaped)
    return line


def from_argv(text: str, where: str, warn: IO[str]) -> str:
    """An argument that was not UTF-8 arrives as surrogates; replace them, as for stdin."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        print(f"{where}: invalid UTF-8; replaced", file=warn)
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def clip(text: str, where: str, warn: IO[str]) -> str:
    """Cut overlong input to MAX_INPUT_CHARS, saying so once on stderr."""
    if len(text) <= MAX_INPUT_CHARS:
        return text
    print(f"{where}: input of {len(text)} characters cut to {MAX_INPUT_CHARS}", file=warn)
    return text[:MAX_INPUT_CHARS]


def answer_one(skill: Skill, text: str) -> Reply:
    """A fresh conversation's reply to one question (ask mode keeps no state between lines)."""
    return skill.respond(Conversation(), text, time.monotonic())


def stdin_lines(stream: IO[bytes], warn: IO[str]) -> Iterator[str]:
    """Lines of a byte stream as text; invalid UTF-8 is replaced and reported, never fatal."""
    for number, raw in enumerate(stream, start=1):
        raw = raw.rstrip(b"\r\n")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            print(f"stdin:{number}: invalid UTF-8 at byte {error.start}; replaced", file=warn)
            yield raw.decode("utf-8", errors="replace")


def format_reply(reply: Reply) -> str:
    """How chat and plain ask show a reply: escalations are marked so they stand out."""
    if reply.escalation != "none":
        return f"[{reply.escalation.upper()}] {reply.text}"
    return reply.text


def format_one_shot(reply: Reply) -> str:
    """Plain ask: the answer, after the safety check or the confirmation it would have asked
    first (marked, on the same line, so each question still gets one line)."""
    answer = format_reply(reply.answered)
    if reply.confirm is not None:
        return f"[CONFIRM] {reply.text} {answer}"
    return f"[SAFETY CHECK] {reply.safety_check} {answer}" if reply.safety_check else answer


def _record(unanswered: UnansweredLog | None, reply: Reply) -> None:
    if unanswered is not None:
        unanswered.record(reply, datetime.now().astimezone())


def run_ask(skill: Skill, questions: list[str], as_json: bool, out: IO[str], warn: IO[str],
            stdin: IO[bytes] | None = None, unanswered: UnansweredLog | None = None) -> int:
    """Answer questions given as arguments, or one a line from stdin when the question is '-'."""
    if questions == ["-"] and stdin is not None:
        lines: Iterator[str] = stdin_lines(stdin, warn)
    else:
        lines = (from_argv(q, f"question {n}", warn) for n, q in enumerate(questions, start=1))
    for number, text in enumerate(lines, start=1):
        text = clip(text, f"question {number}", warn)
        reply = answer_one(skill, text)
        _record(unanswered, reply)
        if as_json:
            print(json_line(reply_record(text, reply)), file=out, flush=True)
        else:
            print(format_one_shot(reply), file=out, flush=True)
    return 0


def _enable_line_editing() -> None:
    """Arrow keys and history in chat, when the platform has readline."""
    try:
        import readline
    except ImportError:
        return
    history = history_file()
    try:
        readline.read_history_file(history)
    except OSError:
        pass
    import atexit

    def save() -> None:
        try:
            readline.write_history_file(history)
        except OSError:
            pass

    atexit.register(save)


def run_chat(skill: Skill, out: IO[str] = sys.stdout,
             unanswered: UnansweredLog | None = None) -> int:
    """Typed conversation until stop/goodbye, end of input or Ctrl-C."""
    interactive = sys.stdin.isatty()
    if interactive:
        _enable_line_editing()
    if isinstance(sys.stdin, io.TextIOWrapper):
        # A strict UTF-8 locale would end the chat with a traceback on one bad byte.
        sys.stdin.reconfigure(errors="replace")
    print(f"skill> {skill.opening()}", file=out, flush=True)
    state = Conversation()
    while True:
        try:
            text = input("you> " if interactive else "")
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return 0
        if not text.strip():
            continue
        reply = skill.respond(state, clip(text, "chat", sys.stderr), time.monotonic())
        state = reply.state
        _record(unanswered, reply)
        print(f"skill> {format_reply(reply)}", file=out, flush=True)
        if reply.ends:
            return 0
