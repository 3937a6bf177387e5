"""Endpointing and conversion costs, and how long the endpoint takes to fire. Prints numbers.

    .venv/bin/python bench/bench_endpoint.py [--part cost|latency|detection|babble|human|all]

Speech is made with espeak-ng (and flite) and noise with sox at run time, as in the tests.

babble  development questions spoken by flite and espeak-ng voices, with four other espeak-ng
        talkers saying other sentences over them at 20, 15, 10 and 5 dB below the question,
        starting 1 s in and going on 6 s after it: how long after the question the utterance
        closes (it should be about trailing_silence) and whether the question was cut short.
        Each setting of Thresholds.speaker_relative_db (inf = off). Then the same questions
        through tests/rooms.py's babble condition (four talkers 10 dB under the question, from
        1 s before it to 1 s after) and clean: the seconds of audio a file question gives the
        recogniser before and after the question, and how many files lost any of the question,
        per speaker_relative_db.
human   the 13 human recordings of Debian's pocketsphinx-testdata (read sentences, spoken
        lists): how many utterances each becomes, per speaker_relative_db (more than one is a
        split at a pause, which on a read sentence is a question cut short), and how many files
        have words (placed by pocketsphinx's forced alignment to the reference text, or for the
        three without one, by its own decoding) that lost any audio, and the most one lost.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from voice_skill.audio.endpoint import Endpointer, Thresholds, Utterance
from voice_skill.audio.pcm import SAMPLE_RATE, Resampler
from voice_skill.settings import AudioSettings

RAW = ["-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]
SENTENCES = ("My calf muscle keeps twitching at night.", "Should I see a doctor about it?")


def speak(text: str) -> np.ndarray:
    """espeak-ng speech as 16 kHz float samples. sox -D: no dither, so the same text gives the
    same samples on every run (with dither, tests/rooms.py's babble, seeded by the question's
    samples, put its talkers at other points in 8 of 24 files from one run to the next)."""
    wav = subprocess.run(["espeak-ng", "--stdout", text], capture_output=True, check=True).stdout
    raw = subprocess.run(["sox", "-D", "-t", "wav", "-", *RAW, "-"], input=wav,
                         capture_output=True, check=True).stdout
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


DEV_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev_questions.jsonl"
OTHER_TALK = (
    "The bus was late again this morning so I walked the whole way into town.",
    "Did you see the match last night, the second half was unbelievable.",
    "I need to pick up some bread and milk on the way home from work.",
    "She said the appointment had been moved to Thursday afternoon at three.",
    "We are thinking of going to the seaside for a few days in August.",
    "My sister has just bought a new flat near the station.",
    "They have been doing roadworks outside the house for weeks now.",
    "Honestly the weather this year has been all over the place.",
)
BABBLE_VOICES = ("en-us+m3", "en-gb+f3", "en-us+f4", "en-gb+m5")
QUESTION_VOICES = ("flite-slt", "en-us", "flite-rms", "en-gb+m3", "flite-awb", "en-us+f2")
RELATIVE_SETTINGS = (float("inf"), 15.0, 12.0, 10.0, 8.0)
"""Settings of Thresholds.speaker_relative_db compared (inf: off; 12 is the default)."""


def speak_as(text: str, voice: str) -> np.ndarray:
    if not voice.startswith("flite-"):
        return speak(text) if voice == "en-us" else _espeak(text, voice)
    wav = subprocess.run(["flite", "-voice", voice.removeprefix("flite-"), "-t", text, "-o",
                          "/dev/stdout"], capture_output=True, check=True).stdout
    raw = subprocess.run(["sox", "-D", "-t", "wav", "-", *RAW, "-"], input=wav,
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64)


def _espeak(text: str, voice: str, rate: int = 160) -> np.ndarray:
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text],
                         capture_output=True, check=True).stdout
    raw = subprocess.run(["sox", "-D", "-t", "wav", "-", *RAW, "-"], input=wav,
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64)


def talker(number: int, samples: int, rng: np.random.Generator) -> np.ndarray:
    """One other person talking for samples, sentence after sentence with short pauses."""
    parts, total, sentence = [], 0, number
    while total < samples:
        said = _espeak(OTHER_TALK[sentence % len(OTHER_TALK)], BABBLE_VOICES[number],
                       150 + 10 * number)
        pause = np.zeros(int(rng.uniform(0.1, 0.5) * SAMPLE_RATE))
        parts += [said, pause]
        total, sentence = total + len(said) + len(pause), sentence + 3
    return np.roll(np.concatenate(parts), int(rng.uniform(0, 2) * SAMPLE_RATE))[:samples]


def active_power(signal: np.ndarray) -> float:
    """Mean power of the 20 ms frames within 45 dB of the loudest (speech, not pauses)."""
    frames = signal[: len(signal) // 320 * 320].reshape(-1, 320)
    power = (frames**2).mean(axis=1)
    return float(power[power >= power.max() * 10**-4.5].mean())


def in_babble(question: np.ndarray, snr_db: float | None, seed: int,
              lead: float = 2.0, tail: float = 6.0) -> tuple[np.ndarray, float, float]:
    """The question in a quiet room, babble over it at snr_db; and where the question is."""
    loud = np.flatnonzero(np.abs(question) > 300)
    onset, offset = lead + loud[0] / SAMPLE_RATE, lead + (loud[-1] + 1) / SAMPLE_RATE
    total = int((lead + tail) * SAMPLE_RATE) + len(question)
    rng = np.random.default_rng(seed)
    signal = rng.standard_normal(total) * 3.0  # a quiet room's hiss, about -80 dBFS
    signal[int(lead * SAMPLE_RATE) : int(lead * SAMPLE_RATE) + len(question)] += question
    if snr_db is not None:
        others = sum(talker(n, total - SAMPLE_RATE, rng) for n in range(len(BABBLE_VOICES)))
        babble = np.concatenate([np.zeros(SAMPLE_RATE), others])
        signal += babble * np.sqrt(active_power(question) / (active_power(babble) * 10 ** (snr_db / 10)))
    return signal, onset, offset


def endpoint(signal: np.ndarray, thresholds: Thresholds) -> list[tuple[Utterance, float]]:
    """Utterances of a signal fed in 0.1 s chunks, with the audio time each was emitted."""
    endpointer, pcm, out = Endpointer(AudioSettings(), thresholds), to_pcm(signal), []
    for i in range(0, len(pcm), 3200):
        out += [(e, (i + 3200) / 2 / SAMPLE_RATE) for e in endpointer.feed(pcm[i : i + 3200])
                if isinstance(e, Utterance)]
    return out + [(e, len(pcm) / 2 / SAMPLE_RATE) for e in endpointer.finish()
                  if isinstance(e, Utterance)]


def judge(heard: list[tuple[Utterance, float]], onset: float, offset: float) -> tuple[str, float]:
    """'ok', 'cut' (ends before the question does), 'max' (max_utterance) or 'lost'; and how
    long after the question's end the utterance was emitted."""
    for utterance, emitted in heard:
        if utterance.start <= onset + 0.1 and utterance.end >= onset:
            if utterance.end < offset - 0.3:
                return "cut", float("nan")
            return ("max" if utterance.truncated else "ok"), emitted - offset
    return "lost", float("nan")


