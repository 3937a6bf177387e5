"""Content loading: valid folders load, and each kind of broken content is one line naming file:line.

Broken content is built in tmp_path from the shipped messages, conversation and red flags plus a
tiny FAQ (conftest.tiny_dialogs), with one thing broken. The line the error must name is marked
`# <- here` in the YAML below.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHIPPED_DIALOGS

from voice_skill.cli.main import main
from voice_skill.content.loader import MAX_ANSWER_WORDS, load_content
from voice_skill.errors import ContentError
from voice_skill.nlu.normalize import normalize

MARK = "# <- here"


def check_dialogs(capsys: pytest.CaptureFixture[str], folder: Path) -> tuple[int, str, str]:
    """Run `voice-skill check-dialogs FOLDER` in-process: (exit status, stdout, stderr)."""
    status = main(["check-dialogs", str(folder)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def marked_line(text: str) -> int:
    """The 1-based number of the line marked '# <- here'."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if MARK in line)


def assert_one_line_error(err: str, path: Path, line: int | None, *fragments: str) -> None:
    """stderr is exactly one line naming path (and line), with each fragment, no traceback."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert lines[0].startswith(f"voice-skill: {where}"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def words(n: int) -> str:
    return " ".join(["word"] * n)


# Each case: a file added last to the tiny content folder (zz_ sorts after faq.yaml), the
# words the error must contain. The marked line is the one the error must name.
BROKEN = {
    "malformed_yaml": ("""\
