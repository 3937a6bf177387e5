"""The streaming listener: endpointer and pocketsphinx together over one audio stream.

Speech is synthesised by espeak-ng at test time and streamed in 100 ms chunks, as a
microphone delivers it.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from speech import add_noise, synthesize, synthesize_flite, write_wav

from voice_skill.asr.sphinx import SphinxRecognizer
from voice_skill.content.loader import load_content
from voice_skill.nlu.dialog import Skill
from voice_skill.settings import PROJECT_ROOT, AudioSettings, Settings
from voice_skill.voice.listener import (
    BYTES_PER_SECOND,
    StreamingListener,
    confident_question,
    heard_turns,
)

CHUNK = BYTES_PER_SECOND // 10


def silence(seconds: float) -> bytes:
    return b"\0\0" * int(16000 * seconds)


def chunks(pcm: bytes) -> list[bytes]:
    return [pcm[i:i + CHUNK] for i in range(0, len(pcm), CHUNK)]


@pytest.fixture(scope="module")
def skill() -> Skill:
    return Skill(load_content(PROJECT_ROOT / "dialogs"), Settings())


@pytest.fixture()
def recognizer(skill: Skill) -> SphinxRecognizer:
    return SphinxRecognizer(skill.content.recognition_phrases())


def test_two_questions_apart_are_two_turns(skill: Skill, recognizer: SphinxRecognizer) -> None:
    stream = (silence(1.0) + synthesize("what is sciatica") + silence(1.5)
              + synthesize("how do i stretch my calf") + silence(1.5))
    heard = list(heard_turns(chunks(stream), StreamingListener(recognizer, AudioSettings())))
    assert [h.transcript.text for h in heard] == ["what is sciatica", "how do i stretch my calf"]
    assert [skill.decide(h.transcript.text).intent for h in heard] == ["sciatica", "calm_calf"]


def test_silence_and_a_click_are_no_turn(recognizer: SphinxRecognizer) -> None:
    click = (b"\xff\x7f\x01\x80" * 40)  # 10 ms of full-scale square wave
    stream = silence(1.0) + click + silence(2.0)
    assert list(heard_turns(chunks(stream), StreamingListener(recognizer, AudioSettings()))) == []


def test_a_confident_question_ends_early(skill: Skill) -> None:
    # The first turn lets streaming pocketsphinx adapt to the voice, as in a session.
    warm_up = silence(1.0) + synthesize("what is sciatica") + silence(2.0)
    stream = warm_up + synthesize("how do i stretch my calf", pad=0.0) + silence(2.0)
    settings = AudioSettings(trailing_silence=1.2)

    def second_endpoint(early: bool) -> float:
        listener = StreamingListener(
            SphinxRecognizer(skill.content.recognition_phrases()), settings,
            confident_question(skill) if early else (lambda partial: False))
        turns = 0
        for number, chunk in enumerate(chunks(stream), start=1):
            heard = listener.feed(chunk)
            turns += heard is not None
            if heard is not None and turns == 2:
                assert heard.early == early
                assert skill.decide(heard.transcript.text).intent == "calm_calf"
                return number * CHUNK / BYTES_PER_SECOND
        raise AssertionError("no second endpoint")

    assert second_endpoint(early=True) < second_endpoint(early=False) - 0.5


def test_a_quiet_question_in_steady_noise_is_found_in_a_file_on_a_second_look(
        tmp_path: Path) -> None:
    """flite in white noise at 6 dB SNR: the live thresholds find no speech; the file retry's
    quieter ones find it. Noise alone still holds no speech."""
    from voice_skill.audio.endpoint import Endpointer, Utterance
    from voice_skill.voice.files import question_audio

    question = add_noise(synthesize_flite("i feel weak in my left foot", "slt"), 6.0,
                         "whitenoise", seed=1)
    live = Endpointer(AudioSettings())
    events = [*live.feed(question), *live.finish()]
    assert not any(isinstance(e, Utterance) for e in events)
    path = write_wav(tmp_path / "quiet.wav", question)
    found = question_audio(path, AudioSettings(), io.StringIO())
    assert 1.5 <= len(found) / BYTES_PER_SECOND <= len(question) / BYTES_PER_SECOND
    for colour in ("whitenoise", "pinknoise", "brownnoise"):
        noise = subprocess.run(["sox", "-R", "-n", "-t", "raw", "-r", "16000", "-e", "signed",
                                "-b", "16", "-c", "1", "-", "synth", "4", colour, "vol", "0.1"],
                               check=True, capture_output=True).stdout
        path = write_wav(tmp_path / f"{colour}.wav", noise)
        assert question_audio(path, AudioSettings(), io.StringIO()) == b"", colour
