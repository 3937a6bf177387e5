"""Kiosk acoustic conditions, made with sox at test time: a room, a hall, a person further off,
other people talking, a fan, a cheap microphone, other vocal tracts and other speaking rates.

Each condition is a pure function from PCM to PCM (16 kHz mono s16le, tests/speech.py's
format), deterministic (sox -R and fixed seeds), so the same question in the same condition is
the same audio on every run. Every condition but clean and distance ends with its peak at
PEAK_DBFS: loud enough to be heard, never clipped, and the same level whatever the voice gave.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from speech import SAMPLE_RATE, SOX_RAW, run_tool, speech_power, synthesize, synthesize_flite

PEAK_DBFS = -3.0
"""Peak level the conditions end at (decibels below full scale): headroom, so no clipping."""

_NORMALISE = ("gain", "-n", str(PEAK_DBFS))


def _sox(pcm: bytes, *effects: str) -> bytes:
    """pcm through sox's effects chain; -R repeatable, -D no dither, so the output never varies."""
    return run_tool(["sox", "-R", "-D", *SOX_RAW, "-", *SOX_RAW, "-", *effects], stdin=pcm)


def _samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def _pcm(samples: np.ndarray) -> bytes:
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()


def _power(samples: np.ndarray) -> float:
    return float(np.mean(samples * samples)) if samples.size else 0.0


def _noise(colour: str, count: int, seed: int) -> np.ndarray:
    """count samples of sox's colour noise; the seed picks a different stretch of it."""
    seconds = (count + seed * SAMPLE_RATE) / SAMPLE_RATE + 0.01  # 10 ms spare for rounding
    raw = run_tool(["sox", "-R", "-n", *SOX_RAW, "-", "synth", f"{seconds:.3f}", colour])
    return _samples(raw)[seed * SAMPLE_RATE:][:count]


def _peak_normalised(samples: np.ndarray) -> bytes:
    """samples scaled to peak at PEAK_DBFS, as sox's gain -n does for the sox-only chains."""
    return _pcm(samples * (32767 * 10 ** (PEAK_DBFS / 20) / max(np.max(np.abs(samples)), 1.0)))


def _under(speech: np.ndarray, noise: np.ndarray, snr_db: float,
           span: slice = slice(None)) -> np.ndarray:
    """speech plus noise scaled so speech power (tests/speech.py's active-frame measure) over
    the noise's mean power within span is snr_db."""
    wanted = speech_power(_pcm(speech)) / 10 ** (snr_db / 10)
    return speech + noise * np.sqrt(wanted / _power(noise[span]))


def clean(pcm: bytes) -> bytes:
    """Someone close to the microphone in a quiet, dead room: the audio as synthesised."""
    return pcm


def small_room(pcm: bytes) -> bytes:
    """A small consulting room or a booth with hard walls: a short, dense reverberation
    (measured: a noise burst's sound falls 30 dB within 0.11 s of its end; large_hall 1.38 s)."""
    return _sox(pcm, "pad", "0", "0.5", "reverb", "50", "50", "20", *_NORMALISE)


def large_hall(pcm: bytes) -> bytes:
    """A kiosk in a station concourse or a hospital atrium: a long reverberant tail after every
    word, so each word is smeared over the next."""
    return _sox(pcm, "pad", "0", "2", "reverb", "95", "20", "100", "100", "20", *_NORMALISE)


DISTANCE_DB = 12.0
"""How much quieter speech is from one to two metres than at the microphone (decibels)."""
ROOM_FLOOR_SNR_DB = 18.0
"""The room's own noise (ventilation, the building) below the distant speech, both over the
near speech's frames (decibels)."""


