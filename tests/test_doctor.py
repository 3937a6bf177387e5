"""`voice-skill doctor`: the real command against a real PulseAudio server and against none,
and each check function against machines that lack something (fakes)."""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import SHIPPED_DIALOGS
from pulse import PulseServer, pulse_audio_fixture  # noqa: F401 - the fixture
from speech import synthesize

from voice_skill.cli import doctor
from voice_skill.cli.doctor import (
    OK,
    PROBLEM,
    WARNING,
    Check,
    check_dialogs,
    check_disk,
    check_microphone,
    check_model,
    check_platform,
    check_recognizer,
    check_settings,
    check_speaker,
    check_speech,
    level_dbfs,
    run_doctor,
)
from voice_skill.asr.models import recommended
from voice_skill.errors import AudioError, EngineError
from voice_skill.config import load_settings
from voice_skill.settings import AsrSettings, TtsSettings


def run_doctor_command(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voice_skill", "doctor"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False)


def lines_by_name(out: str) -> dict[str, str]:
    """doctor's lines keyed by check name: 'ok       microphone: ...' -> {'microphone': ...}."""
    found = {}
    for line in out.splitlines():
        status, _, rest = line.partition(" ")
        name, _, _ = rest.strip().partition(":")
        found[name] = line
    return found


# --- the real command ------------------------------------------------------------------------


def test_doctor_hears_the_microphone_of_a_real_audio_server(
        pulse_audio: PulseServer, tmp_path: Path) -> None:
    speech = synthesize("why is my calf twitching") * 4  # keeps sounding while doctor listens
    pulse_audio.feed(speech, pad=0.2)
    env = {**os.environ, "PULSE_SERVER": pulse_audio.env["PULSE_SERVER"]}
    result = run_doctor_command(env, tmp_path)
    pulse_audio.wait_fed()
    lines = lines_by_name(result.stdout)
    microphone = lines["microphone"]
    assert microphone.startswith("ok "), result.stdout
    level = float(microphone.split("level ")[1].split(" dBFS")[0])
    assert -60 < level < 0  # speech, not digital silence and not clipped flat
    assert lines["speaker"].startswith("ok "), result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_doctor_without_an_audio_server_names_the_problem_and_the_fix(tmp_path: Path) -> None:
    env = {**os.environ, "PULSE_SERVER": "unix:/nonexistent/voice-skill-doctor"}
    result = run_doctor_command(env, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = lines_by_name(result.stdout)
    assert lines["microphone"].startswith("problem "), result.stdout
    assert "-- fix: connect a microphone" in lines["microphone"]
    assert lines["speaker"].startswith("problem ")
    # The rest of the machine is still examined and reported.
    for name in ("platform", "settings", "dialogs", "recognition", "model", "speech", "disk"):
        assert lines[name].startswith(("ok ", "warning ")), result.stdout
    assert result.stdout.rstrip().endswith("2 problem(s) found")
    assert "Traceback" not in result.stderr


# --- the checks, with fakes ------------------------------------------------------------------


def tone(amplitude: int, seconds: float = 1.0) -> bytes:
    count = int(16000 * seconds)
    samples = (int(amplitude * math.sin(2 * math.pi * 440 * i / 16000)) for i in range(count))
    return b"".join(s.to_bytes(2, "little", signed=True) for s in samples)


def microphone(pcm: bytes, name: str = "3: USB mic"):
    @contextmanager
    def opened() -> Iterator[tuple[str, Iterable[bytes]]]:
        yield name, (pcm[i:i + 3200] for i in range(0, len(pcm), 3200))

    return opened


def test_level_in_dbfs() -> None:
    assert level_dbfs(tone(16384)) == pytest.approx(-9.03, abs=0.05)  # half scale sine
    assert level_dbfs(bytes(3200)) == -math.inf


def test_microphone_level_reading() -> None:
    check = check_microphone(microphone(tone(1000, seconds=3)))
    assert check.status == OK
    assert check.detail == "3: USB mic: level -33.3 dBFS over 1.0 s"


def test_a_silent_microphone_is_a_warning() -> None:
    check = check_microphone(microphone(bytes(64000)))
    assert check.status == WARNING
    assert "digital silence" in check.detail and "alsamixer" in check.fix


def test_missing_portaudio_says_which_package() -> None:
    @contextmanager
    def broken() -> Iterator[tuple[str, Iterable[bytes]]]:
        raise AudioError("cannot use audio devices: no library (Debian: apt-get install "
                         "libportaudio2)")
        yield  # pragma: no cover

    check = check_microphone(broken)
    assert (check.status, check.fix) == (PROBLEM, "apt-get install libportaudio2")


def test_speaker() -> None:
    assert check_speaker(lambda: (2, "Built-in", 48000.0)) == Check(
        "speaker", OK, "2: Built-in (48000 Hz)")

    def none() -> tuple[int, str, float]:
        raise AudioError("no audio output device found")

    check = check_speaker(none)
    assert check.status == PROBLEM and "connect a speaker" in check.fix


def test_recognizer_reports_what_auto_picked_and_the_missing_model_fix() -> None:
    class Engine:
        description = "pocketsphinx, mix language model"

    check = check_recognizer(AsrSettings(), Engine, "/models")
    assert check.status == OK and "pocketsphinx" in check.detail
    assert "voice-skill models download vosk-model-small-en-us-0.15" in check.detail

    def no_model() -> object:
        raise EngineError("no English Vosk model found (none in /models)")

    check = check_recognizer(AsrSettings(engine="vosk"), no_model, "/models")
    assert check.status == PROBLEM
    assert check.fix == "voice-skill models download vosk-model-small-en-us-0.15"


def test_model_says_whether_the_recommended_one_is_installed_and_how_to_get_it(
        tmp_path: Path) -> None:
    info = recommended()
    check = check_model(info, None, tmp_path)
    assert check.status == WARNING
    assert f"no English Vosk model in {tmp_path}, so pocketsphinx listens" in check.detail
    assert "vosk-model-small-en-us-0.15 (39.3 MiB)" in check.detail
    assert check.fix.startswith("voice-skill models download vosk-model-small-en-us-0.15. ")
    assert f"To install it by hand: download {info.url}" in check.fix
    assert f"unzip it into {tmp_path}" in check.fix
    installed = check_model(info, tmp_path / info.name, tmp_path)
    assert installed == Check("model", OK, f"the recommended {info.name} is installed in "
                                           f"{tmp_path}")
    other = check_model(info, tmp_path / "vosk-model-en-us-0.22-lgraph", tmp_path)
    assert other.status == OK and "the recommended one is vosk-model-small-en-us-0.15" in \
        other.detail


def test_speech_engine() -> None:
    def say(text: str) -> tuple[int, int, str]:
        return 11025, 22050, "en-us"

    assert check_speech(TtsSettings(), say, lambda name: "/usr/bin/espeak-ng").status == OK
    assert check_speech(TtsSettings(), say, lambda name: None).status == WARNING
    assert check_speech(TtsSettings(), lambda t: (0, 22050, "x"), shutil_which).status == PROBLEM

    def broken(text: str) -> tuple[int, int, str]:
        raise EngineError("speech engine did not start: no espeak")

    check = check_speech(TtsSettings(), broken, shutil_which)
    assert (check.status, check.fix) == (PROBLEM, "apt-get install espeak-ng libespeak-ng1")


def shutil_which(name: str) -> str:
    return f"/usr/bin/{name}"


@pytest.mark.parametrize(("machine", "bits", "version", "status"), [
    ("x86_64", 64, (3, 11, 2), OK),
    ("aarch64", 64, (3, 11, 2), OK),
    ("armv7l", 32, (3, 11, 2), WARNING),
    ("aarch64", 32, (3, 11, 2), WARNING),  # a 64-bit kernel under 32-bit Raspberry Pi OS
    ("x86_64", 64, (3, 10, 12), PROBLEM),
])
def test_platform(machine: str, bits: int, version: tuple[int, int, int], status: str) -> None:
    check = check_platform(machine, bits, version)
    assert check.status == status
    if machine.startswith("arm") or bits == 32:
        assert "numpy, PyYAML and pocketsphinx" in check.detail
        assert "64-bit" in check.fix


def test_settings_name_the_file(tmp_path: Path) -> None:
    good = tmp_path / "voice-skill.toml"
    good.write_text('[safety]\nemergency_number = "112"\n')
    assert check_settings(good, load_settings) == Check("settings", OK, f"loaded {good}")
    bad = tmp_path / "bad.toml"
    bad.write_text("[nonsense]\n")
    check = check_settings(bad, load_settings)
    assert check.status == PROBLEM and str(bad) in check.detail and "nonsense" in check.detail
    assert check_settings(None, load_settings).status == OK


def test_dialogs(tmp_path: Path) -> None:
    check = check_dialogs(SHIPPED_DIALOGS)
    assert check.status == OK and "dialogs" in check.detail
    (tmp_path / "faq_broken.yaml").write_text("- id: [unclosed\n")
    check = check_dialogs(tmp_path)
    assert check.status == PROBLEM and "faq_broken.yaml" in check.detail
    assert check.fix == f"voice-skill check-dialogs {tmp_path}"


def test_disk(tmp_path: Path) -> None:
    folder = tmp_path / "not" / "yet" / "made"
    mib = 2**20
    assert check_disk(folder, lambda path: 10 * mib).status == PROBLEM
    assert check_disk(folder, lambda path: 600 * mib).status == WARNING
    check = check_disk(folder, lambda path: 5000 * mib)
    assert check == Check("disk", OK, f"5000 MiB free for models in {folder}")
    seen = []
    check_disk(folder, lambda path: seen.append(path) or 0)
    assert seen == [tmp_path]  # measured on the nearest folder that exists


def test_run_doctor_prints_a_line_per_check_and_fails_on_a_problem() -> None:
    out = io.StringIO()
    checks = [Check("a", OK, "fine"), Check("b", WARNING, "hm", "do x"),
              Check("c", PROBLEM, "broken", "do y")]
    assert run_doctor(checks, out) == 1
    assert out.getvalue().splitlines() == [
        "ok       a: fine", "warning  b: hm -- fix: do x", "problem  c: broken -- fix: do y",
        "1 problem(s) found"]
    assert run_doctor(checks[:2], io.StringIO()) == 0


def test_the_doctor_is_on_the_command_line() -> None:
    from voice_skill.cli.main import build_parser

    args = build_parser().parse_args(["doctor"])
    assert args.run.__name__ == "cmd_doctor"
    assert doctor.settings_file(Path("x.toml")) == Path("x.toml")
