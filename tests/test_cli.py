"""The command line: ask, ask --json (one line per input line), check/test-dialogs, chat.

Most runs call `voice_skill.__main__.main` in-process (fast); a few run the real console script
in a subprocess, the way people and evaluation scripts do.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHIPPED_DIALOGS

from voice_skill import paths
from voice_skill.cli.main import build_parser, main
from voice_skill.nlu.dialog import Conversation

SCRIPT = Path(sys.executable).parent / "voice-skill"
RECORD_KEYS = {"input", "intent", "score", "escalation", "answer"}
SPEECH_MODULES = ("vosk", "pocketsphinx", "sounddevice", "pyttsx3")


def miss(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """main(argv) in-process: (exit status, stdout, stderr); argparse exits are caught."""
    try:
        status = main(list(argv))
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_with_stdin(capsys, monkeypatch, data: bytes, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    return run(capsys, *argv)


def records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def voice_skill(*argv: str, stdin: bytes | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The real console script in a subprocess."""
    return subprocess.run([str(SCRIPT), *argv], input=stdin, capture_output=True, timeout=60,
                          check=False,
                          **kwargs)


# --- ask -----------------------------------------------------------------------------------


def test_ask_prints_the_answer(capsys, skill) -> None:
    status, out, err = run(capsys, "ask", "what is sciatica")
    assert (status, err) == (0, "")
    assert out.startswith(skill.content.dialog("sciatica").answer)
    assert out.count("\n") == 1


def test_ask_marks_an_escalation(capsys) -> None:
    status, out, _ = run(capsys, "ask", "my leg is weak")
    assert status == 0
    assert out.startswith("[URGENT] You mentioned weakness.")


def test_ask_answers_each_argument_on_its_own_line(capsys) -> None:
    status, out, _ = run(capsys, "ask", "--json", "what is sciatica", "my leg is weak", "hello")
    assert status == 0
    assert [r["escalation"] for r in records(out)] == ["none", "urgent", "none"]
    assert [records(out)[i]["intent"] for i in (0, 2)] == ["sciatica", "greeting"]
    assert [r["input"] for r in records(out)] == ["what is sciatica", "my leg is weak", "hello"]


def test_ask_json_fields(capsys, skill) -> None:
    _, out, _ = run(capsys, "ask", "--json", "what is a pinched nerve")
    (record,) = records(out)
    assert RECORD_KEYS <= set(record)
    assert record["input"] == "what is a pinched nerve"
    assert record["intent"] == "pinched_nerve"
    assert isinstance(record["score"], float) and 0 <= record["score"] <= 100
    assert record["escalation"] == "none"
    assert record["answer"].startswith(skill.content.dialog("pinched_nerve").answer)


def test_ask_json_escalation_field(capsys) -> None:
    _, out, _ = run(capsys, "ask", "--json", "I can't control my bladder")
    (record,) = records(out)
    assert record["escalation"] == "emergency"
    assert "call 911 or your local emergency number now" in record["answer"]


def test_ask_json_traces_what_was_set_aside_and_whose_it_is(capsys) -> None:
    _, out, _ = run(capsys, "ask", "--json", "the gossip spread round the office",
                    "my grandad's face has gone lopsided", "my face has gone lopsided")
    joke, grandad, mine = records(out)
    assert (joke["escalation"], joke["set_aside"]) == ("none", {"spreading": "figurative"})
    assert (grandad["escalation"], grandad["someone_else"]) == ("emergency", True)
    assert "someone with you" in grandad["answer"]
    assert (mine["escalation"], mine["someone_else"]) == ("emergency", False)


def test_ask_json_out_of_scope_has_null_intent(capsys, skill) -> None:
    _, out, _ = run(capsys, "ask", "--json", "play some music")
    assert '"intent": null' in out
    (record,) = records(out)
    assert (record["intent"], record["answer"]) == (None, skill.content.messages.fallback)


def test_ask_without_a_question_is_one_line_and_status_2(capsys) -> None:
    status, out, err = run(capsys, "ask")
    assert status == 2
    assert out == "" and len(err.splitlines()) == 1 and err.startswith("voice-skill: ask:")