dialogs:
  - id: broken
    phrasings: [why is it broken
    answer: It is broken.  # <- here
""", ["malformed YAML"]),
    "unknown_key": ("""\
dialogs:
  - id: typo
    phrasings: [what has a typo]
    anwser: A typo.  # <- here
""", ["unknown key 'anwser'"]),
    "duplicate_id": ("""\
dialogs:
  - id: knee_pain  # <- here
    phrasings: [another knee question]
    answer: Again.
""", ["duplicate dialog id 'knee_pain'", "faq.yaml:2"]),
    "empty_answer": ("""\
dialogs:
  - id: empty
    phrasings: [what is empty]
    answer: "   "  # <- here
""", ["answer of empty is empty"]),
    "null_answer": ("""\
dialogs:
  - id: empty
    phrasings: [what is empty]
    answer:  # <- here
""", ["answer of empty must be text"]),
    "answer_not_text": ("""\
dialogs:
  - id: listed
    phrasings: [what is listed]
    answer: [one, two]  # <- here
""", ["answer of listed must be text"]),
    "answer_too_long": (f"""\
dialogs:
  - id: wordy
    phrasings: [what is wordy]
    answer: {words(MAX_ANSWER_WORDS + 1)}  # <- here
""", [f"has {MAX_ANSWER_WORDS + 1} words", f"at most {MAX_ANSWER_WORDS}"]),
    "missing_answer": ("""\
dialogs:
  - id: silent  # <- here
    phrasings: [what is silent]
""", ["dialog has no 'answer'"]),
    "no_phrasings": ("""\
dialogs:
  - id: mute
    phrasings: []  # <- here
    answer: Nothing.
""", ["dialog mute has no phrasings"]),
    "same_phrasing_in_two_dialogs": ("""\
dialogs:
  - id: knee_again
    phrasings:
      - how do I bend my knee
      - Why does my knee HURT?  # <- here
    answer: Again.
""", ["phrasing 'why does my knee hurt' of knee_again is also in knee_pain", "faq.yaml:6"]),
    "same_topic_words_in_two_dialogs": ("""\
dialogs:
  - id: knee_again
    phrasings:
      - what should I do when my knee hurts  # <- here
    answer: Again.
""", ["'what should i do when my knee hurts' of knee_again has the same topic words ('knee hurt')",
      "'why does my knee hurt' in knee_pain", "add a word that tells them apart"]),
    "duplicate_yaml_key": ("""\
dialogs:
  - id: twice
    phrasings: [what is twice]
    answer: First.
    answer: Second.  # <- here
""", ["duplicate key 'answer'"]),
    "unknown_top_level_key": ("""\
dialog:  # <- here
  - id: singular
""", ["unknown key 'dialog'"]),
    "dialogs_not_a_list": ("""\
dialogs:
  id: lonely  # <- here
""", ["dialogs must be a list"]),
    "unknown_escalation_level": ("""\
rules:
  - id: made_up
    level: critical  # <- here
    about: something
    match: [something bad]
""", ["unknown escalation level 'critical'"]),
    "rule_without_match": ("""\
rules:
  - id: toothless  # <- here
    level: urgent
    about: nothing
""", ["red-flag rule has no 'match'"]),
    "rule_unknown_key": ("""\
rules:
  - id: typo_rule
    level: urgent
    about: typos
    matches: [typo]  # <- here
""", ["unknown key 'matches'"]),
    "empty_pattern_alternative": ("""\
rules:
  - id: gap
    level: urgent
    about: a gap
    match:
      - weak||numb  # <- here
""", ["empty alternative"]),
    "duplicate_rule_id": ("""\
rules:
  - id: weakness  # <- here
    level: routine
    about: weakness again
    match: [feeble]
""", ["duplicate red-flag rule id 'weakness'"]),
    "unknown_placeholder_in_clarify": ("""\
clarify: "Did you mean {first} or {secnd}?"  # <- here
""", ["unknown placeholder {secnd} in clarify"]),
    "unknown_placeholder_in_advice": ("""\
levels:
  emergency:
    advice: Call {emergency_numbr} now.  # <- here
""", ["unknown placeholder {emergency_numbr}"]),
    "history_not_a_flag": ("""\
rules:
  - id: told
    level: routine
    about: a history
    history: yes please  # <- here
    match: [mother + als]
""", ["history must be true or false"]),
    "unknown_someone_else_key": ("""\
levels:
  urgent:
    advice: See a doctor today.
    someone_els: Help them see a doctor.  # <- here
""", ["unknown key 'someone_els'"]),
    "unknown_cue_kind": ("""\
assertion:
  hypothetical: [what if]
  rumour: [they say]  # <- here
""", ["unknown key 'rumour' in assertion"]),
    "cue_with_groups": ("""\
assertion:
  hearsay:
    - my friend + says  # <- here
""", ["a hearsay cue is one phrase"]),
    "empty_cue_alternative": ("""\
assertion:
  figurative:
    - laughter||giggles  # <- here
""", ["empty alternative"]),
    "softener_in_a_rule": ("""\
rules:
  - id: soft
    level: urgent
    about: a soft word
    match:
      - totally numb  # <- here
""", ["'totally' in 'totally numb' is read past"]),
    "tab_indentation": ("""\
dialogs:
  - id: tabbed
\tphrasings: [what is tabbed]  # <- here
""", ["malformed YAML"]),
    "control_character": ("""\
dialogs:
  - id: bell
    phrasings: ["ring \x07 the bell"]  # <- here
    answer: Ding.
""", ["malformed YAML", "#x0007"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_content_is_one_line_naming_file_and_line(
        case: str, tiny_dialogs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, fragments = BROKEN[case]
    broken = tiny_dialogs / "zz_broken.yaml"
    broken.write_text(text, encoding="utf-8")
    status, out, err = check_dialogs(capsys, tiny_dialogs)
    assert status == 2
    assert out == ""
    assert_one_line_error(err, broken, marked_line(text), *fragments)


def test_the_tiny_folder_itself_is_valid(tiny_dialogs: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The control for the table above: its errors come from the one broken file."""
    status, out, err = check_dialogs(capsys, tiny_dialogs)
    assert (status, err) == (0, "")
    assert out.strip().endswith(": ok")


def test_an_answer_of_exactly_the_limit_is_accepted(tiny_dialogs: Path) -> None:
    (tiny_dialogs / "zz.yaml").write_text(
        f"dialogs:\n  - id: full\n    phrasings: [what is full]\n"
        f"    answer: {words(MAX_ANSWER_WORDS)}\n", encoding="utf-8")
    assert len(load_content(tiny_dialogs).dialog("full").answer.split()) == MAX_ANSWER_WORDS


def test_missing_messages_name_the_folder_and_the_message(
        tiny_dialogs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny_dialogs / "messages.yaml").unlink()
    status, out, err = check_dialogs(capsys, tiny_dialogs)
    assert (status, out) == (2, "")
    assert_one_line_error(err, tiny_dialogs, None, "no message 'fallback'")


def test_one_missing_message_is_named(tiny_dialogs: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tiny_dialogs / "messages.yaml").write_text(
        "fallback: Sorry.\ndisclaimer: Not a doctor.\nclarify: '{first} or {second}?'\n"
        "idle_reset: Fresh.\n", encoding="utf-8")
    status, _, err = check_dialogs(capsys, tiny_dialogs)
    assert status == 2
    assert_one_line_error(err, tiny_dialogs, None, "no message 'clarify_again'")


def test_a_level_without_advice_is_named(tiny_dialogs: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    red_flags = tiny_dialogs / "red_flags.yaml"
    text = red_flags.read_text(encoding="utf-8")
    start = text.index("  routine:\n")
    end = text.index("\nrules:")
    red_flags.write_text(text[:start] + text[end:], encoding="utf-8")
    status, _, err = check_dialogs(capsys, tiny_dialogs)
    assert status == 2
    assert_one_line_error(err, tiny_dialogs, None, "level 'routine' has no advice")


def test_a_non_utf8_file_names_file_and_line(tiny_dialogs: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    broken = tiny_dialogs / "zz_latin1.yaml"
    broken.write_bytes("dialogs:\n  - id: cafe\n    phrasings: [caf\u00e9]\n".encode("latin-1"))
    status, _, err = check_dialogs(capsys, tiny_dialogs)
    assert status == 2
    assert_one_line_error(err, broken, 3, "not UTF-8", "0xe9")


def test_a_missing_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = check_dialogs(capsys, tmp_path / "nowhere")
    assert status == 2
    assert_one_line_error(err, tmp_path / "nowhere", None, "no such dialogs folder")


def test_a_folder_without_yaml_is_one_line(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = check_dialogs(capsys, tmp_path)
    assert status == 2
    assert_one_line_error(err, tmp_path, None, "no *.yaml content files")


def test_a_red_flag_example_that_does_not_fire_fails_the_check(
        tiny_dialogs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tiny_dialogs / "zz_rule.yaml"
    broken.write_text("""\
rules:
  - id: purple_toes
    level: urgent
    about: purple toes
    match: [purple + toe*]
    examples:
      escalate: [my toes went purple, my feet hurt]
      calm: [my purple toes are fine now, my toes are purple]
""", encoding="utf-8")
    status, out, err = check_dialogs(capsys, tiny_dialogs)
    assert status == 1
    problems = err.splitlines()
    assert problems == [
        f"{broken}:2: rule purple_toes misses its example 'my feet hurt'",
        f"{broken}:2: rule purple_toes fires on calm example 'my toes are purple'",
    ]
    assert "2 problems" in out


def test_content_errors_end_to_end_have_no_traceback(tiny_dialogs: Path) -> None:
    """The real console script: one line on stderr, exit status 2."""
    text, _ = BROKEN["duplicate_yaml_key"]
    broken = tiny_dialogs / "zz_broken.yaml"
    broken.write_text(text, encoding="utf-8")
    script = Path(sys.executable).parent / "voice-skill"
    done = subprocess.run([str(script), "check-dialogs", str(tiny_dialogs)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert_one_line_error(done.stderr, broken, marked_line(text), "duplicate key")


# --- what a valid folder loads into ------------------------------------------------------


def test_tiny_content_loads_normalised(tiny_dialogs: Path) -> None:
    content = load_content(tiny_dialogs)
    knee = content.dialog("knee_pain")
    assert knee.phrasings == ("what causes knee pain", "why does my knee hurt")
    assert knee.topic == "knee pain"
    assert knee.answer == "Knee pain answer."
    assert knee.more == "More about knee pain."
    assert knee.origin == f"{tiny_dialogs / 'faq.yaml'}:2"
    assert not knee.is_conversation
    assert content.dialog("stop").is_conversation
    assert not content.has_dialog("weather")


def test_a_dialog_without_topic_is_named_after_its_id(tiny_dialogs: Path) -> None:
    (tiny_dialogs / "zz.yaml").write_text(
        "dialogs:\n  - id: heel_spur\n    phrasings: [what is a heel spur]\n"
        "    answer: A bony growth.\n", encoding="utf-8")
    assert load_content(tiny_dialogs).dialog("heel_spur").topic == "heel spur"


def test_a_phrasing_repeated_in_one_dialog_is_kept_once(tiny_dialogs: Path) -> None:
    (tiny_dialogs / "zz.yaml").write_text(
        "dialogs:\n  - id: echo\n    phrasings: [is there an echo, 'Is there an echo?']\n"
        "    answer: Echo.\n", encoding="utf-8")
    assert load_content(tiny_dialogs).dialog("echo").phrasings == ("is there an echo",)


def test_files_may_be_split_as_editors_like(tiny_dialogs: Path) -> None:
    """A message in its own file, the red flags split in two: the folder is what counts."""
    messages = tiny_dialogs / "messages.yaml"
    text = messages.read_text(encoding="utf-8")
    start = text.index("disclaimer:")
    end = text.index("clarify:")
    messages.write_text(text[:start] + text[end:], encoding="utf-8")
    (tiny_dialogs / "disclaimer.yaml").write_text(text[start:end], encoding="utf-8")
    assert "not a diagnosis" in load_content(tiny_dialogs).messages.disclaimer


def test_yaml_numbers_in_their_own_spellings_do_not_crash(tiny_dialogs: Path) -> None:
    (tiny_dialogs / "zz.yaml").write_text(
        "dialogs:\n  - id: 0x1F\n    phrasings: [hex]\n    answer: Hex.\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"zz\.yaml:2: id must be text"):
        load_content(tiny_dialogs)


def test_a_byte_order_mark_is_accepted(tiny_dialogs: Path) -> None:
    (tiny_dialogs / "zz.yaml").write_bytes(
        b"\xef\xbb\xbfdialogs:\n  - id: bom\n    phrasings: [windows notepad]\n    answer: Ok.\n")
    assert load_content(tiny_dialogs).has_dialog("bom")


def test_the_shipped_content_loads(content) -> None:
    assert content.directory == SHIPPED_DIALOGS
    assert {"emergency", "urgent", "routine"} <= set(content.level_advice)
    assert "{emergency_number}" in content.level_advice["emergency"]
    assert all(len(d.answer.split()) <= MAX_ANSWER_WORDS for d in content.dialogs)


def test_recognition_phrases_cover_phrasings_and_red_flag_examples(content) -> None:
    phrases = set(content.recognition_phrases())
    assert set(content.dialog("sciatica").phrasings) <= phrases
    examples = [e for rule in content.rules for e in rule.escalate_examples + rule.calm_examples]
    assert {normalize(e) for e in examples} <= phrases
    assert len(phrases) == len(content.recognition_phrases())  # no duplicates


def test_a_copy_of_the_shipped_folder_validates(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Outside dialogs/ the required-ids check is off; everything else still runs."""
    copy = tmp_path / "copy"
    shutil.copytree(SHIPPED_DIALOGS, copy, ignore=shutil.ignore_patterns("tests"))
    status, out, err = check_dialogs(capsys, copy)
    assert (status, err) == (0, "")
    assert out.rstrip().endswith(": ok")
