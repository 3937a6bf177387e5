"""The shipped content's own checks: every dialog test in dialogs/tests/, and check-dialogs.

One pytest case per dialog test, named file::test, so a failure points at the data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHIPPED_DIALOGS

from voice_skill.cli.main import main
from voice_skill.errors import ContentError
from voice_skill.nlu.dialog import Skill
from voice_skill.nlu.dialog_tests import (
    REQUIRED_IDS,
    DialogTest,
    content_problems,
    load_dialog_tests,
    run_dialog_test,
)

TEST_FILES = sorted((SHIPPED_DIALOGS / "tests").glob("*.yaml"))


def _cases() -> list:
    """(file, test or the load error) per dialog test; a file that will not load is one case."""
    cases = []
    for path in TEST_FILES:
        try:
            tests: list[DialogTest | ContentError] = list(load_dialog_tests(path))
        except ContentError as error:
            tests = [error]
        for test in tests:
            name = test.name if isinstance(test, DialogTest) else "<does not load>"
            cases.append(pytest.param(test, id=f"{path.name}::{name}"))
    return cases


def test_the_shipped_content_comes_with_dialog_tests() -> None:
    assert TEST_FILES, f"no dialog tests in {SHIPPED_DIALOGS / 'tests'}"
    assert sum(len(load_dialog_tests(path)) for path in TEST_FILES) >= 10


@pytest.mark.parametrize("test", _cases())
def test_shipped_dialog_test(skill: Skill, test: DialogTest | ContentError) -> None:
    if isinstance(test, ContentError):
        pytest.fail(str(test))
    problems = run_dialog_test(test, skill)
    assert problems == [], "\n".join(problems)


def test_shipped_dialog_test_names_are_unique() -> None:
    names = [f"{p.name}::{t.name}" for p in TEST_FILES for t in load_dialog_tests(p)]
    assert len(names) == len(set(names))


def test_check_dialogs_passes_on_the_shipped_folder(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["check-dialogs", str(SHIPPED_DIALOGS)])
    captured = capsys.readouterr()
    assert (status, captured.err) == (0, "")
    assert captured.out.rstrip().endswith(": ok")


def test_the_shipped_content_has_every_required_dialog(content) -> None:
    assert [i for i in REQUIRED_IDS if not content.has_dialog(i)] == []
    assert content_problems(content, REQUIRED_IDS) == []


def test_test_dialogs_runs_every_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    """The same files through the command line: the summary counts every test."""
    status = main(["test-dialogs", *map(str, TEST_FILES)])
    out = capsys.readouterr().out
    total = sum(len(load_dialog_tests(path)) for path in TEST_FILES)
    passed, failed = (int(n) for n in out.splitlines()[-1].replace(",", "").split()[::2])
    assert passed + failed == total
    assert (status, failed) == (0, 0), out


def test_dialog_test_files_are_not_content(content) -> None:
    """dialogs/tests/*.yaml sit below the content folder and are not loaded as dialogs."""
    assert all(Path(d.origin.rsplit(":", 1)[0]).parent == SHIPPED_DIALOGS
               for d in content.dialogs)


# --- the dialog-test format for the safety check --------------------------------------------


def _tests(tmp_path: Path, text: str) -> list[DialogTest]:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return load_dialog_tests(path)


CHECKED = """\
tests:
  - name: checked
    safety_check: true
    turns:
      - user: my calf keeps twitching
        asks_safety_check: true
        avoids: [nerve]
      - user: "no"
        asks_safety_check: false
        intent: twitch_causes
"""


def test_a_test_may_turn_the_safety_check_on(tmp_path: Path, skill: Skill) -> None:
    (test,) = _tests(tmp_path, CHECKED)
    assert test.safety_check is True
    assert test.turns[0].asks_safety_check is True and test.turns[0].avoids == ("nerve",)
    assert run_dialog_test(test, skill) == []


def test_tests_run_with_the_check_off_unless_they_turn_it_on(tmp_path: Path,
                                                             skill: Skill) -> None:
    """Whatever the settings: the shipped skill has it on, the test runs with it off."""
    (test,) = _tests(tmp_path, CHECKED.replace("    safety_check: true\n", ""))
    assert skill.settings.dialog.safety_check and not test.safety_check
    problems = run_dialog_test(test, skill)
    assert any("did not ask the safety check" in p for p in problems), problems
    assert any("reply has ['nerve']" in p for p in problems), problems


def test_a_bare_no_is_named_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"t\.yaml:8: 'user' was read as False; quote"):
        _tests(tmp_path, CHECKED.replace('"no"', "no"))


@pytest.mark.parametrize("old, new, message", [
    ("safety_check: true", "safety_check: maybe", r"t\.yaml:3: 'safety_check' must be true"),
    ("asks_safety_check: true", "asks_safety_check: 1",
     r"t\.yaml:6: 'asks_safety_check' must be true"),
    ("safety_check: true", "safety_chek: true", r"t\.yaml:2: a test has 'name', 'turns' and"),
])
def test_malformed_safety_check_keys_name_file_and_line(tmp_path: Path, old: str, new: str,
                                                        message: str) -> None:
    with pytest.raises(ContentError, match=message):
        _tests(tmp_path, CHECKED.replace(old, new, 1))
