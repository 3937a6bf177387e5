"""Each kiosk condition in tests/rooms.py changes the audio the way its docstring says,
measured on the audio it returns: decay times, spectra, fundamental frequency, duration, level
and signal-to-noise ratio."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rooms
from rooms import CONDITIONS, Condition
from speech import SAMPLE_RATE, speech_power, synthesize, synthesize_flite, write_wav

ROOT = Path(__file__).resolve().parent.parent
BY_NAME = {condition.name: condition for condition in CONDITIONS}
FRAME = 160
"""10 ms at 16 kHz: the frame of the decay and level measurements."""


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def pcm_of(values: np.ndarray) -> bytes:
    return np.round(values).astype("<i2").tobytes()


def frame_powers(values: np.ndarray) -> np.ndarray:
    return np.mean(values[: values.size // FRAME * FRAME].reshape(-1, FRAME) ** 2, axis=1)


def db(ratio: float) -> float:
    return 10 * np.log10(ratio)


@pytest.fixture(scope="module")
def question() -> bytes:
    return synthesize("why is my calf twitching and what should i do about it", "en-us")


# --- the set as a whole ------------------------------------------------------------------------


def test_the_eleven_conditions_are_named_apart_and_clean_comes_first() -> None:
    assert len(CONDITIONS) == 11 and CONDITIONS[0].name == "clean"
    assert len(BY_NAME) == len(CONDITIONS)
    assert all(isinstance(c, Condition) and c.describe and c.apply.__doc__ for c in CONDITIONS)


def test_clean_is_the_identity(question: bytes) -> None:
    assert BY_NAME["clean"].apply(question) == question


@pytest.mark.parametrize("condition", CONDITIONS[1:], ids=lambda c: c.name)
def test_each_condition_changes_the_audio_the_same_way_every_time_without_clipping(
        condition: Condition, question: bytes) -> None:
    once, again = condition.apply(question), condition.apply(question)
    assert once == again and once != question
    peak = np.max(np.abs(samples(once)))
    assert db(peak**2 / 32767**2) < -2.0, f"{condition.name} peaks at {peak:.0f}"


# --- reverberation -----------------------------------------------------------------------------


def decay_seconds(pcm: bytes, drop_db: float, start: int, end: int) -> float | None:
    """Seconds after sample end until the 10 ms power falls drop_db below its mean over
    [start, end) (a noise burst there); None if it never does (a noise floor)."""
    powers = frame_powers(samples(pcm))
    level = np.mean(powers[start // FRAME + 2 : end // FRAME])
    below = np.nonzero(powers[end // FRAME :] < level * 10 ** (-drop_db / 10))[0]
    return below[0] * FRAME / SAMPLE_RATE if below.size else None


@pytest.fixture(scope="module")
def burst() -> tuple[bytes, int, int]:
    """0.3 s of white noise between silences: the interrupted-noise way of measuring a room."""
    start, end = SAMPLE_RATE // 10, SAMPLE_RATE * 4 // 10
    values = np.zeros(SAMPLE_RATE * 3)
    values[start:end] = np.random.default_rng(1).normal(0, 3000, end - start)
    return pcm_of(values), start, end


def test_a_small_room_rings_briefly_and_a_hall_for_over_a_second(burst) -> None:
    pcm, start, end = burst
    assert decay_seconds(BY_NAME["clean"].apply(pcm), 30, start, end) == 0
    room = decay_seconds(BY_NAME["small-room"].apply(pcm), 30, start, end)
    hall = decay_seconds(BY_NAME["large-hall"].apply(pcm), 30, start, end)
    assert room is not None and 0.05 <= room <= 0.5, room
    assert hall is not None and hall >= 1.0 and hall >= 5 * room, (room, hall)


def test_the_reverb_tail_is_kept_not_cut_off(question: bytes) -> None:
    for name, seconds in (("small-room", 0.5), ("large-hall", 2.0)):
        longer = len(BY_NAME[name].apply(question)) - len(question)
        assert longer == seconds * SAMPLE_RATE * 2, name


def test_distance_is_twelve_db_quieter_reverberant_and_over_a_noise_floor(
        question: bytes, burst) -> None:
    far = samples(BY_NAME["distance"].apply(question))
    frames = rooms.speech_frames(question)
    drop = db(rooms.power_over(far, frames) / rooms.power_over(samples(question), frames))
    assert abs(drop + rooms.DISTANCE_DB) <= 1.5, drop
    floor = np.mean(far[: SAMPLE_RATE // 5] ** 2)  # the question's leading silence
    below = db(rooms.power_over(far, frames) / floor)
    assert abs(below - rooms.ROOM_FLOOR_SNR_DB) <= 1.5, below
    pcm, start, end = burst
    heard = samples(BY_NAME["distance"].apply(pcm))
    ringing = np.mean(heard[end + SAMPLE_RATE // 50 : end + SAMPLE_RATE // 10] ** 2)
    assert db(ringing / np.mean(heard[-SAMPLE_RATE // 4 :] ** 2)) > 3  # the room rings on
    assert decay_seconds(pcm_of(heard), 30, start, end) is None  # ... into the noise floor


# --- noise -------------------------------------------------------------------------------------


def snr_db(mixed: np.ndarray, speech: np.ndarray, span: slice) -> tuple[float, np.ndarray]:
    """SNR of mixed over span and the noise in it: the speech's gain in mixed found by
    projection (the noise is independent of it), the noise what is left."""
    gain = np.dot(mixed, speech) / np.dot(speech, speech)
    noise = mixed / gain - speech
    return db(speech_power(pcm_of(speech)) / np.mean(noise[span] ** 2)), noise


def test_hum_is_ten_db_under_the_question_and_all_low_frequency(question: bytes) -> None:
    speech = samples(question)
    ratio, noise = snr_db(samples(BY_NAME["hum"].apply(question)), speech, slice(None))
    assert abs(ratio - rooms.HUM_SNR_DB) <= 1.5, ratio
    spectrum = np.abs(np.fft.rfft(noise)) ** 2
    hertz = np.fft.rfftfreq(noise.size, 1 / SAMPLE_RATE)
    assert spectrum[hertz < 450].sum() / spectrum.sum() > 0.95
    for mains in (50, 100):  # a line well above the rumble's spectrum around it
        near = (hertz > mains - 10) & (hertz < mains + 10)
        assert spectrum[np.argmin(abs(hertz - mains))] > 10 * np.median(spectrum[near])


def test_babble_is_ten_db_under_and_talks_before_and_after_the_question(
        question: bytes) -> None:
    lead = int(rooms.BABBLE_LEAD * SAMPLE_RATE)
    mixed = samples(BY_NAME["babble"].apply(question))
    assert mixed.size == len(question) // 2 + 2 * lead
    speech = np.concatenate([np.zeros(lead), samples(question), np.zeros(lead)])
    during = slice(lead, mixed.size - lead)
    ratio, noise = snr_db(mixed, speech, during)
    assert abs(ratio - rooms.BABBLE_SNR_DB) <= 1.5, ratio
    for outside in (slice(0, lead), slice(mixed.size - lead, None)):
        assert abs(db(np.mean(noise[outside] ** 2) / np.mean(noise[during] ** 2))) < 6
    assert len({voice for voice, _ in rooms.BABBLE_TALKERS}) >= 3


def test_babble_differs_from_question_to_question() -> None:
    one = rooms.babble_bed(SAMPLE_RATE, seed=1)
    other = rooms.babble_bed(SAMPLE_RATE, seed=2)
    assert abs(np.corrcoef(one, other)[0, 1]) < 0.5


# --- the microphone ----------------------------------------------------------------------------


def band_db(pcm: bytes, low: float, high: float) -> float:
    """Energy between low and high hertz against the 300-3400 Hz band's (decibels)."""
    spectrum = np.abs(np.fft.rfft(samples(pcm))) ** 2
    hertz = np.fft.rfftfreq(len(pcm) // 2, 1 / SAMPLE_RATE)
    inside = spectrum[(hertz >= 300) & (hertz <= 3400)].sum()
    return db(spectrum[(hertz >= low) & (hertz < high)].sum() / inside)


def test_the_telephone_band_removes_what_is_below_300_hz_and_above_3400_hz(
        question: bytes) -> None:
    line = BY_NAME["telephone"].apply(question)
    for low, high in ((0, 200), (3500, 8000)):  # beyond the filter's transition bands
        assert band_db(question, low, high) > -20  # the voice has energy there ...
        assert band_db(line, low, high) < -35, (low, high)  # ... the line does not


# --- the voice ---------------------------------------------------------------------------------


def fundamental_hz(pcm: bytes, frame: int = 640) -> float:
    """Median f0 over voiced 40 ms frames, each the autocorrelation's strongest lag in
    60-400 Hz, kept when it holds over half the frame's energy (clearly periodic)."""
    values, found = samples(pcm), []
    lags = np.arange(SAMPLE_RATE // 400, SAMPLE_RATE // 60)
    for start in range(0, values.size - frame, frame // 2):
        window = values[start : start + frame] - values[start : start + frame].mean()
        correlation = np.correlate(window, window, "full")[frame - 1 :]
        lag = lags[np.argmax(correlation[lags])]
        if correlation[0] > 0 and correlation[lag] > 0.5 * correlation[0]:
            found.append(SAMPLE_RATE / lag)
    return float(np.median(found))


@pytest.mark.parametrize("voice", ["en-us", "flite-rms"])
def test_pitch_moves_the_fundamental_by_300_cents_and_tempo_leaves_it(voice: str) -> None:
    text = "why is my calf twitching and what should i do about it"
    pcm = synthesize_flite(text, "rms") if voice.startswith("flite") else synthesize(text, voice)
    base = fundamental_hz(pcm)
    for name, cents in (("pitch-up", 300), ("pitch-down", -300), ("fast", 0), ("slow", 0)):
        ratio = fundamental_hz(BY_NAME[name].apply(pcm)) / base
        assert abs(1200 * np.log2(ratio) - cents) < 50, (name, ratio)


def test_tempo_changes_the_duration_by_its_factor(question: bytes) -> None:
    for name, tempo in (("fast", rooms.FAST), ("slow", rooms.SLOW)):
        ratio = len(BY_NAME[name].apply(question)) / len(question)
        assert abs(ratio * tempo - 1) < 0.01, (name, ratio)
    for name in ("pitch-up", "pitch-down"):
        assert len(BY_NAME[name].apply(question)) == len(question)


# --- the skill still hears a clean question ----------------------------------------------------


@pytest.mark.slow
def test_pocketsphinx_through_ask_gets_a_clean_flite_question_right(tmp_path: Path) -> None:
    spoken = synthesize_flite("why does my calf keep twitching", "slt")
    wav = write_wav(tmp_path / "question.wav", BY_NAME["clean"].apply(spoken))
    done = subprocess.run([sys.executable, "-m", "voice_skill", "ask", "--json", "--engine",
                           "pocketsphinx", "--wav", str(wav)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["intent"], answer["escalation"]) == ("twitch_causes", "none"), answer
