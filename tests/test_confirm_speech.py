"""A red flag asked back on real synthetic speech: flite speaks, real pocketsphinx (the plain
model, as shipped) hears, the real Skill decides. The sentences were found by measurement
(bench/bench_confidence.py and eval_spoken.py --synth flite): ones whose red flag pocketsphinx
puts only in a next-best reading."""

from __future__ import annotations

import numpy as np
import pytest
from speech import add_noise, synthesize_flite
from test_session import RecordingVoice, chunks, settings_with

from voice_skill.asr.base import transcribe
from voice_skill.asr.sphinx import SphinxRecognizer
from voice_skill.content.loader import Content
from voice_skill.nlu.dialog import Conversation, Skill
from voice_skill.nlu.safety import assess
from voice_skill.voice.app import build_session
from voice_skill.voice.events import Answered
from voice_skill.voice.listener import respond_to_speech

CALM = (("vitamin d", "slt"), ("stretching", "awb"),
        ("i have an urge to move my legs", "awb"),
        ("why do my muscles twitch when i am nervous", "slt"))
"""Calm questions whose best reading pocketsphinx hears without a red flag but whose next-best
readings hold one ("vitamin d" -> "bye numb and he", "stretching" -> "spreading"), found by
speaking every shipped phrasing through flite (700, 9 such). Which of them do it shifts when the
content (and so the recogniser's language model) changes, so the test needs two of four."""
FLAGGED = "i suddenly can't move my leg at all"
"""flite rms: "i suddenly can to move my leg at all" best, the words as said next best."""


@pytest.fixture(scope="module")
def recognizer(content: Content) -> SphinxRecognizer:
    return SphinxRecognizer(content.recognition_phrases())


def test_a_red_flag_only_in_the_n_best_is_asked_and_a_spoken_no_answers(
        skill: Skill, content: Content, recognizer: SphinxRecognizer) -> None:
    no = transcribe(recognizer, synthesize_flite("no", "slt"))
    asked_about = []
    for sentence, voice in CALM:
        heard = transcribe(recognizer, synthesize_flite(sentence, voice))
        assert assess(heard.text, content.rules, True, content.cues).level == "none", heard
        asked = respond_to_speech(skill, Conversation(), heard)
        if asked.confirm is None:
            continue
        asked_about.append(sentence)
        assert asked.text.startswith("Did you mention "), asked.text
        assert any(asked.confirm.rule == rule.id for rule in content.rules)
        reply = respond_to_speech(skill, asked.state, no)
        if reply.asks == "safety_check":  # a twitching report: the session's one check first
            reply = respond_to_speech(skill, reply.state, no)
        assert reply.escalation == "none" and reply.answered.intent is not None, (sentence, reply)
    assert len(asked_about) >= 2, asked_about


def room(seconds: float) -> bytes:
    """A quiet room's noise (about -55 dBFS), so the endpointer hears each utterance end."""
    noise = np.random.default_rng(7).normal(0, 60, int(16000 * seconds))
    return noise.astype("<i2").tobytes()


def test_the_voice_session_asks_and_a_spoken_yes_escalates(
        skill: Skill, recognizer: SphinxRecognizer) -> None:
    """The session hears the question through the endpointer and the real recogniser, speaks
    the question, and takes the spoken yes that follows as the reply."""
    settings = settings_with()
    events: list = []
    voice = RecordingVoice()
    session = build_session(skill, recognizer, voice, settings, [events.append], live=False)
    session.begin()
    audio = (room(1) + add_noise(synthesize_flite(FLAGGED, "rms"), 30) + room(3)
             + add_noise(synthesize_flite("yes", "slt"), 30) + room(3))
    for chunk in chunks(audio):
        session.feed(chunk)
    session.finish()
    replies = [e.reply for e in events if isinstance(e, Answered)]
    assert replies[0].confirm is not None and replies[0].confirm.level == "emergency"
    assert [r.escalation for r in replies] == ["none", "emergency"]
    said = [text for text, _, _ in voice.said]
    assert said[1:] == ["Did you mention a leg that suddenly will not move?", replies[1].text]
