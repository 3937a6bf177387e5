"""What accent pronunciations and noise suppression buy pocketsphinx: prints numbers, asserts nothing.

    .venv/bin/python bench/bench_front.py [--part accents|noise|speed|all]

accents  key words heard in tests/speech.py UNSEEN_QUESTIONS (never used to build the LM),
         spoken by several espeak-ng voices, with the en-gb variants and without.
noise    the same questions (en-us) in pink, white and brown noise at 10 and 5 dB SNR, decoded
         whole and streamed, with suppression and without.
speed    language model build time with and without accents; suppression cost per second of
         audio, whole and streamed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from speech import PHRASES, UNSEEN_QUESTIONS, add_noise, synthesize  # the test helper

from voice_skill.asr.base import transcribe
from voice_skill.asr.sphinx import SphinxRecognizer
from voice_skill.audio.denoise import StreamingSuppressor, suppress_noise

KEY_WORDS = sum(len(keys) for _, keys in UNSEEN_QUESTIONS)


def heard(recognizer: SphinxRecognizer, spoken: list[tuple[bytes, tuple[str, ...]]],
          whole: bool) -> int:
    """Key words found in the transcripts, utterances recognised in order."""
    total = 0
    for pcm, keys in spoken:
        text = recognizer.recognize_whole(pcm).text if whole else transcribe(recognizer, pcm).text
        total += len(set(keys) & set(text.split()))
    return total


def accents() -> None:
    print(f"accents: key words heard of {KEY_WORDS} ({len(UNSEEN_QUESTIONS)} unseen questions, "
          "160 wpm, decoded whole)")
    print(f"{'voice':16} {'en-gb variants':>15} {'American only':>14}")
    for voice in ("en-us", "en-us+f2", "en-gb", "en-gb+m3", "en-gb-scotland", "en-029"):
        spoken = [(synthesize(text, voice=voice), keys) for text, keys in UNSEEN_QUESTIONS]
        with_accent = heard(SphinxRecognizer(PHRASES, "mix"), spoken, whole=True)
        american = heard(SphinxRecognizer(PHRASES, "mix", accents=()), spoken, whole=True)
        print(f"{voice:16} {with_accent:15} {american:14}")


def noise() -> None:
    print(f"\nnoise: key words heard of {KEY_WORDS} (en-us, 160 wpm)")
    print(f"{'noise':18} {'whole on':>9} {'whole off':>10} {'stream on':>10} {'stream off':>11}")
    on = SphinxRecognizer(PHRASES, "mix")
    off = SphinxRecognizer(PHRASES, "mix", noise_suppression=False)
    for colour in ("pinknoise", "whitenoise", "brownnoise"):
        for snr in (10, 5):
            spoken = [(add_noise(synthesize(text, voice="en-us"), snr, colour), keys)
                      for text, keys in UNSEEN_QUESTIONS]
            row = [heard(r, spoken, whole) for whole in (True, False) for r in (on, off)]
            print(f"{colour + f' {snr} dB':18} {row[0]:9} {row[1]:10} {row[2]:10} {row[3]:11}")


def _median_seconds(action, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def speed() -> None:
    from voice_skill.content.loader import load_content
    from voice_skill.settings import Settings

    phrases = load_content(Settings().content.dialogs_dir).recognition_phrases()
    print(f"\nspeed ({len(phrases)} content phrases, median of 3-20 runs)")
    for accent in (("en-gb",), ()):
        seconds = _median_seconds(
            lambda accent=accent: SphinxRecognizer(phrases, "mix", accents=accent), 3)
        print(f"  mix LM load, accents {accent or 'none'}: {seconds:.2f} s")
    pcm = np.random.default_rng(0).normal(0.0, 500.0, 16000 * 4).astype("<i2").tobytes()
    whole = _median_seconds(lambda: suppress_noise(pcm), 20)
    print(f"  suppress_noise, 4 s utterance: {whole * 1000:.1f} ms ({whole / 4 * 1000:.2f} ms per s)")

    def stream() -> None:
        suppressor = StreamingSuppressor()
        for i in range(0, len(pcm), 3200):  # 100 ms chunks, as the microphone delivers
            suppressor.process(pcm[i:i + 3200])
        suppressor.flush()

    streamed = _median_seconds(stream, 20)
    print(f"  StreamingSuppressor, 4 s in 100 ms chunks: {streamed * 1000:.1f} ms "
          f"({streamed / 4 * 1000:.2f} ms per s of audio)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("accents", "noise", "speed", "all"), default="all")
    args = parser.parse_args()
    for name, part in (("accents", accents), ("noise", noise), ("speed", speed)):
        if args.part in (name, "all"):
            part()


if __name__ == "__main__":
    main()