# --- ask --json - : the evaluation path ----------------------------------------------------

NASTY = [
    b"what is a pinched nerve",
    b"",
    b"   \t ",
    b"why is my calf twitching " * 4200,  # over 100 KB
    b"my calf \xff\xfe twitches",  # invalid UTF-8
    b"my \x00calf\x1b[A\x07 twitches",  # control characters
    b"my calf\x0c twitches\x0b",  # form feed, vertical tab: str.splitlines would split here
    "my calf\u2028twitches\u0085and\u2029jumps".encode(),  # Unicode line separators
    b"my leg is weak\r",  # a CRLF line
    b"\xef\xbb\xbfhello",  # a byte order mark
    b"what is sciatica",
]


def test_batch_keeps_one_line_per_input_line_in_order(capsys, monkeypatch) -> None:
    data = b"\n".join(NASTY) + b"\n"
    status, out, err = run_with_stdin(capsys, monkeypatch, data, "ask", "--json", "-")
    assert status == 0
    lines = out.splitlines()  # str.splitlines also splits at U+2028, U+0085: none may be raw
    assert len(lines) == len(NASTY) == len(out.split("\n")) - 1
    got = [json.loads(line) for line in lines]
    assert all(RECORD_KEYS <= set(r) for r in got)
    assert got[0]["intent"] == "pinched_nerve"
    assert [r["input"] for r in got[1:3]] == ["", "   \t "]
    assert [r["intent"] for r in got[1:3]] == [None, None]
    assert got[4]["input"] == "my calf \ufffd\ufffd twitches"
    assert got[7]["input"] == "my calf\u2028twitches\u0085and\u2029jumps"
    assert got[8]["escalation"] == "urgent"
    assert got[10]["intent"] == "sciatica"
    assert "question 4:" in err and "stdin:5: invalid UTF-8" in err


def test_batch_without_a_final_newline(capsys, monkeypatch) -> None:
    status, out, _ = run_with_stdin(capsys, monkeypatch, b"hello\nwhat is sciatica",
                                    "ask", "--json", "-")
    assert status == 0
    assert [r["intent"] for r in records(out)] == ["greeting", "sciatica"]


def test_batch_of_nothing_prints_nothing(capsys, monkeypatch) -> None:
    assert run_with_stdin(capsys, monkeypatch, b"", "ask", "--json", "-") == (0, "", "")


def test_batch_lines_are_independent(capsys, monkeypatch) -> None:
    """ask keeps no conversation: 'tell me more' after a topic line has nothing to expand."""
    _, out, _ = run_with_stdin(capsys, monkeypatch, b"what is sciatica\ntell me more\n",
                               "ask", "--json", "-")
    second = records(out)[1]
    assert second["intent"] == "more"
    assert "nothing to add" in second["answer"].lower()


def test_batch_in_a_real_process_with_binary_stdin() -> None:
    data = b"\n".join(NASTY) + b"\n"
    done = voice_skill("ask", "--json", "-", stdin=data)
    assert done.returncode == 0
    assert b"Traceback" not in done.stderr
    lines = done.stdout.decode("utf-8").splitlines()
    assert len(lines) == len(NASTY)
    assert [json.loads(line)["input"] for line in lines][10] == "what is sciatica"


def test_ask_in_a_real_process() -> None:
    done = voice_skill("ask", "--json", "what is sciatica", text=True)
    assert done.returncode == 0
    assert json.loads(done.stdout)["intent"] == "sciatica"


