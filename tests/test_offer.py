"""The first-run offer of the recommended English Vosk model: the real command line on a real
pseudo-terminal, answering as a person would, downloading a real zip from a real HTTP server
on 127.0.0.1 (tests/model_server.py); and its small functions on their own.

The command runs as an installed package would (tests/installed_cli.py), so models go to a
temporary per-user folder, never the checkout's models/. With no microphone here, the default
run is typed chat, which Ctrl-D ends; the offer comes before either.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from model_server import LAYOUT, Server, build_zip, info_for, server_fixture  # noqa: F401

from voice_skill.asr.models import ModelInfo, format_size, looks_like_vosk_model, recommended
from voice_skill.asr.registry import choose_engine
from voice_skill.cli import offer
from voice_skill.cli.offer import (
    AGAIN,
    ask,
    declined,
    parse_answer,
    question,
    remember_declined,
    why_not,
)
from voice_skill.settings import PROJECT_ROOT, AsrSettings, ModelsSettings, Settings

CLI = Path(__file__).with_name("installed_cli.py")
NAME = "vosk-model-small-en-test-0.1"
"""English by its name, as Vosk names models, so --engine auto takes it."""
PROMPT = "[Y/n] "
CHAT = "you> "
EOF = "\x04"
CTRL_C = "\x03"


# --- the real command on a terminal ------------------------------------------------------------


class Terminal:
    """The real command line on a pseudo-terminal: its own session with the terminal as its
    controlling terminal, so Ctrl-C typed there interrupts it as it would a person's."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.output = ""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the command, or exits at once
            try:
                os.chdir(cwd)
                # A test run started in the background (nohup, `&`) has SIGINT ignored, and an
                # exec'd child keeps that: a person's terminal has it as the default.
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.execve(sys.executable, [sys.executable, str(CLI), *args], env)
            finally:
                os._exit(127)

    def _read(self, timeout: float) -> bool:
        """Take what the terminal shows within `timeout` seconds; False once it has closed."""
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the command ended and the terminal closed
            return False
        self.output += data.decode(errors="replace")
        return bool(data)

    def expect(self, text: str, timeout: float = 60) -> None:
        """Wait until `text` is on the terminal."""
        deadline = time.monotonic() + timeout
        while text not in self.output and time.monotonic() < deadline:
            if not self._read(deadline - time.monotonic()):
                break
        assert text in self.output, f"{text!r} never shown; the terminal shows:\n{self.output}"

    def type(self, text: str) -> None:
        """Keys pressed at the terminal; Enter is a carriage return, as a keyboard sends it."""
        os.write(self.fd, text.encode())

    def finish(self, timeout: float = 60) -> int:
        """Read until the command ends; its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._read(0.2)
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                while self._read(0.1) and select.select([self.fd], [], [], 0)[0]:
                    pass
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        raise AssertionError(f"still running after {timeout} s:\n{self.output}")


@dataclasses.dataclass
class Machine:
    """A fresh user's machine: empty data, state and config folders, no Vosk model."""

    root: Path
    env: dict[str, str]

    @property
    def models(self) -> Path:
        return self.root / "share" / "voice-skill" / "models"

    @property
    def state(self) -> Path:
        return self.root / "state" / "voice-skill" / offer.STATE_FILE

    def args(self, info: ModelInfo | None, *args: str) -> list[str]:
        model = json.dumps(dataclasses.asdict(info)) if info else "-"
        return [str(self.root / "var-lib"), model, *args]

    def terminal(self, info: ModelInfo | None, *args: str, **env: str) -> Terminal:
        return Terminal(self.args(info, *args), {**self.env, **env}, self.root)

    def piped(self, info: ModelInfo | None, *args: str,
              stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(CLI), *self.args(info, *args)], input=stdin,
                              env=self.env, cwd=self.root, capture_output=True, text=True,
                              timeout=120, check=False)


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("VOICE_SKILL_")
           and name not in ("VOSK_MODEL_PATH", "STATE_DIRECTORY", "JOURNAL_STREAM")}
    env |= {"XDG_DATA_HOME": str(tmp_path / "share"), "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(PROJECT_ROOT),
            "PULSE_SERVER": "unix:/nonexistent/voice-skill-offer", "TERM": "dumb"}
    return Machine(tmp_path, env)


@pytest.fixture
def model(server: Server) -> ModelInfo:
    """A small archive laid out like a Vosk model, served with its exact size and checksums."""
    return server.serve(build_zip(LAYOUT, top=NAME), name=NAME)


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def closed_port() -> int:
    with socket.socket() as probe:  # free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_chat(machine: Machine, info: ModelInfo | None, answer: str | None,
               **env: str) -> Terminal:
    """`voice-skill` (what ./start runs) at a terminal; `answer` typed if the offer is made."""
    terminal = machine.terminal(info, **env)
    if answer is not None:
        terminal.expect(PROMPT)
        terminal.type(answer + "\r")
    return terminal