def speech_frames(pcm: bytes, frame: int = 320, floor_db: float = -45.0) -> np.ndarray:
    """Which 20 ms frames carry speech: within floor_db of the loudest, the rule
    tests/speech.py's speech_power() averages over."""
    samples = _samples(pcm)
    powers = np.mean(samples[: samples.size // frame * frame].reshape(-1, frame) ** 2, axis=1)
    return powers >= powers.max(initial=0.0) * 10 ** (floor_db / 10)


def power_over(samples: np.ndarray, frames: np.ndarray, frame: int = 320) -> float:
    """Mean power of samples over the given 20 ms frames (a mask from speech_frames())."""
    framed = samples[: frames.size * frame].reshape(-1, frame)
    return _power(framed[frames[: framed.shape[0]]])


def distance(pcm: bytes) -> bytes:
    """Someone asking from a metre or two away in an ordinary room: quieter, with more of the
    room's reverberation (measured without the noise: 30 dB down 0.43 s after a noise burst)
    and its steady noise floor under the words. Not normalised: the level
    drop is the point. The drop is measured over the frames where the near speech is, since
    the reverberation and the noise fill the pauses with sound that is not the question."""
    near = _samples(pcm)
    frames = speech_frames(pcm)
    reverberant = _samples(_sox(pcm, "pad", "0", "0.6", "reverb", "70", "50", "70"))
    drop = power_over(near, frames) / max(power_over(reverberant, frames), 1.0)
    far = reverberant * np.sqrt(drop * 10 ** (-DISTANCE_DB / 10))
    room = _noise("pinknoise", far.size, seed=3)
    floor = power_over(far, frames) * 10 ** (-ROOM_FLOOR_SNR_DB / 10)
    return _pcm(far + room * np.sqrt(floor / _power(room)))


BABBLE_SNR_DB = 10.0
"""The question over the other voices around it (decibels)."""
BABBLE_LEAD = 1.0
"""Seconds the talk around goes on before the question starts, and after it ends."""
BABBLE_TALKERS = (
    ("en-gb-x-rp+f4", ("the train to the city leaves from platform four at half past nine",
                       "we will need to buy bread and milk on the way home tonight")),
    ("en-029+m2", ("did you see the football match on saturday afternoon",
                   "my sister is moving to a new flat near the river next month")),
    ("flite-kal16", ("the library closes early on sundays during the summer holidays",
                     "can you tell me where the lifts are on this floor")),
    ("en-us-nyc+f3", ("i think it is going to rain later so take an umbrella",
                      "the car park on the east side is full again today")),
)
"""Voices none of the question sets speak with, each saying its own everyday sentences with no
word of the skill's domain, so the babble is speech but never a question the skill answers."""


def _talk(voice: str, sentence: str) -> bytes:
    """sentence in a babble voice, with a short pause either side, as people leave."""
    if voice.startswith("flite-"):
        return synthesize_flite(sentence, voice.removeprefix("flite-"), pad=0.15)
    return synthesize(sentence, voice, pad=0.15)


@functools.cache
def _babble_tracks() -> tuple[np.ndarray, ...]:
    """Each talker's sentences back to back, at equal speech power; made once per process."""
    tracks = []
    for voice, sentences in BABBLE_TALKERS:
        track = _samples(b"".join(_talk(voice, sentence) for sentence in sentences))
        tracks.append(track / np.sqrt(speech_power(_pcm(track))))
    return tuple(tracks)


def babble_bed(count: int, seed: int) -> np.ndarray:
    """count samples of the talkers talking at once, each from its own point in its track."""
    bed, starts = np.zeros(count), np.random.default_rng(seed)
    for track in _babble_tracks():
        start = int(starts.integers(track.size))  # a different phase per talker and question
        bed += np.resize(np.roll(track, -start), count)  # np.resize repeats the track
    return bed


def babble(pcm: bytes) -> bytes:
    """A busy waiting room: several other people talking nearby, starting before the question
    and going on after it, 10 dB under the question over its span."""
    lead = int(BABBLE_LEAD * SAMPLE_RATE)
    question = _samples(pcm)
    speech = np.concatenate([np.zeros(lead), question, np.zeros(lead)])
    bed = babble_bed(speech.size, seed=zlib.crc32(pcm))
    mixed = _under(speech, bed, BABBLE_SNR_DB, slice(lead, lead + question.size))
    return _peak_normalised(mixed)


HUM_SNR_DB = 10.0
"""The question over the fan's rumble and the mains hum (decibels)."""


def hum(pcm: bytes) -> bytes:
    """A kiosk beside a ventilation fan, a fridge or traffic: low rumble (brown noise low-passed
    at 400 Hz) plus mains hum at 50 Hz and its 100 Hz harmonic, 10 dB under the question."""
    speech = _samples(pcm)
    rumble = _samples(_sox(_pcm(_noise("brownnoise", speech.size, seed=5)), "lowpass", "400"))
    seconds = np.arange(speech.size) / SAMPLE_RATE
    mains = np.sin(2 * np.pi * 50 * seconds) + 0.5 * np.sin(2 * np.pi * 100 * seconds + 1.0)
    noise = rumble / np.sqrt(_power(rumble)) + mains / np.sqrt(_power(mains))  # equal parts
    return _peak_normalised(_under(speech, noise, HUM_SNR_DB))


def telephone(pcm: bytes) -> bytes:
    """A cheap microphone or a telephone line: compressed, slightly driven into distortion, and
    only the 300-3400 Hz telephone band left (the filter comes last, so the distortion's
    harmonics are cut too, as the line would cut them)."""
    return _sox(pcm, "gain", "-n", "-6", "compand", "0.02,0.15", "6:-70,-60,-20", "-5", "-90",
                "0.1", "overdrive", "6", "sinc", "300-3400", *_NORMALISE)


PITCH_CENTS = 300
"""Pitch shift of the pitch conditions (cents; 300 is a minor third)."""


def pitch_up(pcm: bytes) -> bytes:
    """A higher voice, as from a shorter vocal tract (a child, many women): pitch up 300 cents,
    speaking rate unchanged."""
    return _sox(pcm, "pitch", str(PITCH_CENTS), *_NORMALISE)


def pitch_down(pcm: bytes) -> bytes:
    """A lower voice (a deep male voice): pitch down 300 cents, speaking rate unchanged."""
    return _sox(pcm, "pitch", str(-PITCH_CENTS), *_NORMALISE)


FAST = 1.25
"""Tempo of the fast condition (1.25 is a quarter faster: the whole audio lasts 1/1.25)."""
SLOW = 0.8
"""Tempo of the slow condition."""


def fast(pcm: bytes) -> bytes:
    """Someone in a hurry or anxious: a quarter faster, pitch unchanged (sox tempo -s, tuned
    for speech)."""
    return _sox(pcm, "tempo", "-s", str(FAST), *_NORMALISE)


def slow(pcm: bytes) -> bytes:
    """Someone speaking slowly and deliberately, as many older people do to a machine."""
    return _sox(pcm, "tempo", "-s", str(SLOW), *_NORMALISE)


@dataclass(frozen=True)
class Condition:
    """One acoustic situation a kiosk meets."""

    name: str
    """Short name for tables and file names."""
    describe: str
    """The situation in a few words."""
    apply: Callable[[bytes], bytes]
    """16 kHz mono s16le PCM in, the same format out."""


def _condition(apply: Callable[[bytes], bytes], describe: str) -> Condition:
    return Condition(apply.__name__.replace("_", "-"), describe, apply)


CONDITIONS = (
    _condition(clean, "as synthesised"),
    _condition(small_room, "small hard room, short reverb"),
    _condition(large_hall, "large hall, long reverb"),
    _condition(distance, "1-2 m away: -12 dB, reverb, room noise"),
    _condition(babble, "other people talking, 10 dB SNR"),
    _condition(hum, "fan rumble + 50/100 Hz hum, 10 dB SNR"),
    _condition(telephone, "cheap mic: 300-3400 Hz, compand, overdrive"),
    _condition(pitch_up, "pitch +300 cents"),
    _condition(pitch_down, "pitch -300 cents"),
    _condition(fast, "tempo 1.25"),
    _condition(slow, "tempo 0.8"),
)
"""Every condition, clean first."""
