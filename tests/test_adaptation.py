"""Acoustic adaptation: CMU's real tools build an MLLR transform and a MAP-adapted model, which
pocketsphinx then loads."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pocketsphinx
import pytest
from speech import PHRASES, synthesize

from voice_skill.asr import adaptation
from voice_skill.asr.adaptation import (
    MAP_FILES,
    AdaptationUtterance,
    build_map,
    build_mllr,
    mixture_weights_from_sendump,
)
from voice_skill.asr.sphinx import SphinxRecognizer, sphinx_front_end
from voice_skill.errors import EngineError

MODEL_DIR = Path(pocketsphinx.get_model_path("en-us"))
SENDUMP = MODEL_DIR / "en-us" / "sendump"


def _read_mixture_weights(data: bytes) -> np.ndarray:
    header_end = data.index(b"endhdr\n") + len(b"endhdr\n")
    magic, senones, features, densities, count = struct.unpack_from("<I4i", data, header_end)
    assert magic == 0x11223344 and count == senones * features * densities
    body = np.frombuffer(data, dtype="<f4", offset=header_end + 20)
    assert body.size == count, "nothing after the weights (sphinxtrain checks for extra data)"
    return body.reshape(senones, features, densities)


def test_sendump_becomes_normalised_float_mixture_weights() -> None:
    weights = _read_mixture_weights(mixture_weights_from_sendump(SENDUMP.read_bytes()))
    assert weights.shape == (5126, 3, 128)  # en-us: 5126 senones, 3 streams, 128 codewords
    assert np.allclose(weights.sum(axis=2), 1.0, atol=1e-4)
    assert (weights > 0).all()


def test_converted_weights_keep_the_quantised_ratios() -> None:
    """Two stored values q1, q2 of one senone must come back in the ratio exp(-(q1-q2) * step)."""
    raw = SENDUMP.read_bytes()
    weights = _read_mixture_weights(mixture_weights_from_sendump(raw))
    quantised = np.frombuffer(raw[-3 * 128 * 5126:], dtype=np.uint8).reshape(3, 128, 5126)
    step = 1024 * math.log(1.0001)
    for senone, stream in [(0, 0), (2500, 1), (5125, 2)]:
        expected = np.exp(-(quantised[stream, :, senone].astype(float) -
                             float(quantised[stream, 0, senone])) * step)
        assert np.allclose(weights[senone, stream] / weights[senone, stream, 0], expected,
                           rtol=1e-4)


def test_a_clustered_or_truncated_sendump_is_an_engine_error() -> None:
    raw = SENDUMP.read_bytes()
    clustered = raw.replace(b"cluster_count 0", b"cluster_count 9")
    with pytest.raises(EngineError, match="clustered weights"):
        mixture_weights_from_sendump(clustered)
    with pytest.raises(EngineError, match="sendump file is damaged"):
        mixture_weights_from_sendump(raw[:200])
    with pytest.raises(EngineError, match="sendump file is damaged"):
        mixture_weights_from_sendump(raw[:-1000])  # the weights cut short


def _spoken(texts: list[str], voice: str) -> list[AdaptationUtterance]:
    return [AdaptationUtterance(sphinx_front_end(synthesize(t, voice=voice, rate=160)), t)
            for t in texts]


@pytest.mark.slow
def test_a_transform_built_from_speech_loads_and_recognises(tmp_path: Path) -> None:
    """sphinx_fe, bw and mllr_solve run for real on 20 espeak-ng utterances."""
    utterances = _spoken(list(PHRASES[:20]), "en-us+f3")
    unusable = AdaptationUtterance(utterances[0].pcm, "zzxq qqvv")  # no dictionary entry
    out = tmp_path / "speaker.mllr"
    used = build_mllr([*utterances, unusable], MODEL_DIR, out)
    assert used == 20
    lines = out.read_text().split("\n")
    assert lines[:3] == ["1", "3", "13"]  # one class, three streams of 13 coefficients
    recognizer = SphinxRecognizer(PHRASES, "mix", adaptations=(out,))
    transcript = recognizer.recognize_whole(synthesize("my calf is swollen and red",
                                                       voice="en-us+f3"))
    assert "swollen" in transcript.text.split(), transcript


@pytest.mark.slow
def test_a_map_adaptation_built_from_speech_loads_recognises_and_replaces_the_old(
        tmp_path: Path) -> None:
    """sphinx_fe, bw, map_adapt and mk_s2sendump run for real on 20 espeak-ng utterances."""
    out = tmp_path / "speaker"
    out.mkdir()
    (out / "means").write_bytes(b"an older, broken build")
    used = build_map(_spoken(list(PHRASES[:20]), "en-us+f3"), MODEL_DIR, out)
    assert used == 20
    assert sorted(p.name for p in out.iterdir()) == sorted(MAP_FILES)
    for file in out.iterdir():  # same shapes as the model's own files, new values
        own = (MODEL_DIR / "en-us" / file.name).read_bytes()
        assert len(file.read_bytes()) == len(own) and file.read_bytes() != own, file.name
    assert [p.name for p in tmp_path.iterdir()] == ["speaker"], "no staging folder left"
    recognizer = SphinxRecognizer(PHRASES, "mix", adaptations=(out,))
    assert "adapted to speaker" in recognizer.description
    transcript = recognizer.recognize_whole(synthesize("my calf is swollen and red",
                                                       voice="en-us+f3"))
    assert "swollen" in transcript.text.split(), transcript


def test_no_usable_utterance_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no adaptation utterance has words"):
        build_mllr([AdaptationUtterance(b"\0\0" * 1600, "zzxq")], MODEL_DIR, tmp_path / "x")


def test_missing_cmu_tools_say_what_to_install(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(adaptation, "SPHINXTRAIN", tmp_path)
    utterance = AdaptationUtterance(b"\0\0" * 1600, "my calf")
    with pytest.raises(EngineError, match="sphinx_fe is not installed; install Debian's "
                                          "sphinxtrain, sphinxbase-utils and pocketsphinx"):
        build_mllr([utterance], MODEL_DIR, tmp_path / "x")
    with pytest.raises(EngineError, match="sphinx_fe is not installed; install Debian's"):
        build_map([utterance], MODEL_DIR, tmp_path / "x")
    for tool in ("sphinx_fe", "bw", "pocketsphinx_mdef_convert"):
        (tmp_path / tool).write_text("#!/bin/sh\n")
        (tmp_path / tool).chmod(0o755)
    with pytest.raises(EngineError, match="map_adapt is not installed; install Debian's"):
        build_map([utterance], MODEL_DIR, tmp_path / "x")
    assert not (tmp_path / "x").exists()
