"""The voice commands on real audio: ask --wav, transcribe and reply, with pocketsphinx.

Questions are spoken by espeak-ng at test time; bad files sit in the same batch to prove that
one clear line is printed for each and the batch goes on, one JSON line per file, in order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from speech import synthesize, write_wav

from voice_skill.asr import SphinxRecognizer, transcribe
from voice_skill.audio import read_wav
from voice_skill.content import load_content
from voice_skill.settings import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "dialogs"

VOICE_SKILL = str(Path(sys.executable).with_name("voice-skill"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VOICE_SKILL, *args, "--engine", "pocketsphinx"], capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """WAV files of spoken questions and of broken audio."""
    folder = tmp_path_factory.mktemp("spoken")
    files = {
        "sciatica": write_wav(folder / "sciatica.wav", synthesize("what is sciatica")),
        "bladder": write_wav(folder / "bladder.wav",
                             synthesize("I have lost control of my bladder")),
        "silence": write_wav(folder / "silence.wav", b"\0\0" * 32000),
        "empty": folder / "empty.wav",
        "text": folder / "notes.wav",
        "missing": folder / "missing.wav",
    }
    files["empty"].write_bytes(b"")
    files["text"].write_text("this is not audio\n")
    return files


def test_ask_wav_answers_each_file_in_order_and_keeps_going(spoken: dict[str, Path]) -> None:
    order = ["sciatica", "missing", "empty", "bladder", "text", "silence"]
    result = run("ask", "--json", "--wav", *(str(spoken[name]) for name in order))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(line["input"]).name for line in lines] == [spoken[n].name for n in order]
    by_name = dict(zip(order, lines))
    assert by_name["sciatica"]["intent"] == "sciatica"
    assert "sciatica" in by_name["sciatica"]["transcript"]
    assert by_name["bladder"]["escalation"] == "emergency"
    assert by_name["silence"]["transcript"] == ""
    assert by_name["silence"]["escalation"] == "none"
    for bad in ("missing", "empty", "text"):
        assert by_name[bad]["error"], by_name[bad]
    errors = [line for line in result.stderr.splitlines() if line.startswith("voice-skill: /")]
    assert len(errors) == 3, result.stderr
    assert all(str(spoken[bad]) in "".join(errors) for bad in ("missing", "empty", "text"))
    assert "Traceback" not in result.stderr
    assert result.returncode == 2


def test_ask_wav_says_which_engine_is_used(spoken: dict[str, Path]) -> None:
    result = run("ask", "--wav", str(spoken["sciatica"]))
    assert result.returncode == 0, result.stderr
    assert "pocketsphinx" in result.stderr
    assert "sciatica" in result.stdout.lower()


def test_transcribe_prints_a_line_per_file(spoken: dict[str, Path]) -> None:
    result = run("transcribe", str(spoken["sciatica"]), str(spoken["text"]),
                 str(spoken["bladder"]))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(str(spoken["sciatica"])) and "sciatica" in lines[0]
    assert "bladder" in lines[1]
    assert str(spoken["text"]) in result.stderr


def test_reply_writes_the_spoken_answer(spoken: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "answer.wav"
    result = run("reply", str(spoken["sciatica"]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    with wave.open(str(out)) as answer:
        seconds = answer.getnframes() / answer.getframerate()
    assert seconds > 3, seconds
    # Listen back: the file holds the sciatica answer, not just any sound.
    answer = load_content(SHIPPED).dialog("sciatica").answer
    heard = transcribe(SphinxRecognizer(tuple(answer.lower().split(". "))), read_wav(out)).text
    key_words = {"sciatica", "leg", "back", "nerve", "pain", "buttocks", "numbness"}
    assert len(key_words & set(heard.split())) >= 3, heard


def test_reply_to_an_escalation_speaks_the_advice(spoken: dict[str, Path],
                                                  tmp_path: Path) -> None:
    out = tmp_path / "advice.wav"
    result = run("reply", str(spoken["bladder"]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "[EMERGENCY]" in result.stdout
    heard = transcribe(SphinxRecognizer(("this needs emergency care", "call nine one one now")),
                       read_wav(out)).text
    assert "emergency" in heard, heard


def test_a_missing_vosk_model_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run([VOICE_SKILL, "transcribe", "--engine", "vosk", "--model",
                             str(tmp_path / "nowhere"), str(tmp_path / "x.wav")],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
