"""What accent pronunciations and noise suppression buy pocketsphinx: prints numbers, asserts nothing.

    .venv/bin/python bench/bench_front.py [--part accents|noise|speed|all]

accents  key words heard in tests/speech.py UNSEEN_QUESTIONS (never used to build the LM),
         spoken by several espeak-ng voices, with the en-gb variants and without.
noise    the same questions (en-us) in pink, white and brown noise at 10 and 5 dB SNR, decoded
         whole and streamed, with suppression and without.
speed    language model build time with and without accents; suppression cost per second of
         audio, whole and streamed.
stages   real-time factor and CPU milliseconds per second of audio of each front-end stage
         (resampling 48 -> 16 kHz, endpointer, noise suppression whole and streamed, the
         pocketsphinx wake spotter) and of the decoder, on 60 s of held-out voices in the
         tests/rooms.py conditions (not run by "all": it takes minutes).

Measured 2026-12-02 (commit 5bdf9a7 + this part; 2-core VM, nothing else running; 16
utterances, 62.4 s, median of 3 runs; real-time factor = wall seconds per second of audio):

    stage                                        real-time factor  CPU ms per s
    resample 48 -> 16 kHz (50 ms chunks)                   0.0072           7.2
    endpointer (50 ms chunks)                              0.0041           4.1
    noise suppression, whole utterances                    0.0026           2.6
    noise suppression, streamed (50 ms)                    0.0100           9.9
    wake spotter, pocketsphinx 'hey computer'              0.0406          40.3
    decoder, whole utterances, no suppression              0.4060         405.2

The decoder costs about ten times the wake spotter and about nineteen times resampling, the
endpointer and streamed suppression together (21.2 ms per s).

Measured 2026-12-02 again after the warp search (commit 9a1921e and later; nothing else
running, this machine faster than in the run above: compare within a run):

    stage                                        real-time factor  CPU ms per s
    resample 48 -> 16 kHz (50 ms chunks)                   0.0031           3.1
    endpointer (50 ms chunks)                              0.0010           1.0
    noise suppression, whole utterances                    0.0009           0.9
    noise suppression, streamed (50 ms)                    0.0044           4.4
    wake spotter, pocketsphinx 'hey computer'              0.0205          20.5
    decoder, whole utterances, no suppression              0.1481         148.1
    decoder, streamed (50 ms), no suppression              0.1214         121.4
    decoder + warps, whole utterances                      0.4338         433.7
    decoder + warps, streamed (50 ms)                      0.1445         144.4

Streamed, the warps cost 19% more decoding (two more decoders for each utterance's first half
second); a whole utterance (files, the first one heard) 2.9 times.
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
sys.path.insert(0, str(ROOT / "bench"))
from speech import PHRASES, UNSEEN_QUESTIONS, add_noise, synthesize  # the test helper

from voice_skill.asr.base import transcribe
from voice_skill.asr.sphinx import SPEAKER_WARPS, SphinxRecognizer
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


STAGE_SECONDS = 60.0
"""Audio each stage is timed on (seconds)."""
CHUNK = 0.05
"""Chunk the live stages are fed in (seconds): the microphone's block (audio.devices)."""


def room_audio(seconds: float = STAGE_SECONDS) -> list[bytes]:
    """Questions spoken by held-out voices, each through the next tests/rooms.py condition in
    turn, until they last seconds: the utterances, 16 kHz."""
    import json

    from eval_spoken import SPEAKERS, speak
    from rooms import CONDITIONS

    questions = [json.loads(line)["text"] for line in
                 (ROOT.parent / "shared" / "eval" / "dev_questions.jsonl").read_text().splitlines()
                 if line.strip()]
    voices, clips, total = SPEAKERS["room"], [], 0.0
    for number, text in enumerate(questions):
        voice, rate, _ = voices[number % len(voices)]
        clip = CONDITIONS[number % len(CONDITIONS)].apply(speak(text, voice, rate))
        clips.append(clip)
        total += len(clip) / 32000
        if total >= seconds:
            return clips
    return clips