def end_chat(terminal: Terminal) -> str:
    terminal.expect(CHAT)
    terminal.type(EOF)
    assert terminal.finish() == 0, terminal.output
    return terminal.output


def test_yes_downloads_with_progress_and_auto_then_uses_vosk(
        machine: Machine, model: ModelInfo, server: Server) -> None:
    terminal = start_chat(machine, model, "y")
    terminal.expect(f"installed {NAME} in {machine.models / NAME}")
    shown = end_chat(terminal)
    asked = shown[:shown.index(PROMPT) + len(PROMPT)].splitlines()[-1]
    assert asked.startswith(f"Download the English speech model {NAME} "
                            f"({format_size(model.size_bytes)})? ")
    assert "recognises speech better" in asked
    assert f"{NAME} [" in shown and "100%" in shown  # the progress bar
    assert looks_like_vosk_model(machine.models / NAME)
    assert sorted(p.name for p in machine.models.iterdir()) == [NAME]  # atomic: nothing else
    assert choose_engine("auto", AsrSettings(), machine.models).name == "vosk"
    assert not machine.state.exists()

    again = end_chat(start_chat(machine, model, None))
    assert PROMPT not in again
    assert [path for path, _ in server.state.requests] == [f"/{NAME}.zip"]


def test_no_is_remembered_and_says_how_to_install_by_hand(
        machine: Machine, model: ModelInfo, server: Server) -> None:
    terminal = start_chat(machine, model, "n")
    terminal.expect("not asking again")
    shown = end_chat(terminal)
    said = next(line for line in shown.splitlines() if "not asking again" in line)
    assert said.startswith("Carrying on with pocketsphinx")
    assert f"voice-skill models download {NAME}" in said
    assert f"To install it by hand: download {model.url}" in said
    assert f"unzip it into {machine.models}" in said
    assert json.loads(machine.state.read_text()) == {"declined": [NAME]}
    assert server.state.requests == []

    again = end_chat(start_chat(machine, model, None))  # a restart: not asked again
    assert PROMPT not in again
    assert server.state.requests == []


def test_offline_carries_on_quickly_says_how_to_install_and_asks_again_next_time(
        machine: Machine) -> None:
    unreachable = info_for(build_zip(LAYOUT), f"http://127.0.0.1:{closed_port()}", NAME)
    started = time.monotonic()
    terminal = start_chat(machine, unreachable, "")  # Enter alone: yes, the default
    terminal.expect("Could not reach")
    shown = end_chat(terminal)
    assert time.monotonic() - started < 30
    said = next(line for line in shown.splitlines() if "Could not reach" in line)
    assert "carrying on with pocketsphinx, and asking again next time" in said
    assert "connection refused" in said and "To install it by hand" in said
    assert not machine.state.exists()
    assert not (machine.models / NAME).exists()

    terminal = start_chat(machine, unreachable, "n")  # offered again
    terminal.expect("not asking again")
    end_chat(terminal)


def test_ctrl_c_during_the_download_keeps_the_part_and_the_next_yes_resumes(
        machine: Machine, server: Server) -> None:
    # Many 64 KiB reads long, so the half the server sends before it holds is on disk.
    model = server.serve(build_zip(LAYOUT | {"graph/Gr.fst": os.urandom(1_000_000)}, top=NAME),
                         name=NAME)
    server.state.hold_half = True
    terminal = start_chat(machine, model, "y")
    assert server.state.held.wait(60)
    part = machine.models / f"{NAME}.zip.part"
    deadline = time.monotonic() + 30
    while size(part) < model.size_bytes // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    terminal.type(CTRL_C)
    terminal.expect("Download stopped")
    end_chat(terminal)
    kept = part.stat().st_size
    assert model.size_bytes // 4 <= kept <= model.size_bytes // 2
    assert not (machine.models / NAME).exists()
    assert not machine.state.exists()

    server.state.hold_half = False
    terminal = start_chat(machine, model, "y")
    terminal.expect(f"installed {NAME}")
    end_chat(terminal)
    assert server.state.requests[-1][1]["Range"] == f"bytes={kept}-"
    assert server.state.statuses == [200, 206]
    assert sorted(p.name for p in machine.models.iterdir()) == [NAME]


def test_an_unclear_answer_is_asked_once_more_then_taken_as_no(
        machine: Machine, model: ModelInfo, server: Server) -> None:
    terminal = start_chat(machine, model, "maybe")
    terminal.expect(AGAIN)
    terminal.type("later\r")
    terminal.expect("not asking again")
    end_chat(terminal)
    assert declined(machine.state) == {NAME}
    assert server.state.requests == []


