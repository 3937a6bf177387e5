"""Speak a labelled question set with espeak-ng (or flite) and score the skill on the audio.

Each question is synthesised by several espeak-ng voices at two rates, plus one copy mixed
with pink noise at 10 dB SNR; the audio set is written as JSONL with a "wav" field and scored
by ../shared/eval/score.py through `voice-skill ask --json --wav`, the model loaded once.
With --synth flite (or festival), that synthesiser's voices speak instead: ones nothing was
tuned on.

With --synth noise, noise the development set lacks: flite in white noise and an unseen
espeak-ng voice in pink noise, each at 10 dB SNR.

Usage: python bench/eval_spoken.py [SET.jsonl] [--out DIR] [--engine pocketsphinx] [--limit N]
       [--synth espeak|flite|festival|noise] [--breakdown]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from speech import (
    FESTIVAL_VOICES,
    FLITE_VOICES,
    add_noise,
    synthesize,
    synthesize_festival,
    synthesize_flite,
    write_wav,
)

VOICES = (("en-us", 150), ("en-us", 185), ("en-gb+m3", 150), ("en-gb+m3", 185))
NOISY = ("en-us+f2", 165, 10.0)
SPEAKERS = {
    "espeak": [(v, r, None) for v, r in VOICES] + [NOISY],
    # flite has no words-per-minute setting; 0 stands for its own speed.
    "flite": [(f"flite-{v}", 0, None) for v in FLITE_VOICES],
    # Debian's festival and its festvox voices (not installed by scripts/setup.sh).
    "festival": [(f"festival-{v}", 0, None) for v in FESTIVAL_VOICES],
    # Kinds of noise the development set lacks, at 10 dB SNR: broadband hiss under flite, and
    # pink noise under an espeak-ng voice nothing was built or tuned on.
    "noise": [("flite-slt", 0, 10.0, "whitenoise"), ("en-us+m7", 160, 10.0, "pinknoise")],
}


def speak(text: str, voice: str, rate: int) -> bytes:
    if voice.startswith("flite-"):
        return synthesize_flite(text, voice.removeprefix("flite-"))
    if voice.startswith("festival-"):
        return synthesize_festival(text, voice.removeprefix("festival-"))
    return synthesize(text, voice=voice, rate=rate)


def build_audio_set(rows: list[dict], out: Path, synth: str = "espeak") -> Path:
    """Write one WAV per (question, voice, rate) and the JSONL set that points at them."""
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for number, row in enumerate(rows):
        for voice, rate, snr, *colour in SPEAKERS[synth]:
            pcm = speak(row["text"], voice, rate)
            if snr is not None:
                pcm = add_noise(pcm, snr, *colour)
            name = f"q{number:03d}_{voice.replace('+', '_')}_{rate}{'_noisy' if snr else ''}.wav"
            write_wav(out / name, pcm)
            lines.append(json.dumps({**row, "wav": name, "voice": voice, "rate": rate,
                                     "snr_db": snr}))
    set_path = out / "spoken_set.jsonl"
    set_path.write_text("\n".join(lines) + "\n")
    return set_path


LEVELS = ("none", "routine", "urgent", "emergency")


def breakdown(set_path: Path, command: str) -> None:
    """Intent accuracy and under-triage per voice, rate and noise, from one run of the skill."""
    rows = [json.loads(line) for line in set_path.read_text().splitlines() if line.strip()]
    argv = command.split() + ["--wav"] + [str(set_path.parent / r["wav"]) for r in rows]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    outputs = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    table: dict[tuple, list[int]] = {}
    for row, out in zip(rows, outputs):
        cell = table.setdefault((row["voice"], row["rate"], row["snr_db"]), [0, 0, 0, 0])
        if row["intents"] is not None:
            cell[1] += 1
            got = out.get("intent")
            cell[0] += got in row["intents"] if row["intents"] else got is None
        if row["escalation"] != "none":
            cell[3] += 1
            cell[2] += LEVELS.index(out["escalation"]) < LEVELS.index(row["escalation"])
    for (voice, rate, snr), (right, asked, under, flagged) in sorted(table.items(), key=str):
        noise = f"{snr:g} dB SNR" if snr else "clean"
        speed = f"{rate:4d} wpm" if rate else "own pace"
        print(f"{voice:10} {speed:8} {noise:11} intent {right}/{asked} = "
              f"{right / max(asked, 1):.2f}  under-triaged {under}/{flagged}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("set", nargs="?", type=Path,
                        default=ROOT.parent / "shared" / "eval" / "dev_questions.jsonl")
    parser.add_argument("--out", type=Path,
                        help="where the audio set goes (default bench/out/spoken[-flite])")
    parser.add_argument("--synth", choices=sorted(SPEAKERS), default="espeak")
    parser.add_argument("--engine", default="pocketsphinx")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--breakdown", action="store_true",
                        help="also print results per voice, rate and noise (runs the set twice)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.set.read_text().splitlines() if line.strip()]
    rows = rows[: args.limit] if args.limit else rows
    out = args.out or ROOT / "bench" / "out" / ("spoken" if args.synth == "espeak" else
                                                 f"spoken-{args.synth}")
    set_path = build_audio_set(rows, out, args.synth)
    command = f"{ROOT / '.venv' / 'bin' / 'voice-skill'} ask --json --engine {args.engine}"
    if args.breakdown:
        breakdown(set_path, command)
    score = ROOT.parent / "shared" / "eval" / "score.py"
    return subprocess.call([sys.executable, str(score), str(set_path), "--cmd", command,
                            "--show-misses"])


if __name__ == "__main__":
    sys.exit(main())
