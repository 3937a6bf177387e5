"""Audio input: WAV decoding, resampling, raw PCM streams, device choice and endpointing.

Every file is made at test time: espeak-ng speaks, sox writes the WAV variants, and sox's own
resampler is the independent reference our conversion is checked against.
"""

from __future__ import annotations

import io
import itertools
import math
import random
import struct
import subprocess
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from speech import add_noise, synthesize, write_wav

from voice_skill.audio import pcm
from voice_skill.audio.devices import DeviceInfo, choose_device
from voice_skill.audio.endpoint import Discarded, Endpointer, SpeechStarted, Utterance, utterances
from voice_skill.audio.pcm import ROLLOFF, SAMPLE_RATE, Resampler, filter_bank, to_mono16k
from voice_skill.audio.wav import iter_wav, read_raw_pcm, read_wav
from voice_skill.errors import AudioError, ConfigError
from voice_skill.settings import AudioSettings

SENTENCE = "My calf muscle keeps twitching at night."
QUESTION = "Should I see a doctor about it?"
_RAW16K = ["-t", "raw", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer"]


def sox(*args: str | Path) -> bytes:
    """Run sox; its stdout (sox warns about clipping on stderr, which is fine here)."""
    result = subprocess.run(["sox", *map(str, args)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def correlation(a: bytes, b: bytes) -> float:
    """Normalised correlation of two aligned signals over their common length."""
    x, y = samples(a), samples(b)
    n = min(len(x), len(y))
    return float(np.dot(x[:n], y[:n]) / (np.linalg.norm(x[:n]) * np.linalg.norm(y[:n])))


def silence(seconds: float) -> bytes:
    return bytes(2 * int(SAMPLE_RATE * seconds))


def speech_span(pcm: bytes, offset: float = 0.0) -> tuple[float, float]:
    """First and last clearly non-silent sample of clean speech (seconds, plus offset)."""
    loud = np.flatnonzero(np.abs(samples(pcm)) > 300)
    return offset + loud[0] / SAMPLE_RATE, offset + (loud[-1] + 1) / SAMPLE_RATE


def events_of(pcm: bytes, settings: AudioSettings | None = None, chunk: int = 3200) -> list:
    endpointer = Endpointer(settings)
    events = []
    for i in range(0, len(pcm), chunk):
        events += endpointer.feed(pcm[i : i + chunk])
    return events + endpointer.finish()


def found(pcm: bytes, settings: AudioSettings | None = None) -> list[Utterance]:
    return [e for e in events_of(pcm, settings) if isinstance(e, Utterance)]


@pytest.fixture(scope="module")
def espeak_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """espeak-ng's own output: 22.05 kHz mono 16-bit."""
    path = tmp_path_factory.mktemp("wav") / "espeak.wav"
    subprocess.run(["espeak-ng", "-w", str(path), SENTENCE], check=True)
    return path


@pytest.fixture(scope="module")
def sentence() -> bytes:
    return synthesize(SENTENCE, pad=0.0)


@pytest.fixture(scope="module")
def question() -> bytes:
    return synthesize(QUESTION, pad=0.0)


def assert_names_file(error: pytest.ExceptionInfo[AudioError], path: Path) -> None:
    message = str(error.value)
    assert str(path) in message and "\n" not in message, message


# --- WAV variants: each is checked against sox's conversion of the same file ---------------

VARIANTS = {
    "stereo-44.1k": ["-r", "44100", "-c", "2"],
    "8-bit": ["-b", "8"],
    "24-bit": ["-b", "24"],
    "32-bit": ["-b", "32"],
    "float-32": ["-e", "floating-point", "-b", "32"],
    "float-64": ["-e", "floating-point", "-b", "64"],
    "8k": ["-r", "8000"],
    "48k": ["-r", "48000"],
    "11.025k-stereo-24-bit": ["-r", "11025", "-c", "2", "-b", "24"],
    "mu-law": ["-e", "u-law"],
    "A-law-8k": ["-r", "8000", "-e", "a-law"],
}


@pytest.mark.parametrize("options", VARIANTS.values(), ids=VARIANTS.keys())
def test_wav_variant_matches_sox_conversion(espeak_wav: Path, tmp_path: Path,
                                            options: list[str]) -> None:
    path = tmp_path / "variant.wav"
    sox(espeak_wav, *options, path)
    reference = sox(path, *_RAW16K, "-")
    pcm = read_wav(path)
    assert abs(len(pcm) - len(reference)) <= 4  # sox rounds the length, we round up
    assert correlation(pcm, reference) > 0.99
    assert 0.9 < np.std(samples(pcm)) / np.std(samples(reference)) < 1.1


def test_stereo_channels_are_averaged(tmp_path: Path) -> None:
    # Left: a 440 Hz tone; right: silence. Mono must be the tone at half amplitude.
    path = tmp_path / "stereo.wav"
    sox("-n", "-r", "16000", "-b", "16", "-c", "2", path, "synth", "1", "sine", "440",
        "remix", "1", "0")
    mono = samples(read_wav(path))
    assert abs(mono.max() / 32768 - 0.5) < 0.02


def test_16k_mono_s16_passes_through_unchanged(sentence: bytes, tmp_path: Path) -> None:
    assert read_wav(write_wav(tmp_path / "same.wav", sentence)) == sentence


def test_clipped_audio_clips_instead_of_wrapping(espeak_wav: Path, tmp_path: Path) -> None:
    path = tmp_path / "clipped.wav"
    sox(espeak_wav, "-r", "44100", path, "gain", "30")  # far past full scale: sox clips
    pcm = read_wav(path)
    reference = sox(path, *_RAW16K, "-")
    values = samples(pcm)
    # The resampler overshoots square-ish peaks; wrap-around would flip them to the other rail.
    assert values.max() == 32767 and values.min() == -32768
    assert correlation(pcm, reference) > 0.98
    assert len(found(silence(0.6) + pcm + silence(1.0))) == 1


def test_short_wav_of_a_tenth_of_a_second(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    sox("-n", "-r", "44100", "-b", "16", path, "synth", "0.1", "sine", "440")
    assert len(read_wav(path)) == 2 * 1600
    assert found(read_wav(path)) == []  # too short to be speech


def test_pure_silence_holds_no_utterance(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    sox("-D", "-n", "-r", "48000", "-b", "16", "-c", "2", path, "trim", "0", "5")  # -D: no dither
    pcm = read_wav(path)
    assert len(pcm) == 2 * 5 * SAMPLE_RATE and not any(pcm)
    assert events_of(pcm) == []


def test_ten_minutes_stream_in_flat_memory(espeak_wav: Path, tmp_path: Path) -> None:
    # 120 times (speech padded to 5 s) = 10 minutes at 44.1 kHz, 53 MB on disk.
    path = tmp_path / "long.wav"
    sox(espeak_wav, "-r", "44100", path, "pad", "0.5", "3", "trim", "0", "5", "repeat", "119")
    assert path.stat().st_size > 50_000_000
    total = 0

    def counted() -> Iterator[bytes]:
        nonlocal total
        for chunk in iter_wav(path):
            total += len(chunk)
            yield chunk

    tracemalloc.start()
    try:
        count = sum(1 for _ in utterances(counted(), AudioSettings()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 120
    assert total == 2 * 600 * SAMPLE_RATE
    assert peak < 8_000_000, f"streaming held {peak} bytes at once"


# --- files that are not (usable) WAV -------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.wav"
    with pytest.raises(AudioError, match="no such file") as error:
        read_wav(path)
    assert_names_file(error, path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match="empty file") as error:
        read_wav(path)
    assert_names_file(error, path)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="folder") as error:
        read_wav(tmp_path)
    assert_names_file(error, tmp_path)


@pytest.mark.parametrize("keep", [6, 12, 20, 30, 40])
def test_truncated_header(espeak_wav: Path, tmp_path: Path, keep: int) -> None:
    path = tmp_path / "cut.wav"
    path.write_bytes(espeak_wav.read_bytes()[:keep])
    with pytest.raises(AudioError, match="truncated WAV header") as error:
        read_wav(path)
    assert_names_file(error, path)


def test_truncated_data_keeps_what_is_there(espeak_wav: Path, tmp_path: Path) -> None:
    # A recording cut short (the writer crashed) is still audio: its size field lies.
    data = espeak_wav.read_bytes()
    path = tmp_path / "cut-data.wav"
    path.write_bytes(data[: 44 + 22050 * 2 + 1])  # one second and half a sample
    assert len(read_wav(path)) == 2 * SAMPLE_RATE


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "random.wav"
    path.write_bytes(random.Random(7).randbytes(20_000))
    with pytest.raises(AudioError, match="not a WAV file") as error:
        read_wav(path)
    assert_names_file(error, path)


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_after_a_wav_signature(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "garbage.wav"
    body = random.Random(seed).randbytes(5_000)
    path.write_bytes(b"RIFF" + struct.pack("<I", 5_004) + b"WAVE" + body)
    try:
        pcm = read_wav(path)
    except AudioError as error:
        assert str(path) in str(error)
    else:
        assert len(pcm) % 2 == 0


def test_mutated_headers_give_pcm_or_a_clean_error(espeak_wav: Path, tmp_path: Path) -> None:
    # Bytes flipped in the headers of every WAV flavour: nothing but AudioError may escape.
    originals = []
    for options in (["-b", "16"], ["-b", "24", "-c", "2"], ["-e", "floating-point", "-b", "64"]):
        sox(espeak_wav, *options, tmp_path / "base.wav")
        originals.append((tmp_path / "base.wav").read_bytes()[:3000])
    rng, path, outcomes = random.Random(11), tmp_path / "mutant.wav", set()
    for _ in range(300):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(80)] = rng.randrange(256)
        path.write_bytes(data[: rng.choice([len(data), rng.randrange(100)])])
        try:
            read_wav(path)
            outcomes.add("pcm")
        except AudioError as error:
            assert str(path) in str(error) and "\n" not in str(error)
            outcomes.add("error")
    assert outcomes == {"pcm", "error"}


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("calf twitching: see a doctor if it lasts weeks\n")
    with pytest.raises(AudioError, match="not a WAV file") as error:
        read_wav(path)
    assert_names_file(error, path)


def test_mp3_header(tmp_path: Path) -> None:
    path = tmp_path / "song.wav"
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x21" + bytes(500))
    with pytest.raises(AudioError, match="MP3") as error:
        read_wav(path)
    assert_names_file(error, path)


@pytest.mark.parametrize(("encoding", "name"), [("ima-adpcm", "IMA ADPCM"),
                                              ("gsm-full-rate", "GSM 6.10")])
def test_compressed_wav_encoding_is_named(espeak_wav: Path, tmp_path: Path, encoding: str,
                                          name: str) -> None:
    path = tmp_path / "compressed.wav"
    sox(espeak_wav, "-e", encoding, path)
    with pytest.raises(AudioError, match=name) as error:
        read_wav(path)
    assert_names_file(error, path)


@pytest.mark.parametrize(("encoding", "table"), [("mu-law", pcm._mu_law_table),
                                                 ("a-law", pcm._a_law_table)])
def test_every_telephone_code_decodes_as_sox_decodes_it(tmp_path: Path, encoding: str,
                                                        table: object) -> None:
    codes = tmp_path / "codes.raw"
    codes.write_bytes(bytes(range(256)))
    reference = sox("-t", "raw", "-r", "8000", "-e", encoding, "-b", "8", "-c", "1", codes,
                    "-t", "raw", "-e", "signed", "-b", "16", "-")
    assert np.array_equal(np.frombuffer(reference, dtype="<i2"), table().astype(np.int16))


def test_wav_with_no_samples(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "nothing.wav", b"")
    with pytest.raises(AudioError, match="no audio") as error:
        read_wav(path)
    assert_names_file(error, path)


def test_placeholder_sizes_from_a_pipe_writer(tmp_path: Path) -> None:
    # espeak-ng cannot seek back on stdout, so its header claims ~2 GB of data.
    path = tmp_path / "stdout.wav"
    path.write_bytes(subprocess.run(["espeak-ng", "--stdout", SENTENCE], capture_output=True,
                                    check=True).stdout)
    assert struct.unpack("<I", path.read_bytes()[40:44])[0] > path.stat().st_size
    assert 2.0 < len(read_wav(path)) / 2 / SAMPLE_RATE < 3.0


def test_extra_chunks_and_odd_padding_are_skipped(sentence: bytes, tmp_path: Path) -> None:
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    odd = b"LIST" + struct.pack("<I", 5) + b"abcde" + b"\0"  # odd size, one pad byte
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + odd
    body += b"data" + struct.pack("<I", len(sentence)) + sentence
    path = tmp_path / "chunks.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert read_wav(path) == sentence


# --- resampling ----------------------------------------------------------------------------


def tone(freq: float, rate: int, seconds: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def level_db(signal: np.ndarray, freq: float, rate: int = SAMPLE_RATE) -> float:
    """Amplitude (dB re full scale) of the component at freq, windowed against leakage."""
    core = signal[len(signal) // 8 : -len(signal) // 8]
    window = np.hanning(len(core))
    spectrum = np.abs(np.fft.rfft(core * window)) / (window.sum() / 2)
    bin_ = round(freq * len(core) / rate)
    return 20 * math.log10(spectrum[bin_ - 2 : bin_ + 3].max() + 1e-12)


def resample_all(signal: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    resampler = Resampler(rate_in, rate_out)
    return np.concatenate([resampler.process(signal), resampler.flush()])


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000])
def test_speech_band_tone_keeps_its_level(rate: int) -> None:
    out = resample_all(tone(1000, rate), rate)
    assert len(out) == SAMPLE_RATE
    assert abs(level_db(out, 1000) - 20 * math.log10(0.5)) < 0.1


@pytest.mark.parametrize("freq,alias", [(9000, 7000), (12000, 4000), (20000, 4000)])
def test_tones_above_8khz_do_not_fold_back(freq: int, alias: int) -> None:
    signal = tone(freq, 48000)
    assert level_db(signal[::3], alias) > -10  # what plain decimation does: the tone folds back
    assert level_db(resample_all(signal, 48000), alias) < -80


def test_44k1_tone_above_8khz_does_not_fold_back() -> None:
    assert level_db(resample_all(tone(9000, 44100), 44100), 7000) < -80


def test_upsampling_8k_leaves_no_image() -> None:
    out = resample_all(tone(3000, 8000), 8000)
    assert level_db(out, 3000) > -6.1
    assert level_db(out, 5000) < -80  # the mirror image of 3 kHz around 4 kHz


def test_block_size_does_not_change_the_result() -> None:
    signal = np.random.default_rng(3).standard_normal(44100 * 2).astype(np.float32) * 0.1
    whole = resample_all(signal, 44100)
    resampler, pieces, i = Resampler(44100, SAMPLE_RATE), [], 0
    sizes = random.Random(4)
    while i < len(signal):
        step = sizes.randint(1, 3000)
        pieces.append(resampler.process(signal[i : i + step]))
        i += step
    pieces.append(resampler.flush())
    assert np.array_equal(np.concatenate(pieces), whole)
    assert len(whole) == math.ceil(len(signal) * SAMPLE_RATE / 44100)


def bessel_i0(x: float) -> float:
    """Modified Bessel function of order 0 by its power series (plenty of terms for x < 20)."""
    term, total, k = 1.0, 1.0, 0
    while term > 1e-12 * total:
        k += 1
        term *= (x / (2 * k)) ** 2
        total += term
    return total


def reference_resample(signal: list[float], rate_in: int, rate_out: int) -> list[float]:
    """Textbook windowed-sinc interpolation, one output sample at a time, in plain Python."""
    from voice_skill.audio.pcm import KAISER_BETA, ZERO_CROSSINGS

    cutoff = ROLLOFF * min(1.0, rate_out / rate_in)
    half = math.ceil(ZERO_CROSSINGS / cutoff)
    out = []
    for n in range(math.ceil(len(signal) * rate_out / rate_in)):
        centre = n * rate_in / rate_out
        weights = {}
        for i in range(math.floor(centre) - half + 1, math.floor(centre) + half + 1):
            d = centre - i
            x = d * cutoff
            sinc = 1.0 if x == 0 else math.sin(math.pi * x) / (math.pi * x)
            ratio = min(abs(d) / half, 1.0)
            window = bessel_i0(KAISER_BETA * math.sqrt(1 - ratio**2)) / bessel_i0(KAISER_BETA)
            weights[i] = cutoff * sinc * window
        total = sum(weights.values())
        out.append(sum(w * signal[i] for i, w in weights.items() if 0 <= i < len(signal)) / total)
    return out


@pytest.mark.parametrize("rate", [8000, 22050, 48000])
def test_fast_resampler_matches_plain_python_reference(rate: int) -> None:
    signal = np.random.default_rng(rate).standard_normal(rate // 20).astype(np.float32) * 0.2
    expected = reference_resample(signal.tolist(), rate, SAMPLE_RATE)
    assert np.allclose(resample_all(signal, rate), expected, atol=1e-5)


def test_filter_bank_rows_have_unity_gain() -> None:
    rows, half = filter_bank(160, 441)
    assert rows.shape == (160, 2 * half)
    assert np.allclose(rows.sum(axis=1), 1.0, atol=1e-5)


def test_to_mono16k_converts_a_buffer(espeak_wav: Path) -> None:
    raw = espeak_wav.read_bytes()[44:]  # espeak-ng writes the canonical 44-byte header
    pcm = to_mono16k(raw, 22050, 1, 2)
    assert pcm == read_wav(espeak_wav)


def test_float_nan_and_infinity_do_not_break_conversion() -> None:
    values = np.array([0.1, np.nan, np.inf, -np.inf, -0.1] * 400, dtype="<f4")
    pcm = to_mono16k(values.tobytes(), 8000, 1, 4, is_float=True)
    assert len(pcm) == 2 * 4000


# --- raw PCM streams -----------------------------------------------------------------------


def test_raw_pcm_chunks_are_whole_samples() -> None:
    chunks = list(read_raw_pcm(io.BytesIO(bytes(range(256)) * 40 + b"\x01"), chunk_seconds=0.01))
    assert all(len(c) % 2 == 0 for c in chunks)
    assert b"".join(chunks) == (bytes(range(256)) * 40)


def test_raw_pcm_from_a_real_pipe(espeak_wav: Path) -> None:
    with subprocess.Popen(["sox", str(espeak_wav), "-p", "pad", "0.8", "1"],
                          stdout=subprocess.PIPE) as padded, \
         subprocess.Popen(["sox", "-", *_RAW16K, "-"], stdin=padded.stdout,
                          stdout=subprocess.PIPE) as converter:
        assert converter.stdout is not None
        heard = list(utterances(read_raw_pcm(converter.stdout), AudioSettings()))
    assert len(heard) == 1


def test_text_stream_is_rejected() -> None:
    with pytest.raises(AudioError, match="binary stream"):
        list(read_raw_pcm(io.StringIO("hello")))  # type: ignore[arg-type]


# --- choosing a device ---------------------------------------------------------------------

DEVICES = [
    DeviceInfo(0, "HDA Intel PCH: ALC892 Analog (hw:0,0)", 2, 2, 44100.0),
    DeviceInfo(1, "HDMI 0 (hw:0,3)", 0, 8, 48000.0),
    DeviceInfo(2, "USB Headset: Audio (hw:1,0)", 1, 2, 48000.0),
    DeviceInfo(3, "pulse", 32, 32, 44100.0),
    DeviceInfo(4, "default", 32, 32, 44100.0),
]


@pytest.mark.parametrize("spec,index", [
    (None, 4), ("", 4), ("2", 2), ("usb", 2), ("USB HEADSET", 2), ("pulse", 3), (" alc892 ", 0),
])
def test_choose_input_device(spec: str | None, index: int) -> None:
    assert choose_device(spec, DEVICES, 4, "input").index == index


@pytest.mark.parametrize("spec,message", [
    ("1", "no input device number 1"),  # HDMI is output only
    ("9", "no input device number 9"),
    ("hw:", "matches several input devices"),
    ("bluetooth", "matches no input device"),
])
def test_choose_input_device_errors_list_the_choices(spec: str, message: str) -> None:
    with pytest.raises(AudioError, match=message) as error:
        choose_device(spec, DEVICES, 4, "input")
    assert "choices: " in str(error.value)


def test_no_input_device_at_all() -> None:
    with pytest.raises(AudioError, match="no audio input device"):
        choose_device(None, [DEVICES[1]], None, "input")


OUTPUTS = [
    DeviceInfo(0, "HDA Intel PCH: ALC1220 Analog (hw:0,0)", 2, 2, 44100.0),  # "1" in its name
    DeviceInfo(1, "HDMI 1 (hw:0,3)", 0, 8, 48000.0),
    DeviceInfo(2, "USB Mic (hw:2,0)", 1, 0, 48000.0),  # input only
    DeviceInfo(3, "default", 32, 32, 44100.0),
]


@pytest.mark.parametrize("spec,index", [
    ("1", 1),  # an index, although device 0's name contains "1" and is listed first
    (" 0 ", 0), (None, 3), ("hdmi", 1), ("ALC1220", 0), ("DEFAULT", 3),
])
def test_choose_output_device(spec: str | None, index: int) -> None:
    assert choose_device(spec, OUTPUTS, 3, "output").index == index


@pytest.mark.parametrize("spec,message", [
    ("2", "no output device number 2; choices: 0: HDA"),  # the USB mic cannot play
    ("mic", "'mic' matches no output device; choices: 0: HDA"),
    ("hw:0", "'hw:0' matches several output devices; choices: 0: HDA.*, 1: HDMI 1"),
])
def test_choose_output_device_errors_list_the_choices(spec: str, message: str) -> None:
    with pytest.raises(AudioError, match=message):
        choose_device(spec, OUTPUTS, 3, "output")


def test_no_default_output_device_takes_the_first_output() -> None:
    assert choose_device(None, OUTPUTS, None, "output").index == 0
    with pytest.raises(AudioError, match="^no audio output device found$"):
        choose_device(None, [OUTPUTS[2]], None, "output")


# --- endpointing on synthesised speech -----------------------------------------------------


def test_two_sentences_make_two_utterances(sentence: bytes, question: bytes) -> None:
    stream = silence(1.0) + sentence + silence(1.5) + question + silence(1.0)
    first, second = found(stream)
    gap_start = 1.0 + len(sentence) / 2 / SAMPLE_RATE
    for utterance, (on, off) in zip((first, second), (
        speech_span(sentence, 1.0), speech_span(question, gap_start + 1.5)
    ), strict=True):
        pre_roll = AudioSettings().pre_roll
        # The pre-roll is kept before the onset, so the first phoneme is never clipped.
        assert on - pre_roll - 0.05 <= utterance.start <= on - pre_roll + 0.05, \
            (utterance.start, on)
        assert off <= utterance.end <= off + pre_roll + 0.05, (utterance.end, off)
        begin = int(utterance.start * SAMPLE_RATE) * 2
        assert utterance.pcm == stream[begin : begin + len(utterance.pcm)]
        assert not utterance.truncated


def test_events_announce_speech_before_the_utterance(sentence: bytes) -> None:
    events = events_of(silence(1.0) + sentence + silence(1.0))
    assert [type(e) for e in events] == [SpeechStarted, Utterance]
    assert events[0].start == events[1].start


def test_chunk_size_does_not_matter(sentence: bytes, question: bytes) -> None:
    stream = silence(0.7) + sentence + silence(1.2) + question + silence(0.8)
    expected = found(stream)
    endpointer, odd_sizes, got, i = Endpointer(), random.Random(5), [], 0
    while i < len(stream):
        step = odd_sizes.randint(1, 5000)
        got += endpointer.feed(stream[i : i + step])
        i += step
    got += endpointer.finish()
    assert [e for e in got if isinstance(e, Utterance)] == expected


@pytest.mark.parametrize("seconds", [0.01, 0.05, 0.15])
def test_click_or_short_noise_burst_is_not_speech(seconds: float) -> None:
    burst = sox("-n", *_RAW16K, "-", "synth", str(seconds), "whitenoise", "vol", "0.5")
    events = events_of(silence(1.0) + burst + silence(1.0))
    assert not [e for e in events if isinstance(e, Utterance)]
    if seconds > 0.1:  # long enough to start, too short to keep
        assert [type(e) for e in events] == [SpeechStarted, Discarded]


@pytest.mark.parametrize("colour", ["pinknoise", "whitenoise", "brownnoise"])
def test_speech_in_noise_at_10db_snr_is_found(sentence: bytes, question: bytes,
                                              colour: str) -> None:
    clean = silence(1.0) + sentence + silence(1.5) + question + silence(1.0)
    first, second = found(add_noise(clean, snr_db=10, colour=colour))
    gap_start = 1.0 + len(sentence) / 2 / SAMPLE_RATE
    on1, off1 = speech_span(sentence, 1.0)
    on2, off2 = speech_span(question, gap_start + 1.5)
    assert first.start <= on1 + 0.1 and first.end >= off1 - 0.3
    assert second.start <= on2 + 0.1 and second.end >= off2 - 0.3
    assert first.end < on2 < second.start + 0.5


@pytest.mark.parametrize("colour", ["pinknoise", "whitenoise", "brownnoise"])
def test_steady_noise_alone_is_not_speech(colour: str) -> None:
    noise = sox("-R", "-n", *_RAW16K, "-", "synth", "10", colour, "vol", "0.1")
    assert events_of(noise) == []


def test_max_utterance_cuts_and_carries_on(sentence: bytes) -> None:
    settings = AudioSettings(max_utterance=1.0)
    stream = silence(1.0) + sentence + silence(1.0)
    pieces = found(stream, settings)
    on, off = speech_span(sentence, 1.0)
    assert len(pieces) >= 2
    assert all(p.truncated and math.isclose(p.duration, 1.0) for p in pieces[:-1])
    for before, after in itertools.pairwise(pieces):
        assert math.isclose(before.end, after.start, abs_tol=1e-9)  # nothing lost at a cut
    assert pieces[0].start <= on and pieces[-1].end >= off
    begin = round(pieces[0].start * SAMPLE_RATE) * 2
    joined = b"".join(p.pcm for p in pieces)
    assert joined == stream[begin : begin + len(joined)]


def test_speech_from_the_first_sample_survives_calibration(sentence: bytes) -> None:
    (utterance,) = found(sentence + silence(1.0))
    assert utterance.start == 0.0
    assert speech_span(sentence)[1] <= utterance.end


def test_floor_follows_a_new_steady_noise(sentence: bytes) -> None:
    # A fan starts: at most one cut-off stretch of "speech", then the floor has caught up
    # and the speaker is still heard above the fan.
    fan = add_noise(silence(12.0) + sentence + silence(1.0), snr_db=10)
    quiet_then_fan = silence(1.0) + fan
    settings = AudioSettings(max_utterance=4.0)
    heard = found(quiet_then_fan, settings)
    on, _ = speech_span(sentence, 13.0)
    assert len([u for u in heard if u.end < on]) <= 1
    assert any(u.start <= on + 0.1 <= u.end for u in heard)


def latency_after_speech(pcm: bytes, off: float, hook_at: float | None) -> float:
    """Stream time from the end of speech until the Utterance is emitted (seconds)."""
    endpointer = Endpointer()
    frame = 320
    for i in range(0, len(pcm), frame):
        now = (i + frame) / 2 / SAMPLE_RATE
        complete = hook_at is not None and now >= hook_at
        if any(isinstance(e, Utterance) for e in endpointer.feed(pcm[i : i + frame], complete)):
            return now - off
    raise AssertionError("no utterance")


def test_early_end_hook_shortens_the_wait(sentence: bytes) -> None:
    stream = silence(1.0) + sentence + silence(2.0)
    _, off = speech_span(sentence, 1.0)
    normal = latency_after_speech(stream, off, hook_at=None)
    early = latency_after_speech(stream, off, hook_at=off + 0.05)
    assert 0.55 <= normal <= 0.8
    assert 0.2 <= early <= 0.4


def test_early_end_hook_during_speech_does_not_cut_it(sentence: bytes) -> None:
    stream = silence(1.0) + sentence + silence(2.0)
    endpointer, got = Endpointer(), []
    for i in range(0, len(stream), 320):
        got += endpointer.feed(stream[i : i + 320], phrase_complete=True)
    heard = [e for e in got + endpointer.finish() if isinstance(e, Utterance)]
    on, off = speech_span(sentence, 1.0)
    assert len(heard) == 1 and heard[0].start <= on and heard[0].end >= off


def test_a_judgement_between_chunks_ends_at_once_after_enough_quiet(sentence: bytes) -> None:
    endpointer = Endpointer()
    events = endpointer.feed(silence(1.0) + sentence + silence(0.1))  # 0.4 s of quiet
    assert not any(isinstance(e, Utterance) for e in events)
    assert endpointer.judge_complete(False) == []
    (ended,) = endpointer.judge_complete(True)
    assert isinstance(ended, Utterance) and ended.early


def test_a_withdrawn_judgement_waits_the_whole_trailing_silence(sentence: bytes) -> None:
    stream = silence(1.0) + sentence + silence(2.0)
    _, off = speech_span(sentence, 1.0)
    endpointer, fired = Endpointer(), None
    for i in range(0, len(stream), 320):
        now = (i + 320) / 2 / SAMPLE_RATE
        # Complete for the first 0.1 s of quiet, then withdrawn (the words went on changing).
        complete = off <= now < off + 0.1
        if any(isinstance(e, Utterance) for e in endpointer.feed(stream[i:i + 320], complete)):
            fired = now - off
            break
    assert fired is not None and fired >= AudioSettings().trailing_silence - 0.05


@pytest.mark.parametrize("field,value", [("trailing_silence", -1.0), ("calibration", 100.0),
                                          ("max_utterance", 0.1)])
def test_unusable_settings_are_config_errors(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=f"\\[audio\\] {field}: expected"):
        AudioSettings(**{field: value})  # type: ignore[arg-type]


def test_digital_silence_before_speech_does_not_hold_the_utterance_open() -> None:
    """Room noise, a synthesiser's zero padding, speech, room noise: the utterance ends after
    the trailing silence, not at max_utterance (the floor is not sunk by the zeros)."""
    import numpy as np

    from voice_skill.audio.endpoint import Endpointer, Utterance

    rng = np.random.default_rng(5)
    room = lambda seconds: rng.normal(0, 40, int(16000 * seconds)).astype("<i2").tobytes()  # noqa: E731
    t = np.arange(16000) / 16000
    speech = (6000 * np.sin(2 * np.pi * 800 * t)).astype("<i2").tobytes()
    pcm = room(1.0) + bytes(2 * 4800) + speech + room(3.0)
    endpointer = Endpointer()
    ended = [(at, event) for at in range(0, len(pcm), 3200)
             for event in endpointer.feed(pcm[at:at + 3200]) if isinstance(event, Utterance)]
    assert len(ended) == 1
    at, utterance = ended[0]
    assert not utterance.truncated
    assert at / 32000 < 1.3 + 1.0 + 1.0  # within a second of the speech's end at 2.3 s


OTHER_TALK = ("The bus was late again this morning so I walked the whole way into town.",
              "Did you see the match last night, the second half was unbelievable.",
              "I need to pick up some bread and milk on the way home from work.")


def _babble(seconds: float) -> np.ndarray:
    """Three other espeak-ng talkers, each saying the sentences above one after another."""
    samples = int(SAMPLE_RATE * seconds)
    mix = np.zeros(samples)
    for number, voice in enumerate(("en-us+m3", "en-gb+f3", "en-us+f4")):
        talk = np.concatenate([np.frombuffer(synthesize(OTHER_TALK[(number + i) % 3], voice,
                                                        150 + 10 * number, pad=0.2), "<i2")
                               for i in range(4)]).astype(np.float64)
        mix += np.resize(np.roll(talk, 7000 * number), samples)
    return mix


@pytest.mark.parametrize("relative_db,closes", [(12.0, True), (float("inf"), False)])
def test_other_people_talking_do_not_hold_the_question_open(relative_db: float,
                                                            closes: bool) -> None:
    """A question with babble 20 dB below it that goes on 5 s after it: the utterance closes
    soon after the question, because babble is far below the speaker's own level (and with
    that check off, it stays open while they talk, which is what it fixes)."""
    from dataclasses import replace

    from voice_skill.audio.endpoint import Thresholds

    question = np.frombuffer(synthesize("Why does my calf keep twitching at night?", pad=0.0),
                             "<i2").astype(np.float64)
    lead, tail = 2.0, 5.0
    signal = np.random.default_rng(3).normal(0, 3.0, int(SAMPLE_RATE * (lead + tail)) +
                                             len(question))
    start = int(SAMPLE_RATE * lead)
    signal[start:start + len(question)] += question
    babble = _babble(len(signal) / SAMPLE_RATE - 1.0)
    gain = np.sqrt(np.mean(question[np.abs(question) > 300] ** 2) /
                   np.mean(babble[np.abs(babble) > 300] ** 2) / 10 ** (20 / 10))
    signal[SAMPLE_RATE:] += gain * babble
    pcm_bytes = np.clip(signal, -32768, 32767).astype("<i2").tobytes()
    endpointer = Endpointer(AudioSettings(), replace(Thresholds(), speaker_relative_db=relative_db))
    ended = [(at + 3200, event) for at in range(0, len(pcm_bytes), 3200)
             for event in endpointer.feed(pcm_bytes[at:at + 3200]) if isinstance(event, Utterance)]
    question_end = lead + len(question) / SAMPLE_RATE
    first = next(((at / 32000, u) for at, u in ended if u.end > lead + 0.5), None)
    if closes:
        assert first is not None and first[1].start <= lead + 0.1
        assert first[1].end >= question_end - 0.3  # the whole question
        assert first[0] < question_end + 1.2  # trailing_silence 0.6 s and a little
    else:
        assert first is None or first[0] > question_end + 3.0