def test_the_setting_off_never_asks(machine: Machine, model: ModelInfo) -> None:
    shown = end_chat(start_chat(machine, model, None, VOICE_SKILL_MODELS_OFFER="false"))
    assert PROMPT not in shown


def test_piped_input_and_one_shot_questions_never_ask(
        machine: Machine, model: ModelInfo, server: Server) -> None:
    piped = machine.piped(model, stdin="what causes calf twitching\n")
    assert piped.returncode == 0, piped.stderr
    assert PROMPT not in piped.stdout + piped.stderr
    asked = machine.terminal(model, "ask", "what causes calf twitching")  # a terminal, but ask
    assert asked.finish() == 0
    assert PROMPT not in asked.output and "twitch" in asked.output
    assert server.state.requests == [] and not machine.state.exists()


def test_doctor_offers_then_reports_the_installed_model(
        machine: Machine, model: ModelInfo) -> None:
    terminal = machine.terminal(model, "doctor")
    terminal.expect(PROMPT)
    terminal.type("y\r")
    terminal.expect("problem(s) found")
    terminal.finish()
    lines = {line.split(":")[0].split()[-1]: line for line in terminal.output.splitlines()
             if line.startswith(("ok ", "warning ", "problem "))}
    assert lines["model"].startswith("ok "), terminal.output
    assert f"the recommended {NAME} is installed in {machine.models}" in lines["model"]
    # auto chose Vosk; the test archive is laid out like a model but is none, so it fails to load.
    assert "Vosk model" in lines["recognition"], terminal.output


def test_doctor_without_the_model_says_how_to_get_it(machine: Machine) -> None:
    result = machine.piped(None, "doctor")
    model_line = next(line for line in result.stdout.splitlines() if " model: " in line)
    assert model_line.startswith("warning  model: no English Vosk model")
    assert "voice-skill models download vosk-model-small-en-us-0.15" in model_line
    assert "To install it by hand" in model_line


# --- the parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "answer"), [
    ("\n", True), ("y\n", True), ("Yes\n", True), (" YES \n", True),
    ("n\n", False), ("No\n", False),
    ("maybe\n", None), ("yess\n", None), ("ja\n", None), ("q\n", None),
])
def test_parse_answer(text: str, answer: bool | None) -> None:
    assert parse_answer(text) is answer


def test_ask_asks_once_more_after_an_unclear_answer() -> None:
    said: list[str] = []
    answers = iter(["what?\n", "y\n"])
    assert ask("Download? [Y/n] ", lambda: next(answers), said.append) is True
    assert said == ["Download? [Y/n] ", AGAIN]
    answers = iter(["what?\n", "hm\n", "y\n"])
    assert ask("Download? [Y/n] ", lambda: next(answers), said.append) is False
    assert next(answers) == "y\n"  # a third answer is never read


def test_the_question_is_one_line_with_the_catalog_size() -> None:
    line = question(recommended())
    assert line == ("Download the English speech model vosk-model-small-en-us-0.15 (39.3 MiB)? "
                    "It recognises speech better than the built-in pocketsphinx. [Y/n] ")


def test_why_not(tmp_path: Path) -> None:
    info, state = recommended(), frozenset({"vosk-model-other"})
    assert why_not(Settings(), True, None, state, info) is None
    off = Settings(models=ModelsSettings(offer=False))
    assert why_not(off, True, None, state, info) == "turned off ([models] offer = false)"
    assert "terminal" in str(why_not(Settings(), False, None, state, info))
    sphinx = Settings(asr=AsrSettings(engine="pocketsphinx"))
    assert why_not(sphinx, True, None, state, info) == "the engine is pocketsphinx"
    assert why_not(Settings(), True, tmp_path, state, info) == f"a Vosk model is at hand: {tmp_path}"
    assert "declined before" in str(why_not(Settings(), True, None, state | {info.name}, info))


def test_declines_are_remembered_one_by_one_and_a_broken_file_is_ignored(tmp_path: Path) -> None:
    state = tmp_path / "state" / offer.STATE_FILE
    assert declined(state) == frozenset()
    remember_declined(state, "a")
    remember_declined(state, "b")
    assert declined(state) == {"a", "b"}
    assert sorted(p.name for p in state.parent.iterdir()) == [offer.STATE_FILE]
    state.write_text("{not json")
    assert declined(state) == frozenset()
    state.write_text('["a list, not an object"]')
    assert declined(state) == frozenset()


def test_an_unwritable_state_folder_is_a_warning_not_a_failure(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    remember_declined(blocker / offer.STATE_FILE, "a")
    assert "cannot remember the answer" in caplog.text
