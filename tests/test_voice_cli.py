"""The voice commands on real audio: ask --wav, transcribe and reply, with pocketsphinx.

Questions are spoken by espeak-ng at test time (and by flite, a synthesiser the skill was not
tuned on); bad files sit in the same batch to prove that one clear line is printed for each and
the batch goes on, one JSON line per file, in order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from speech import FLITE_VOICES, synthesize, synthesize_flite, write_wav

from voice_skill.asr.base import transcribe
from voice_skill.asr.sphinx import SphinxRecognizer
from voice_skill.audio.wav import read_wav
from voice_skill.content.loader import load_content
from voice_skill.nlu.dialog import Conversation, Skill
from voice_skill.settings import PROJECT_ROOT, Settings

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


# Written for this test: in neither the dialogs nor the development set. (question, intents that
# answer it or None when only the escalation matters, escalation it needs)
UNSEEN_DECISIONS = (
    ("why does my calf keep jumping", ["twitch_causes"], "none"),
    ("can a lack of magnesium make my legs twitch", ["deficiency"], "none"),
    ("tell me about sciatica", ["sciatica"], "none"),
    ("how do I stretch my calf muscle", ["calm_calf"], "none"),
    ("is a blood clot in the leg dangerous", ["blood_clot"], "none"),
    ("does stress make muscles twitch", ["anxiety"], "none"),
    ("what is a slipped disc", ["herniated_disc"], "none"),
    ("what time is it", [], "none"),
    ("no pain and no swelling, just a small twitch", None, "none"),
    ("I can't feel anything between my legs", None, "emergency"),
    ("I wet myself and my back hurts", None, "emergency"),
    ("I can't breathe properly", None, "emergency"),
    ("my calf is swollen and hot", None, "urgent"),
    ("my foot is getting weaker", None, "urgent"),
    ("the twitching is spreading all over my body", None, "urgent"),
    ("I started a new medicine and now my legs twitch", None, "routine"),
)
LEVELS = ("none", "routine", "urgent", "emergency")


def _spoken_by(synthesiser: str, voice: str, folder: Path) -> list[Path]:
    files = []
    for number, (text, _, _) in enumerate(UNSEEN_DECISIONS):
        if synthesiser == "flite":
            pcm = synthesize_flite(text, voice)
        else:
            voice_name, rate, snr = voice.split("/")
            pcm = synthesize(text, voice=voice_name, rate=int(rate),
                             noise_snr_db=float(snr) if snr else None)
        files.append(write_wav(folder / f"{synthesiser}_{voice.replace('/', '_')}_{number}.wav",
                               pcm))
    return files


def _tally(lines: list[dict]) -> tuple[int, int, int]:
    """Right intents, red flags caught at their level or above, and false alarms."""
    right = caught = false_alarms = 0
    for line, (_, intents, escalation) in zip(lines, UNSEEN_DECISIONS, strict=True):
        if intents is not None:
            right += line["intent"] in intents if intents else line["intent"] is None
        if escalation != "none":
            caught += LEVELS.index(line["escalation"]) >= LEVELS.index(escalation)
        else:
            false_alarms += line["escalation"] != "none"
    return right, caught, false_alarms


@pytest.mark.slow
def test_unseen_spoken_questions_across_two_synthesisers(tmp_path: Path) -> None:
    """The whole evaluation path (ask --wav) on questions nobody tuned on, spoken by three
    espeak-ng voices (one with pink noise at 10 dB SNR) and three flite voices.

    Measured (pocketsphinx 5.1.1, plain model, the default since the espeak-ng adaptation went
    off by default; 8 intents / 7 red flags / 9 calm per voice): espeak-ng intents 18/24, red
    flags 14/21, false alarms 3/27 (19/24, 15/21 before the content's tenth tuning round changed
    the recogniser's language model; 23/24, 18/21 with the MAP-adapted model beside it); flite
    intents 17/24, red flags 19/21, false alarms 0/27. Most misses are recognition: en-gb
    "I can't" heard as "iconic", flite's "I can't breathe" as "i can breathe". The floors sit
    one below the measurement: every content edit moves the language model a little."""
    speakers = [("espeak-ng", "en-us/160/"), ("espeak-ng", "en-gb/150/"),
                ("espeak-ng", "en-us+f2/160/10")] + [("flite", v) for v in FLITE_VOICES]
    files = {speaker: _spoken_by(*speaker, tmp_path) for speaker in speakers}
    result = run("ask", "--json", "--wav", *(str(f) for fs in files.values() for f in fs))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    per_file = iter(lines)
    totals: dict[str, list[int]] = {}
    for synthesiser, _ in speakers:
        tally = _tally([next(per_file) for _ in UNSEEN_DECISIONS])
        totals[synthesiser] = [a + b for a, b in zip(totals.get(synthesiser, [0, 0, 0]), tally)]
    assert totals["espeak-ng"][0] >= 17 and totals["espeak-ng"][1] >= 13, totals
    assert totals["flite"][0] >= 16 and totals["flite"][1] >= 18, totals
    assert sum(t[2] for t in totals.values()) <= 5, totals


@pytest.mark.parametrize("answer, escalation", [("no", "none"),
                                                ("yes my leg is weak", "urgent")])
def test_a_spoken_answer_to_the_safety_check_is_understood(tmp_path: Path, answer: str,
                                                           escalation: str) -> None:
    """The safety check's answers are among the phrases the recogniser expects; flite, a
    synthesiser nothing was tuned on, says them, and the skill takes what it heard as the
    answer ("no" is heard as "know")."""
    content = load_content(SHIPPED)
    skill = Skill(content, Settings())
    asked = skill.respond(Conversation(), "my calf keeps twitching", spoken=True)
    assert asked.safety_check is not None
    recognizer = SphinxRecognizer(content.recognition_phrases())
    heard = transcribe(recognizer, read_wav(write_wav(tmp_path / "answer.wav",
                                                      synthesize_flite(answer, "slt"))))
    reply = skill.respond(asked.state, heard.text, spoken=True)
    assert reply.escalation == escalation
    if answer == "no":
        assert reply.text == asked.held.text
