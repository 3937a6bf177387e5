"""The skill as a real package: a wheel built from a copy of the checkout, installed into a
fresh virtual environment (and with pipx), run from a folder outside the repository with a
home of its own.

The environment is truly fresh: its dependencies are resolved and installed from the package
index, as a user's `pip install` does, not borrowed from the development environment, so a
dependency missing from pyproject.toml fails here. The source copy is deleted before the
install, and PYTHONPATH is cleared, so nothing can be imported from a checkout: dialogs,
the espeak-ng adaptation and the speech worker must all come from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from speech import synthesize, write_wav

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# Not copied: development state that must not leak into the wheel (a stale build/ would),
# downloaded models, and the checkout's own tests and benchmarks (dialogs/tests ship).
_ANYWHERE = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                   ".pytest_cache", ".mypy_cache", ".ruff_cache")
_TOP_ONLY = {"models", "bench", "tests"}


def _ignored(folder: str, names: list[str]) -> set[str]:
    top = set(names) & _TOP_ONLY if Path(folder) == ROOT else set()
    return set(_ANYWHERE(folder, names)) | top


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False,
                            **kwargs)
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result


def _clean_env(home: Path) -> dict[str, str]:
    """The environment of a user with an empty home and no checkout on any path."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VOICE_SKILL", "XDG_", "VOSK_", "PYTHON", "VIRTUAL_ENV"))}
    # pip's cache stays where it was: the point is a fresh install, not a fresh download.
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env.update(HOME=str(home), PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


@pytest.fixture(scope="module", name="wheel")
def wheel_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """voice_skill-*.whl, built by `pip wheel --no-deps` from a copy of the checkout that is
    deleted afterwards."""
    base = tmp_path_factory.mktemp("wheel")
    source, out = base / "source", base / "dist"
    shutil.copytree(ROOT, source, ignore=_ignored)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
         env=_clean_env(base))
    shutil.rmtree(source)
    (wheel,) = out.glob("voice_skill-*.whl")
    return wheel


@pytest.fixture(scope="module", name="user")
def user_fixture(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A home folder and a working folder outside the repository."""
    base = tmp_path_factory.mktemp("user")
    (base / "home").mkdir()
    (base / "work").mkdir()
    return {"home": base / "home", "work": base / "work"}


@pytest.fixture(scope="module", name="venv")
def venv_fixture(wheel: Path, user: dict[str, Path],
                 tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel and its dependencies from the index."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    env = _clean_env(user["home"])
    _run([sys.executable, "-m", "venv", str(venv)], env=env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], env=env)
    return venv


def run_installed(venv: Path, user: dict[str, Path],
                  *argv: str) -> subprocess.CompletedProcess[str]:
    return _run([str(venv / "bin" / "voice-skill"), *argv], cwd=user["work"],
                env=_clean_env(user["home"]))


def test_the_package_imports_from_the_environment_not_the_checkout(venv, user) -> None:
    code = "import voice_skill, voice_skill.paths as p; print(voice_skill.__file__, p.checkout())"
    result = _run([str(venv / "bin" / "python"), "-c", code], cwd=user["work"],
                  env=_clean_env(user["home"]))
    location, checkout = result.stdout.split()
    assert Path(location).is_relative_to(venv)
    assert checkout == "None"


def test_ask_answers_from_the_shipped_dialogs(venv, user) -> None:
    result = run_installed(venv, user, "ask", "--json", "why is my calf twitching",
                           "I suddenly can't control my bladder")
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["intent"] for a in answers][0] == "twitch_causes"
    assert [a["escalation"] for a in answers] == ["none", "emergency"]


def test_check_dialogs_validates_the_dialogs_inside_the_package(venv, user) -> None:
    result = run_installed(venv, user, "check-dialogs")
    folder, _, verdict = result.stdout.strip().partition(": ")
    assert Path(folder).is_relative_to(venv) and Path(folder).name == "dialogs"
    assert verdict.endswith(": ok")


def test_models_live_in_the_users_data_folder(venv, user) -> None:
    result = run_installed(venv, user, "models", "path")
    assert result.stdout.strip() == str(user["home"] / ".local/share/voice-skill/models")
    assert "per-user data folder" in result.stderr


def test_reply_turns_a_spoken_question_into_a_spoken_answer(venv, user) -> None:
    question = write_wav(user["work"] / "question.wav", synthesize("why is my calf twitching"))
    answer = user["work"] / "answer.wav"
    result = run_installed(venv, user, "reply", str(question), "--out", str(answer))
    assert "you> why is my calf twitching" in result.stdout
    assert "fasciculation" in result.stdout  # the twitch_causes answer
    # Recognised by the engine that needs no download, with the model folder of this user.
    assert "listening with pocketsphinx" in result.stderr
    assert str(user["home"] / ".local/share/voice-skill/models") in result.stderr
    # The speech worker (python -m voice_skill.tts.worker) ran from the installed package.
    with wave.open(str(answer), "rb") as spoken:
        seconds = spoken.getnframes() / spoken.getframerate()
        samples = spoken.readframes(spoken.getnframes())
    assert seconds > 5  # the answer is four sentences
    assert max(samples[1::2]) > 0  # not silence


@pytest.mark.skipif(shutil.which("pipx") is None,
                    reason="pipx is not installed (Debian package pipx; scripts/setup.sh test)")
def test_pipx_installs_the_wheel(wheel: Path, user: dict[str, Path],
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("pipx")
    env = {**_clean_env(user["home"]), "PIPX_HOME": str(base / "home"),
           "PIPX_BIN_DIR": str(base / "bin")}
    _run(["pipx", "install", str(wheel)], env=env, cwd=user["work"])
    result = _run([str(base / "bin" / "voice-skill"), "ask", "--json",
                   "why is my calf twitching"], env=env, cwd=user["work"])
    assert json.loads(result.stdout)["intent"] == "twitch_causes"


def test_every_package_of_the_checkout_ships_in_the_wheel() -> None:
    """pyproject.toml lists the packages by hand (dialogs/ is mapped into the package), so a
    new subpackage left off the list would be missing from every install."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "voice_skill").rglob("__init__.py")}
    assert found <= listed, f"not in pyproject.toml's packages: {sorted(found - listed)}"
