"""The streaming listener: endpointer and pocketsphinx together over one audio stream.

Speech is synthesised by espeak-ng at test time and streamed in 100 ms chunks, as a
microphone delivers it.
"""

from __future__ import annotations

import io
import math
import subprocess
from pathlib import Path

import pytest
from speech import add_noise, synthesize, synthesize_flite, write_wav

from voice_skill.asr.base import Transcript, make_transcript
from voice_skill.asr.sphinx import SphinxRecognizer
from voice_skill.audio.endpoint import utterances
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
            for heard in listener.feed(chunk):
                turns += 1
                if turns < 2:
                    continue
                assert heard.early == early
                assert skill.decide(heard.transcript.text).intent == "calm_calf"
                return number * CHUNK / BYTES_PER_SECOND
        raise AssertionError("no second endpoint")

    assert second_endpoint(early=True) < second_endpoint(early=False) - 0.5


@pytest.mark.parametrize("chunk_seconds", [0.1, 0.05, 0.32])
@pytest.mark.parametrize("judge", ["skill", "any three words"])
def test_a_question_said_twice_is_heard_whole_both_times(skill: Skill, chunk_seconds: float,
                                                         judge: str) -> None:
    """The early end waits for the words to settle and the voice to stop: "why is my calf" is
    already a confident question (about the calf muscle), but "twitching" is still being said.
    The second judge calls every partial of three words complete, whatever the dialogs say.
    However the stream is cut into chunks, the listener goes by the stream's own time."""
    said = synthesize("why is my calf twitching")
    stream = silence(1.0) + said + silence(1.0) + said + silence(1.5)  # a pause of 1.6 s
    is_complete = (confident_question(skill) if judge == "skill"
                   else lambda partial: len(partial.split()) >= 3)
    listener = StreamingListener(SphinxRecognizer(skill.content.recognition_phrases()),
                                 AudioSettings(), is_complete)
    size = int(BYTES_PER_SECOND * chunk_seconds)
    heard = list(heard_turns((stream[i:i + size] for i in range(0, len(stream), size)),
                             listener))
    assert [skill.decide(h.transcript.text).intent for h in heard] == ["twitch_causes"] * 2, \
        [h.transcript.text for h in heard]
    assert "twitching" in heard[1].transcript.text
    assert heard[1].early  # the second, streamed, still ends early: after the last word


def test_one_chunk_can_end_an_utterance_and_start_the_next(
        skill: Skill, recognizer: SphinxRecognizer) -> None:
    """Every event of a chunk is handled: here one chunk holds both questions."""
    stream = (silence(1.0) + synthesize("what is sciatica") + silence(1.5)
              + synthesize("how do i stretch my calf") + silence(1.5))
    listener = StreamingListener(recognizer, AudioSettings())
    heard = listener.feed(stream)
    assert [h.transcript.text for h in heard] == ["what is sciatica", "how do i stretch my calf"]
    assert listener.finish() == []


class RecordingRecognizer:
    """A stand-in that keeps the audio of each utterance: what the listener hands a recogniser."""

    description = "recording"

    def __init__(self) -> None:
        self.current, self.utterances = b"", []

    def accept(self, pcm: bytes) -> str:
        self.current += pcm
        return ""

    def finish(self) -> Transcript:
        self.utterances.append(self.current)
        self.current = b""
        return make_transcript([], "recording")

    def reset(self) -> None:
        self.current = b""


@pytest.mark.parametrize("chunk_bytes", [320, 3200, 10_000, 1_000_000])
def test_the_recogniser_gets_each_utterances_audio_and_no_other(chunk_bytes: int) -> None:
    tone = b"".join(int(8000 * math.sin(i / 3)).to_bytes(2, "little", signed=True)
                    for i in range(16000))  # 1 s, loud
    stream = silence(1.0) + tone + silence(1.0) + tone[:12000] + silence(1.0)
    recognizer = RecordingRecognizer()
    listener = StreamingListener(recognizer, AudioSettings())
    got = [event for event in utterances(chunks_of(stream, chunk_bytes), AudioSettings())]
    heard = list(heard_turns(chunks_of(stream, chunk_bytes), listener))
    assert len(heard) == len(got) == 2
    for streamed, utterance in zip(recognizer.utterances, got, strict=True):
        # Each utterance from its pre-roll on; past its end, only the silence streamed while
        # the endpointer waited (never the next utterance's audio).
        assert streamed[:len(utterance.pcm)] == utterance.pcm
        assert not streamed[len(utterance.pcm):].strip(b"\0")


def chunks_of(pcm: bytes, size: int) -> list[bytes]:
    return [pcm[i:i + size] for i in range(0, len(pcm), size)]


def test_the_first_utterance_is_decoded_whole_the_rest_streamed(skill: Skill) -> None:
    calls: list[str] = []

    class Counting(SphinxRecognizer):
        def recognize_whole(self, pcm: bytes) -> Transcript:
            calls.append("whole")
            return super().recognize_whole(pcm)

        def finish(self) -> Transcript:
            calls.append("streamed")
            return super().finish()

    stream = (silence(1.0) + synthesize("what is sciatica") + silence(1.5)
              + synthesize("how do i stretch my calf") + silence(1.5))
    listener = StreamingListener(Counting(skill.content.recognition_phrases()), AudioSettings(),
                                 confident_question(skill))
    heard = list(heard_turns(chunks(stream), listener))
    assert [h.transcript.text for h in heard] == ["what is sciatica", "how do i stretch my calf"]
    assert calls == ["whole", "streamed"]


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