def _timed(action) -> tuple[float, float]:
    """(wall, CPU) seconds of one call: CPU is this process's, so threads count too."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def _chunks(pcm: bytes, seconds: float, bytes_per_second: int) -> list[bytes]:
    size = int(seconds * bytes_per_second) // 4 * 4
    return [pcm[i:i + size] for i in range(0, len(pcm), size)]


def stages() -> None:
    """Each stage over the same room-condition audio: real-time factor and CPU per second."""
    from speech import SOX_RAW, run_tool

    from voice_skill.asr.registry import open_wake_spotter
    from voice_skill.audio.endpoint import Endpointer
    from voice_skill.audio.pcm import PcmConverter, PcmFormat
    from voice_skill.content.loader import load_content
    from voice_skill.settings import Settings

    clips = room_audio()
    stream = b"".join(clips)
    seconds = len(stream) / 32000
    at_48k = run_tool(["sox", "-D", *SOX_RAW, "-", "-t", "raw", "-r", "48000", "-c", "1",
                       "-b", "16", "-e", "signed-integer", "-", "rate", "-v", "48000"],
                      stdin=stream)
    settings = Settings()
    phrases = load_content(settings.content.dialogs_dir).recognition_phrases()
    decoder = SphinxRecognizer(phrases, "mix", noise_suppression=False)
    warped = SphinxRecognizer(phrases, "mix", noise_suppression=False, warps=SPEAKER_WARPS)
    spotter = open_wake_spotter(settings, "pocketsphinx")

    def resample() -> None:
        converter = PcmConverter(PcmFormat(48000, 1, 2))
        for chunk in _chunks(at_48k, CHUNK, 96000):
            converter.convert(chunk)
        converter.flush()

    def endpoint() -> None:
        endpointer = Endpointer(settings.audio)
        for chunk in _chunks(stream, CHUNK, 32000):
            endpointer.feed(chunk)
        endpointer.finish()

    def suppress_streamed() -> None:
        suppressor = StreamingSuppressor()
        for chunk in _chunks(stream, CHUNK, 32000):
            suppressor.process(chunk)
        suppressor.flush()

    def spot() -> None:
        spotter.reset()
        for chunk in _chunks(stream, CHUNK, 32000):
            spotter.feed(chunk)

    rows = (("resample 48 -> 16 kHz (50 ms chunks)", resample),
            ("endpointer (50 ms chunks)", endpoint),
            ("noise suppression, whole utterances", lambda: [suppress_noise(c) for c in clips]),
            ("noise suppression, streamed (50 ms)", suppress_streamed),
            (f"wake spotter, pocketsphinx {settings.voice.wake_phrase!r}", spot),
            ("decoder, whole utterances, no suppression",
             lambda: [decoder.recognize_whole(c) for c in clips]),
            ("decoder, streamed (50 ms), no suppression",
             lambda: [_streamed(decoder, c) for c in clips]),
            ("decoder + warps, whole utterances",
             lambda: [warped.recognize_whole(c) for c in clips]),
            ("decoder + warps, streamed (50 ms)", lambda: [_streamed(warped, c) for c in clips]))
    print(f"stages: {len(clips)} utterances, {seconds:.1f} s of room-condition audio, "
          "median of 3 runs")
    print(f"{'stage':44} {'real-time factor':>16} {'CPU ms per s':>13}")
    for name, action in rows:
        runs = sorted((_timed(action) for _ in range(3)), key=lambda run: run[0])
        wall, cpu = runs[1]
        print(f"{name:44} {wall / seconds:16.4f} {cpu / seconds * 1000:13.1f}")


def _streamed(recognizer: SphinxRecognizer, clip: bytes) -> None:
    for chunk in _chunks(clip, CHUNK, 32000):
        recognizer.accept(chunk)
    recognizer.finish()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("accents", "noise", "speed", "stages", "all"),
                        default="all")
    args = parser.parse_args()
    for name, part in (("accents", accents), ("noise", noise), ("speed", speed)):
        if args.part in (name, "all"):
            part()
    if args.part == "stages":
        stages()


if __name__ == "__main__":
    main()