def kept_spans(signal: np.ndarray, thresholds: Thresholds) -> list[tuple[float, float]]:
    """Where the audio a file question gives the recogniser comes from (seconds): every
    utterance, joined, as voice/files.py joins them."""
    return [(u.start, u.end) for u, _ in endpoint(signal, thresholds)]


def around(spans: list[tuple[float, float]], onset: float, offset: float
           ) -> tuple[float, float, float]:
    """Seconds kept before onset, kept after offset, and of [onset, offset] not kept."""
    before = sum(max(0.0, min(end, onset) - start) for start, end in spans)
    after = sum(max(0.0, end - max(start, offset)) for start, end in spans)
    inside = sum(max(0.0, min(end, offset) - max(start, onset)) for start, end in spans)
    return before, after, max(0.0, offset - onset - inside)


def room_scenes(spoken: list[np.ndarray]) -> dict[str, list[tuple[np.ndarray, float, float]]]:
    """Each question through tests/rooms.py's clean and babble conditions, and where it is in
    the result (the babble starts BABBLE_LEAD before it and goes on as long after)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import rooms

    scenes: dict[str, list[tuple[np.ndarray, float, float]]] = {"clean": [], "babble": []}
    for question in spoken:
        pcm = to_pcm(np.concatenate([quiet(0.3), question, quiet(0.3)]))  # as speech.py pads
        loud = np.flatnonzero(np.abs(question) > 300)
        onset, offset = 0.3 + loud[0] / SAMPLE_RATE, 0.3 + (loud[-1] + 1) / SAMPLE_RATE
        for name, lead in (("clean", 0.0), ("babble", rooms.BABBLE_LEAD)):
            mixed = getattr(rooms, name)(pcm)
            signal = np.frombuffer(mixed, dtype="<i2").astype(np.float64)
            scenes[name].append((signal, onset + lead, offset + lead))
    return scenes


def report_room_kept(spoken: list[np.ndarray]) -> None:
    scenes = room_scenes(spoken)
    print(f"\ntests/rooms.py conditions, {len(spoken)} questions: seconds kept before / after "
          "the question (median, max) and files that lost any of it (most lost, s)")
    for relative in RELATIVE_SETTINGS:
        thresholds = dataclasses.replace(Thresholds(), speaker_relative_db=relative)
        cells = []
        for name, scene in scenes.items():
            kept = np.array([around(kept_spans(signal, thresholds), on, off)
                             for signal, on, off in scene])
            before, after, lost = kept.T
            cells.append(f"{name}: before {np.median(before):.2f}/{before.max():.2f} after "
                         f"{np.median(after):.2f}/{after.max():.2f} lost {int(np.sum(lost > 0))}"
                         f" ({lost.max():.2f})")
        print(f"  relative {relative:>4g} dB  " + " | ".join(cells))


def report_babble(count: int = 24) -> None:
    questions = [json.loads(line)["text"] for line in DEV_QUESTIONS.read_text().splitlines()]
    spoken = [speak_as(questions[3 * n], QUESTION_VOICES[n % len(QUESTION_VOICES)])
              for n in range(count)]
    report_room_kept(spoken)
    print(f"\nbabble: {count} questions; closed after the question's end (median, max s), "
          "cut short, lost")
    scenes = {snr: [in_babble(q, snr, n) for n, q in enumerate(spoken)]
              for snr in (None, 20.0, 15.0, 10.0, 5.0)}
    for relative in RELATIVE_SETTINGS:
        thresholds = dataclasses.replace(Thresholds(), speaker_relative_db=relative)
        cells = []
        for snr, scene in scenes.items():
            verdicts = [judge(endpoint(signal, thresholds), on, off) for signal, on, off in scene]
            hangs = [h for kind, h in verdicts if kind != "cut" and h == h]
            cut = sum(kind == "cut" for kind, _ in verdicts)
            lost = sum(kind == "lost" for kind, _ in verdicts)
            cells.append(f"{'clean' if snr is None else f'{snr:g} dB'}: "
                         f"{np.median(hangs):.2f}/{max(hangs):.2f} cut {cut} lost {lost}")
        print(f"  relative {relative:>4g} dB  " + " | ".join(cells))


HUMAN = "/usr/share/pocketsphinx/test/data"


def transcripts() -> dict[str, str]:
    """pocketsphinx-testdata's reference texts by file name ("<s> text </s> (name)" lines)."""
    texts = {}
    for path in (f"{HUMAN}/librivox/transcription", f"{HUMAN}/cards/cards.transcription"):
        for line in Path(path).read_text().splitlines():
            if found := re.match(r"<s>(.*)</s>\s*\((.*)\)", line.strip()):
                texts[found[2]] = " ".join(found[1].split())
    return texts


