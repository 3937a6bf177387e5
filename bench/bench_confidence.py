"""How sure pocketsphinx is of the red-flag words it hears: the measurement behind
SafetySettings.confirm_below (when a red flag heard is asked about before it escalates).

Speaks a labelled question set (eval_spoken's voice sets), recognises each file once, and keeps
every transcript (words with their posteriors, next-best readings, second opinions) in
bench/out/transcripts-SYNTH.jsonl. Then, for each red-flag finding of the best reading, the
lowest confidence among the words that fired it, split by whether the question really reports
a red flag (caught) or not (a false alarm): the table shows how many of each a threshold would
turn into a question; and per confidence band, how many words of the best readings are wrong.
With --reuse the saved transcripts are read instead of decoding again.

Usage: python bench/bench_confidence.py [SET.jsonl] [--synth flite|noise|espeak] [--reuse]
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from eval_spoken import build_audio_set

from voice_skill.asr.base import UNKNOWN, Transcript, Word
from voice_skill.config import resolve
from voice_skill.content.loader import load_content
from voice_skill.nlu.dialog import Skill
from voice_skill.nlu.doubt import hit_confidence
from voice_skill.nlu.normalize import normalize
from voice_skill.nlu.safety import assess

THRESHOLDS = (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


def decode(set_path: Path, skill: Skill, settings) -> list[dict]:
    """Each row of the audio set with the transcript pocketsphinx makes of its file."""
    from voice_skill.asr.models import models_dir
    from voice_skill.asr.registry import open_recognizer
    from voice_skill.voice.files import transcribe_file

    recognizer = open_recognizer(settings.asr, skill.content.recognition_phrases(), models_dir())
    print(recognizer.description, file=sys.stderr)
    rows = [json.loads(line) for line in set_path.read_text().splitlines() if line.strip()]
    for row in rows:
        transcript = transcribe_file(recognizer, set_path.parent / row["wav"], settings.audio,
                                     sys.stderr)
        row["transcript"] = {"text": transcript.text, "engine": transcript.engine,
                             "words": [[w.text, w.confidence, w.start, w.end]
                                       for w in transcript.words],
                             "alternatives": list(transcript.alternatives),
                             "second_opinions": list(transcript.second_opinions)}
    return rows


def transcript_of(saved: dict) -> Transcript:
    words = tuple(Word(*word) for word in saved["words"])
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    return Transcript(saved["text"], words, confidence, saved["engine"],
                      tuple(saved["alternatives"]), tuple(saved["second_opinions"]))


def findings(rows: list[dict], skill: Skill) -> list[tuple[bool, str, float]]:
    """(the row reports a red flag, the rule's level, the lowest confidence of its words) for
    the most urgent red flag of each best reading."""
    found = []
    for row in rows:
        transcript = transcript_of(row["transcript"])
        assessment = assess(transcript.text, skill.content.rules, True, skill.content.cues)
        if assessment.hits:
            hit = assessment.hits[0]
            found.append((row["escalation"] != "none", hit.rule.level,
                          hit_confidence(hit, transcript.words)))
    return found


BANDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9, 1.0)


def word_calibration(rows: list[dict]) -> None:
    """Per confidence band, how many best-reading words are wrong: not where the words said
    are, aligned by difflib."""
    counts = [[0, 0] for _ in BANDS]
    for row in rows:
        said = normalize(row["text"]).split()
        words = [(w[0], w[1]) for w in row["transcript"]["words"] if w[0] != UNKNOWN]
        tokens = [(normalize(w).split() or [w])[0] for w, _ in words]
        matcher = difflib.SequenceMatcher(a=said, b=tokens, autojunk=False)
        right = {j for tag, _, _, j1, j2 in matcher.get_opcodes() if tag == "equal"
                 for j in range(j1, j2)}
        for j, (_, confidence) in enumerate(words):
            band = max(i for i, low in enumerate(BANDS) if confidence >= low)
            counts[band][j not in right] += 1
    print(f"{'confidence':>10}  {'wrong words':>11}  {'below it':>9}")
    below = [0, 0]
    for low, (good, bad) in zip(BANDS, counts):
        if good + bad:
            print(f"{low:>10.1f}+ {bad:>5}/{good + bad:<5}  {below[1]:>4}/{sum(below):<5}")
        below = [below[0] + good, below[1] + bad]


def print_table(found: list[tuple[bool, str, float]]) -> None:
    caught = sorted(c for real, _, c in found if real)
    alarms = sorted(c for real, _, c in found if not real)
    print(f"best-reading red flags: {len(caught)} on flagged rows, {len(alarms)} on calm rows")
    print(f"{'below':>6}  {'flagged asked':>13}  {'calm asked':>10}")
    for threshold in THRESHOLDS:
        print(f"{threshold:6.2f}  {sum(c < threshold for c in caught):>6}/{len(caught):<6}  "
              f"{sum(c < threshold for c in alarms):>4}/{len(alarms):<5}")
    for level in ("emergency", "urgent", "routine"):
        shown = sorted(round(c, 2) for real, lv, c in found if lv == level and real)
        print(f"{level} flagged: {shown}")
        shown = sorted(round(c, 2) for real, lv, c in found if lv == level and not real)
        print(f"{level} calm:    {shown}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("set", nargs="?", type=Path,
                        default=ROOT.parent / "shared" / "eval" / "dev_questions.jsonl")
    parser.add_argument("--synth", default="flite")
    parser.add_argument("--reuse", action="store_true", help="read the saved transcripts")
    args = parser.parse_args()
    settings = resolve().settings
    skill = Skill(load_content(settings.content.dialogs_dir), settings)
    saved = ROOT / "bench" / "out" / f"transcripts-{args.synth}.jsonl"
    if args.reuse:
        rows = [json.loads(line) for line in saved.read_text().splitlines()]
    else:
        questions = [json.loads(line) for line in args.set.read_text().splitlines() if line]
        out = ROOT / "bench" / "out" / f"spoken-{args.synth}"
        rows = decode(build_audio_set(questions, out, args.synth), skill, settings)
        saved.write_text("".join(json.dumps(row) + "\n" for row in rows))
    print_table(findings(rows, skill))
    word_calibration(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
