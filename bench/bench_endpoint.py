"""Endpointing and conversion costs, and how long the endpoint takes to fire. Prints numbers.

    .venv/bin/python bench/bench_endpoint.py

Speech is made with espeak-ng and noise with sox at run time, as in the tests.
"""

from __future__ import annotations

import subprocess
import time

import numpy as np

from voice_skill.audio.endpoint import Endpointer, Utterance
from voice_skill.audio.pcm import SAMPLE_RATE, Resampler
from voice_skill.settings import AudioSettings

RAW = ["-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]
SENTENCES = ("My calf muscle keeps twitching at night.", "Should I see a doctor about it?")


def speak(text: str) -> np.ndarray:
    """espeak-ng speech as 16 kHz float samples."""
    wav = subprocess.run(["espeak-ng", "--stdout", text], capture_output=True, check=True).stdout
    raw = subprocess.run(["sox", "-t", "wav", "-", *RAW, "-"], input=wav, capture_output=True,
                         check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64)


def noise(colour: str, count: int) -> np.ndarray:
    """count samples of sox's repeatable noise of the given colour."""
    seconds = f"{count / SAMPLE_RATE + 0.1:.3f}"
    raw = subprocess.run(["sox", "-R", "-n", *RAW, "-", "synth", seconds, colour],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64)[:count]


def to_pcm(signal: np.ndarray) -> bytes:
    return np.clip(np.rint(signal), -32768, 32767).astype("<i2").tobytes()


def quiet(seconds: float) -> np.ndarray:
    """Digital silence at 16 kHz."""
    return np.zeros(int(SAMPLE_RATE * seconds))


def two_sentences(gap: float = 1.5) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """1 s silence, sentence, gap, sentence, 1 s silence; and where the speech really is."""
    first, second = (speak(text) for text in SENTENCES)
    signal = np.concatenate([quiet(1.0), first, quiet(gap), second, quiet(1.0)])
    spans, offset = [], 1.0
    for part, after in ((first, gap), (second, 1.0)):
        loud = np.flatnonzero(np.abs(part) > 300)
        spans.append((offset + loud[0] / SAMPLE_RATE, offset + (loud[-1] + 1) / SAMPLE_RATE))
        offset += len(part) / SAMPLE_RATE + after
    return signal, spans


def with_noise(signal: np.ndarray, colour: str, snr_db: float) -> np.ndarray:
    """Add noise so that (mean power of speech samples) / (noise power) is snr_db."""
    speech = signal[np.abs(signal) > 0]
    added = noise(colour, len(signal))
    gain = np.sqrt(np.mean(speech**2) / (np.mean(added**2) * 10 ** (snr_db / 10)))
    return signal + gain * added


def cpu_per_audio_second(pcm: bytes, chunk: int = 3200) -> float:
    """Endpointer CPU time per second of audio (milliseconds)."""
    endpointer = Endpointer()
    start = time.process_time()
    for i in range(0, len(pcm), chunk):
        endpointer.feed(pcm[i : i + chunk])
    endpointer.finish()
    return (time.process_time() - start) * 1000 / (len(pcm) / 2 / SAMPLE_RATE)


def firing_latency(pcm: bytes, speech_end: float, hook_after: float | None,
                   settings: AudioSettings) -> float:
    """Audio seconds from the last speech sample until the Utterance is emitted."""
    endpointer, frame = Endpointer(settings), 320
    for i in range(0, len(pcm), 2 * frame):
        now = (i + 2 * frame) / 2 / SAMPLE_RATE
        complete = hook_after is not None and now >= speech_end + hook_after
        if any(isinstance(e, Utterance) for e in endpointer.feed(pcm[i : i + 2 * frame], complete)):
            return now - speech_end
    return float("nan")


def report_cost(signal: np.ndarray) -> None:
    pcm = to_pcm(np.tile(signal, 10))
    runs = [cpu_per_audio_second(pcm) for _ in range(3)]
    print(f"endpointer CPU per second of audio: {min(runs):.3f} ms "
          f"(best of 3 over {len(pcm) / 2 / SAMPLE_RATE:.0f} s, 0.1 s chunks)")
    for rate in (8000, 22050, 44100, 48000):
        block = np.random.default_rng(0).standard_normal(rate * 30).astype(np.float32) * 0.1
        resampler, start = Resampler(rate, SAMPLE_RATE), time.process_time()
        for i in range(0, len(block), rate // 10):
            resampler.process(block[i : i + rate // 10])
        print(f"resampling {rate} Hz -> 16 kHz: "
              f"{(time.process_time() - start) * 1000 / 30:.2f} ms CPU per second of audio")


def report_latency(signal: np.ndarray, spans: list[tuple[float, float]]) -> None:
    speech_end = spans[0][1]
    pcm = to_pcm(signal)
    print("\nlatency from the last speech sample to the endpoint (audio seconds):")
    for label, hook in (("trailing_silence 0.6 s", None), ("early-end hook 0.05 s after", 0.05)):
        for noisy in (False, True):
            data = to_pcm(with_noise(signal, "pinknoise", 10)) if noisy else pcm
            latency = firing_latency(data, speech_end, hook, AudioSettings(trailing_silence=0.6))
            print(f"  {label:30s} {'10 dB pink noise' if noisy else 'clean':16s} {latency:.3f}")


def report_detection(signal: np.ndarray, spans: list[tuple[float, float]]) -> None:
    print("\nsentences found (of 2) by noise colour and SNR; start error of the first (s):")
    for colour in ("pinknoise", "whitenoise", "brownnoise"):
        cells = []
        for snr in (20, 10, 5, 0):
            pcm = to_pcm(with_noise(signal, colour, snr))
            endpointer = Endpointer()
            events = endpointer.feed(pcm) + endpointer.finish()
            heard = [e for e in events if isinstance(e, Utterance)]
            hits = sum(any(u.start <= on + 0.1 and u.end >= off - 0.3 for u in heard)
                       for on, off in spans)
            onset = f"{heard[0].start + AudioSettings().pre_roll - spans[0][0]:+.2f}" if heard else "-"
            cells.append(f"{snr:>3} dB: {hits}/2 ({len(heard)} utt, {onset})")
        print(f"  {colour:11s} " + "  ".join(cells))


def main() -> None:
    signal, spans = two_sentences()
    report_cost(signal)
    report_latency(signal, spans)
    report_detection(signal, spans)


if __name__ == "__main__":
    main()