def word_spans(signal: np.ndarray, text: str | None) -> list[tuple[float, float]]:
    """Where pocketsphinx puts each word of text in signal (seconds): forced alignment to the
    reference text, or for a file without one, its own decoding's words."""
    from pocketsphinx import Decoder

    decoder = Decoder(loglevel="FATAL")
    if text:
        decoder.set_align_text(text)
    decoder.start_utt()
    decoder.process_raw(to_pcm(signal), full_utt=True)
    decoder.end_utt()
    return [(s.start_frame / 100, (s.end_frame + 1) / 100) for s in decoder.seg()
            if not s.word.startswith(("<", "[")) and s.word != "</s>"]  # 10 ms frames


def human_recordings() -> list[tuple[np.ndarray, list[tuple[float, float]]]]:
    """Each recording between 1 s of quiet hiss, and where its words are in that."""
    paths = sorted(glob.glob(f"{HUMAN}/librivox/*.wav") + glob.glob(f"{HUMAN}/cards/*.wav"))
    named = []
    for path in paths:
        raw = subprocess.run(["sox", path, *RAW, "-"], capture_output=True, check=True).stdout
        named.append((Path(path).stem, np.frombuffer(raw, dtype="<i2").astype(np.float64)))
    for name in ("goforward", "numbers", "something"):
        named.append((name, np.fromfile(f"{HUMAN}/{name}.raw", dtype="<i2").astype(np.float64)))
    hiss, texts = np.random.default_rng(0).standard_normal(SAMPLE_RATE) * 3.0, transcripts()
    return [(np.concatenate([hiss, signal, hiss]),
             [(1.0 + on, 1.0 + off) for on, off in word_spans(signal, texts.get(name))])
            for name, signal in named]


def words_lost(spans: list[tuple[float, float]], words: list[tuple[float, float]]) -> float:
    """Seconds of the words outside every kept span."""
    inside = sum(max(0.0, min(end, off) - max(start, on)) for on, off in words
                 for start, end in spans)
    return sum(off - on for on, off in words) - inside


def report_human() -> None:
    recordings = human_recordings()
    print(f"\nhuman recordings ({len(recordings)}, pocketsphinx-testdata): utterances each; "
          "files whose words lost any audio (most lost, s)")
    for relative in RELATIVE_SETTINGS:
        thresholds = dataclasses.replace(Thresholds(), speaker_relative_db=relative)
        counts = [len(endpoint(signal, thresholds)) for signal, _ in recordings]
        lost = [words_lost(kept_spans(signal, thresholds), words) for signal, words in recordings]
        print(f"  relative {relative:>4g} dB  {counts}  ({sum(counts)} in all); words lost audio "
              f"in {sum(x > 0.005 for x in lost)} ({max(lost):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = ("cost", "latency", "detection", "babble", "human")
    parser.add_argument("--part", choices=(*parts, "all"), default="all")
    chosen = parts if parser.parse_args().part == "all" else (parser.parse_args().part,)
    signal, spans = two_sentences()
    if "cost" in chosen:
        report_cost(signal)
    if "latency" in chosen:
        report_latency(signal, spans)
    if "detection" in chosen:
        report_detection(signal, spans)
    if "babble" in chosen:
        report_babble()
    if "human" in chosen:
        report_human()


if __name__ == "__main__":
    main()