def test_ask_json_output_is_valid_utf8_for_invalid_argv() -> None:
    """An argument that is not UTF-8 reaches Python as surrogates; the JSON must stay UTF-8."""
    done = subprocess.run([str(SCRIPT).encode(), b"ask", b"--json", b"what is \xff sciatica"],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0
    record = json.loads(done.stdout.decode("utf-8"))
    assert (record["input"], record["intent"]) == ("what is \ufffd sciatica", "sciatica")
    assert done.stderr.decode() == "question 1: invalid UTF-8; replaced\n"


def test_python_dash_m_works() -> None:
    done = subprocess.run([sys.executable, "-m", "voice_skill", "ask", "hello"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "Hello" in done.stdout


def test_text_mode_imports_no_speech_engine() -> None:
    code = ("import sys; from voice_skill.__main__ import main; "
            "status = main(['ask', 'hello']); "
            f"loaded = [m for m in {SPEECH_MODULES!r} if m in sys.modules]; "
            "assert status == 0, status; assert loaded == [], loaded; print('clean')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "clean"


# --- help, version, usage errors -----------------------------------------------------------


def _commands() -> list[str]:
    """Every subcommand the parser knows, so a new one gets its --help test too."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_the_text_commands_exist() -> None:
    assert {"chat", "ask", "check-dialogs", "test-dialogs"} <= set(_commands())


@pytest.mark.parametrize("argv", [["--help"], *([c, "--help"] for c in _commands())])
def test_help_exits_0(capsys, argv: list[str]) -> None:
    status, out, _ = run(capsys, *argv)
    assert status == 0
    assert out.startswith("usage: voice-skill")


def test_ask_help_names_the_json_fields(capsys) -> None:
    _, out, _ = run(capsys, "ask", "--help")
    assert "--json" in out and "intent" in out


def test_version(capsys) -> None:
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.startswith("voice-skill ")


@pytest.mark.parametrize("argv", [["fly"], ["ask", "--jsn", "x"], ["test-dialogs"]])
def test_usage_errors_exit_2(capsys, argv: list[str]) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert "usage:" in err


# --- settings and content selection --------------------------------------------------------


@pytest.mark.parametrize("before", [False, True])
def test_dialogs_flag_selects_another_content_set(capsys, tiny_dialogs: Path,
                                                  before: bool) -> None:
    flag = ["--dialogs", str(tiny_dialogs)]
    argv = [*flag, "ask"] if before else ["ask", *flag]
    _, out, _ = run(capsys, *argv, "--json", "why does my knee ache")
    assert records(out)[0]["intent"] == "knee_ache"


def test_the_shipped_content_knows_no_knees(capsys) -> None:
    """The control for the test above: the shipped dialogs have no knee_ache."""
    _, out, _ = run(capsys, "ask", "--json", "why does my knee ache")
    assert records(out)[0]["intent"] != "knee_ache"


def test_check_dialogs_uses_the_dialogs_flag(capsys, tiny_dialogs: Path) -> None:
    status, out, _ = run(capsys, "check-dialogs", "--dialogs", str(tiny_dialogs))
    assert status == 0
    assert out.startswith(f"{tiny_dialogs}: 9 dialogs")  # 3 FAQ + 6 conversational


def test_check_dialogs_on_the_shipped_folder(capsys) -> None:
    status, out, err = run(capsys, "check-dialogs")
    assert (status, err) == (0, "")
    assert out.startswith(f"{SHIPPED_DIALOGS}:") and out.rstrip().endswith("ok")


@pytest.mark.parametrize("before", [False, True])
def test_emergency_number_flag(capsys, before: bool) -> None:
    flag = ["--emergency-number", "112"]
    argv = [*flag, "ask"] if before else ["ask", *flag]
    _, out, _ = run(capsys, *argv, "my son just had a seizure")
    assert "call 112 now" in out


def test_emergency_number_from_a_settings_file(capsys, tmp_path: Path) -> None:
    config = tmp_path / "voice-skill.toml"
    config.write_text('[safety]\nemergency_number = "000"\n', encoding="utf-8")
    _, out, _ = run(capsys, "ask", "--config", str(config), "my son just had a seizure")
    assert "call 000 now" in out


def test_the_flag_beats_the_settings_file(capsys, tmp_path: Path) -> None:
    config = tmp_path / "voice-skill.toml"
    config.write_text('[safety]\nemergency_number = "000"\n', encoding="utf-8")
    _, out, _ = run(capsys, "ask", "--config", str(config), "--emergency-number", "112",
                    "my son just had a seizure")
    assert "call 112 now" in out


def test_settings_file_from_the_environment(capsys, monkeypatch, tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('[safety]\nemergency_number = "999"\n', encoding="utf-8")
    monkeypatch.setenv("VOICE_SKILL_CONFIG", str(config))
    _, out, _ = run(capsys, "ask", "my son just had a seizure")
    assert "call 999 now" in out


@pytest.mark.parametrize("toml, fragment", [
    ("[safety]\nemergency_numbr = '112'\n", "unknown key 'emergency_numbr'"),
    ("[safty]\n", "unknown section [safty]"),
    ("[safety\n", "voice-skill.toml"),
])
def test_a_bad_settings_file_is_one_line(capsys, tmp_path: Path, toml: str, fragment: str) -> None:
    config = tmp_path / "voice-skill.toml"
    config.write_text(toml, encoding="utf-8")
    status, out, err = run(capsys, "ask", "--config", str(config), "hello")
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and fragment in err and str(config) in err


# --- test-dialogs --------------------------------------------------------------------------

PASSING = """\
tests:
  - name: sciatica then more
    turns:
      - user: what is sciatica
        intent: sciatica
        escalation: none
        says: [nerve]
      - user: tell me more
        intent: more
  - name: weakness escalates
    turns:
      - user: my leg feels weak
        escalation: urgent
        says: [doctor today]
  - name: goodbye ends
    turns:
      - user: goodbye
        intent: stop
        ends: true
"""

FAILING = """\
tests:
  - name: a wrong expectation
    turns:
      - user: what is sciatica
        intent: als
  - name: a right one
    turns:
      - user: hello
        intent: greeting
        ends: false
  - name: a wrong ending
    turns:
      - user: hello
        ends: true
"""

MALFORMED = """\
tests:
  - name: typo
    turns:
      - user: hello
        intnet: greeting
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_test_dialogs_passing(capsys, tmp_path: Path) -> None:
    status, out, _ = run(capsys, "test-dialogs", str(write(tmp_path, "ok.yaml", PASSING)))
    assert status == 0
    assert out.splitlines()[-1] == "3 passed, 0 failed"
    assert "PASS sciatica then more" in out


def test_test_dialogs_failing_reports_and_exits_1(capsys, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", FAILING)
    status, out, _ = run(capsys, "test-dialogs", str(path))
    assert status == 1
    assert out.splitlines()[-1] == "1 passed, 2 failed"
    assert "FAIL a wrong expectation" in out
    assert f"{path}:4: turn 1 'what is sciatica': intent 'sciatica', expected 'als'" in out
    assert f"{path}:13: turn 1 'hello': ends False, expected True" in out


def test_test_dialogs_malformed_exits_2_and_keeps_going(capsys, tmp_path: Path) -> None:
    malformed = write(tmp_path, "malformed.yaml", MALFORMED)
    good = write(tmp_path, "ok.yaml", PASSING)
    status, out, err = run(capsys, "test-dialogs", str(malformed), str(good))
    assert status == 2
    assert out.splitlines()[-1] == "3 passed, 0 failed"
    assert err.splitlines() == [f"ERROR {malformed}:5: unknown key 'intnet' in a turn"]


@pytest.mark.parametrize("text, line, fragment", [
    ("tests: []\n", 1, "'tests' must be a non-empty list"),
    ("tests: nothing\n", 1, "'tests' must be a non-empty list"),
    ("turns: []\n", 1, "needs a 'tests' list"),
    ("tests:\n  - name: x\n    turns: []\n", 3, "'turns' must be a non-empty list"),
    ("tests:\n  - name: x\n    turns:\n      - intent: greeting\n", 4, "needs 'user' text"),
    ("tests:\n  - name: x\n    turns:\n      - user: hi\n        escalation: severe\n", 5,
     "unknown escalation level 'severe'"),
    ("tests:\n  - name: x\n    turns:\n      - user: hi\n        ends: maybe\n", 5,
     "'ends' must be true or false"),
    ("tests:\n  - name: x\n    turns: [user: hi\n", 4, "malformed YAML"),
])
def test_malformed_dialog_test_files(capsys, tmp_path: Path, text: str, line: int,
                                     fragment: str) -> None:
    path = write(tmp_path, "t.yaml", text)
    status, out, err = run(capsys, "test-dialogs", str(path))
    assert status == 2
    assert out.splitlines() == ["0 passed, 0 failed"]
    (message,) = err.splitlines()
    assert message.startswith(f"ERROR {path}:{line}: ") and fragment in message


def test_test_dialogs_with_another_content_set(capsys, tmp_path: Path,
                                               tiny_dialogs: Path) -> None:
    path = write(tmp_path, "knee.yaml", """\
tests:
  - name: knee clarification
    turns:
      - user: knee
        says: [Did you mean knee pain or knee ache?]
      - user: the second
        intent: knee_ache
""")
    status, out, _ = run(capsys, "test-dialogs", "--dialogs", str(tiny_dialogs), str(path))
    assert (status, out.splitlines()[-1]) == (0, "1 passed, 0 failed")


def test_a_missing_test_file_is_reported(capsys, tmp_path: Path) -> None:
    status, _, err = run(capsys, "test-dialogs", str(tmp_path / "absent.yaml"))
    assert status == 2
    assert "absent.yaml" in err and "cannot read" in err


# --- chat ----------------------------------------------------------------------------------


def test_chat_ends_on_goodbye() -> None:
    done = voice_skill("chat", stdin=b"what is sciatica\n\nsay that again\ngoodbye\nhello\n")
    assert done.returncode == 0
    assert b"Traceback" not in done.stderr
    said = done.stdout.decode("utf-8").splitlines()
    assert len(said) == 4  # opening, answer, repeat, goodbye; nothing after goodbye
    assert said[1] == said[2]
    assert said[3].startswith("skill> Goodbye")


def test_chat_says_the_disclaimer_once(skill) -> None:
    done = voice_skill("chat", stdin=b"hello\nwhy is my calf twitching\nthanks\n")
    assert done.stdout.decode("utf-8").count(skill.content.messages.disclaimer) == 1


def test_chat_ends_at_end_of_input() -> None:
    done = voice_skill("chat", stdin=b"what is sciatica")
    assert done.returncode == 0
    assert len(done.stdout.decode("utf-8").strip().splitlines()) == 2


def test_chat_with_no_input_at_all() -> None:
    done = voice_skill("chat", stdin=b"")
    assert done.returncode == 0 and done.stderr == b""


def test_chat_escalates() -> None:
    done = voice_skill("chat", stdin=b"I can't control my bladder\n")
    assert "[EMERGENCY] You mentioned" in done.stdout.decode("utf-8")


def test_chat_survives_invalid_utf8_with_a_strict_locale() -> None:
    """PYTHONIOENCODING=utf-8 makes stdin strict, as in an en_US.UTF-8 locale."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = voice_skill("chat", stdin=b"my calf \xff twitches\nbye\n", env=env)
    assert done.returncode == 0
    assert b"Traceback" not in done.stderr
    assert done.stdout.decode("utf-8").splitlines()[-1].startswith("skill> Goodbye")


# --- the safety check and the safety net -----------------------------------------------------


def test_ask_json_carries_the_safety_check_beside_the_normal_answer(capsys, skill) -> None:
    status, out, _ = run(capsys, "ask", "--json", "my calf keeps twitching", "what is sciatica")
    report, question = records(out)
    assert status == 0
    assert report["safety_check"] == skill.content.messages.safety_check
    assert (report["intent"], report["escalation"], report["outcome"]) == (
        "twitch_causes", "none", "answer")
    assert report["answer"].startswith(skill.content.dialog("twitch_causes").answer)
    assert question["safety_check"] is None and question["intent"] == "sciatica"


def test_ask_json_on_stdin_carries_the_check_for_every_report(capsys, monkeypatch) -> None:
    """One-shot: each line is its own session, so each report shows the check."""
    data = b"my calf keeps twitching\nmy son gets leg cramps at night\n"
    _, out, _ = run_with_stdin(capsys, monkeypatch, data, "ask", "--json", "-")
    assert [r["safety_check"] is not None for r in records(out)] == [True, True]
    assert [r["intent"] for r in records(out)] == ["twitch_causes", "cramps_serious"]


def test_plain_ask_shows_the_check_then_the_answer_on_one_line(capsys, skill) -> None:
    _, out, _ = run(capsys, "ask", "my calf keeps twitching")
    (line,) = out.splitlines()
    check = skill.content.messages.safety_check
    answer = skill.respond(Conversation(), "my calf keeps twitching").answered.text
    assert line == f"[SAFETY CHECK] {check} {answer}"


def test_the_safety_check_setting_turns_it_off(capsys, tmp_path: Path) -> None:
    config = tmp_path / "voice-skill.toml"
    config.write_text("[dialog]\nsafety_check = false\n", encoding="utf-8")
    _, out, _ = run(capsys, "ask", "--json", "--config", str(config), "my calf keeps twitching")
    (record,) = records(out)
    assert (record["safety_check"], record["intent"]) == (None, "twitch_causes")


def test_a_safety_check_setting_that_is_not_true_or_false_is_one_line(capsys,
                                                                      tmp_path: Path) -> None:
    config = tmp_path / "voice-skill.toml"
    config.write_text('[dialog]\nsafety_check = "yes"\n', encoding="utf-8")
    status, out, err = run(capsys, "ask", "--config", str(config), "hello")
    assert (status, out) == (2, "")
    assert len(err.splitlines()) == 1 and str(config) in err
    assert "[dialog] safety_check: expected true or false" in err


def test_ask_json_gives_the_safety_net_for_a_symptom(capsys, skill) -> None:
    _, out, _ = run(capsys, "ask", "--json", "I feel dizzy when I stand up", "tell me a joke")
    dizzy, joke = records(out)
    fallback = skill.content.messages.fallback
    assert dizzy["intent"] is None and dizzy["answer"].endswith(fallback)
    assert "doctor or pharmacist" in dizzy["answer"] and "call 911" in dizzy["answer"]
    assert joke["answer"] == fallback


def test_chat_asks_the_check_once_and_no_gets_the_answer(skill) -> None:
    done = voice_skill("chat", stdin=b"my calf keeps twitching\nno\n"
                                      b"my son gets leg cramps at night\nbye\n")
    said = done.stdout.decode("utf-8").splitlines()
    check = skill.content.messages.safety_check
    assert said[1] == f"skill> {check}"
    assert said[2].startswith(f"skill> {skill.content.dialog('twitch_causes').answer}")
    assert said[3].startswith(f"skill> {skill.content.dialog('cramps_serious').answer}")
    assert done.stdout.decode("utf-8").count(check) == 1


def test_chat_yes_then_which_escalates() -> None:
    done = voice_skill("chat", stdin=b"my calf keeps twitching\nyes\nmy bladder\n")
    said = done.stdout.decode("utf-8").splitlines()
    assert "Which one" in said[2]
    assert said[3].startswith("skill> [EMERGENCY] You mentioned a loss of bladder")


# --- settings: one check, named sources, config show -------------------------------------------


@pytest.mark.parametrize(("toml", "message"), [
    ('[audio]\ntrailing_silence = "0.6"\n', '[audio] trailing_silence: expected a number of '
                                            'seconds between 0.1 and 5, got the string "0.6"'),
    ('[match]\nanswer_threshold = "high"\n', '[match] answer_threshold: expected a number '
                                             'between 0 and 100, got the string "high"'),
])
def test_a_wrong_type_in_the_settings_file_is_one_line(tmp_path: Path, toml: str,
                                                       message: str) -> None:
    config = tmp_path / "voice-skill.toml"
    config.write_text(toml, encoding="utf-8")
    done = voice_skill("ask", "--config", str(config), "hello")
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == f"voice-skill: {config}: {message}\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["ask", "--trailing-silence", "9", "hi"],
     "--trailing-silence: expected a number of seconds between 0.1 and 5, got 9"),
    (["--rate", "fast", "ask", "hi"], '--rate: expected a whole number of words per minute '
                                      'between 80 and 450, got the string "fast"'),
    (["ask", "--engine", "whisper", "hi"],
     '--engine: expected one of "auto", "vosk", "pocketsphinx", got the string "whisper"'),
])
def test_a_bad_flag_is_one_line_naming_the_flag(capsys, argv: list[str], message: str) -> None:
    status, out, err = run(capsys, *argv)
    assert (status, out, err) == (2, "", f"voice-skill: {message}\n")


def test_a_bad_environment_value_is_one_line_naming_the_variable(capsys, monkeypatch) -> None:
    monkeypatch.setenv("VOICE_SKILL_MATCH_ANSWER_THRESHOLD", "200")
    status, out, err = run(capsys, "ask", "hi")
    assert (status, out) == (2, "")
    assert err == ("voice-skill: $VOICE_SKILL_MATCH_ANSWER_THRESHOLD: [match] answer_threshold: "
                   "expected a number between 0 and 100, got 200\n")


def test_config_show_says_where_each_value_came_from(capsys, monkeypatch, tmp_path: Path) -> None:
    config = tmp_path / "voice-skill.toml"
    config.write_text('[safety]\nemergency_number = "000"\n[tts]\nrate = 150\n', encoding="utf-8")
    monkeypatch.setenv("VOICE_SKILL_TTS_RATE", "140")
    status, out, err = run(capsys, "config", "show", "--config", str(config), "--volume", "0.5")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert f'[safety] emergency_number = "000"  # file {config}' in lines
    assert "[tts] rate = 140  # environment $VOICE_SKILL_TTS_RATE" in lines
    assert "[tts] volume = 0.5  # flag --volume" in lines
    assert "[audio] trailing_silence = 0.6  # default" in lines
    assert all(" = " in line and "  # " in line for line in lines)
    _, out, _ = run(capsys, "config", "path", "--config", str(config))
    assert out == f"{config}\n"


def test_config_path_finds_the_local_file(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nowhere"))
    monkeypatch.delenv("VOICE_SKILL_CONFIG", raising=False)
    monkeypatch.setattr(paths, "SYSTEM_CONFIG", tmp_path / "etc.toml")
    _, out, _ = run(capsys, "config", "path")
    assert out == "(none: built-in defaults)\n"
    (tmp_path / "voice-skill.toml").write_text("[tts]\nrate = 150\n", encoding="utf-8")
    _, out, _ = run(capsys, "config", "path")
    assert out == "voice-skill.toml\n"


def test_debug_shows_what_info_hides(capsys) -> None:
    _, _, quiet = run(capsys, "ask", "what is sciatica")
    _, _, debug = run(capsys, "--debug", "ask", "what is sciatica")
    _, _, level = run(capsys, "ask", "--log-level", "debug", "what is sciatica")
    assert quiet == ""
    assert "DEBUG voice_skill.cli.main: settings from" in debug
    assert "DEBUG voice_skill.cli.main: settings from" in level


def test_ask_logs_unanswered_questions_only_when_asked_to(capsys, monkeypatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    questions = ("what is sciatica", "tell me a joke")
    run(capsys, "ask", *questions)
    assert not (tmp_path / "state").exists()
    monkeypatch.setenv("VOICE_SKILL_PRIVACY_LOG_UNANSWERED", "true")
    status, _, _ = run(capsys, "ask", *questions)
    log = tmp_path / "state" / "voice-skill" / "unanswered.jsonl"
    assert status == 0
    assert [json.loads(line)["text"] for line in log.read_text().splitlines()] == [
        "tell me a joke"]


def test_chat_logs_unanswered_questions_when_asked_to(tmp_path: Path) -> None:
    log = tmp_path / "unanswered.jsonl"
    env = {**os.environ, "VOICE_SKILL_PRIVACY_LOG_UNANSWERED": "true",
           "VOICE_SKILL_PRIVACY_UNANSWERED_LOG": str(log)}
    done = voice_skill("chat", stdin=b"what is sciatica\nhow do I bake bread\nbye\n", env=env)
    assert done.returncode == 0, done.stderr
    (entry,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert (entry["text"], entry["outcome"]) == ("how do I bake bread", "fallback")
