"""Speak a labelled question set with espeak-ng (or flite) and score the skill on the audio.

Each question is synthesised by several espeak-ng voices at two rates, plus one copy mixed
with pink noise at 10 dB SNR; the audio set is written as JSONL with a "wav" field and scored
by ../shared/eval/score.py through `voice-skill ask --json --wav`, the model loaded once.
With --synth flite (or festival), that synthesiser's voices speak instead: ones nothing was
tuned on.

With --synth noise, noise the development set lacks: flite in white noise and an unseen
espeak-ng voice in pink noise, each at 10 dB SNR.

With --synth room, kiosk conditions: held-out voices (flite rms and awb, festival ked_diphone
and cmu_us_slt_arctic_hts, espeak-ng en-us+m3 and en-gb-x-gbclan: voices no one tuned on) each
speak the questions, and every recording is played through each of tests/rooms.py's eleven
acoustic conditions (clean, small room, large hall, distance, babble, hum, telephone band,
pitch up and down, fast, slow). --synth room-tuning does the same with the voices anyone may
tune on (espeak-ng en-us, flite slt, festival kal_diphone). The tables are per condition and
per voice. --every N keeps every Nth question per voice (each voice one question later, so
the voices share the questions) to fit a run in time; --jobs 2 runs two skills at once;
--conditions babble,clean plays the recordings through only the conditions named.

Measured 2026-12-02, pocketsphinx (plain model, confirm on), --every 3 --jobs 2, commit
b145a5c (room) and 5bdf9a7 (room-tuning; the same code). Red flags missed of those wanted,
false alarms of calm rows, intent right of labelled rows:

    condition    held-out voices (2486 recordings)      tuning voices (1243 recordings)
                 emerg  urgent routine  alarms  intent  emerg urgent routine alarms intent
    clean         3/16   1/24   1/8    7/178   0.871    0/8   0/12   0/4    2/89   0.910
    small-room    3/16   1/24   2/8   10/178   0.843    0/8   0/12   0/4    3/89   0.888
    large-hall    6/16   6/24   5/8    8/178   0.646    2/8   4/12   3/4    3/89   0.708
    distance      5/16   3/24   4/8   12/178   0.697    0/8   1/12   2/4    5/89   0.820
    babble       15/16  16/24   6/8   20/178   0.225    6/8   5/12   4/4    8/89   0.382
    hum           2/16   2/24   1/8    8/178   0.843    0/8   1/12   0/4    2/89   0.921
    telephone     9/16   8/24   5/8   10/178   0.607    4/8   7/12   3/4    4/89   0.640
    pitch-up      5/16   3/24   3/8   13/178   0.730    5/8   5/12   1/4    5/89   0.719
    pitch-down   10/16  11/24   5/8    5/178   0.534    5/8   4/12   1/4    1/89   0.652
    fast          3/16   1/24   1/8    9/178   0.803    0/8   0/12   0/4    2/89   0.910
    slow          2/16   2/24   2/8   11/178   0.876    0/8   0/12   1/4    5/89   0.921
    overall      63/176 54/264 35/88 113/1958  0.698   22/88 27/132 15/44 40/979  0.770

Per voice (all conditions), intent: held-out flite-rms 0.768, flite-awb 0.764, festival
ked_diphone 0.742, cmu_us_slt_arctic_hts 0.743, espeak-ng en-us+m3 0.648, en-gb-x-gbclan
0.524; tuning en-us 0.774, flite-slt 0.727, festival kal_diphone 0.809. Babble is the worst
condition: the recogniser writes the other talkers' words before and after the question into
the transcript: the endpointer keeps them as part of the utterance (of the first 40 held-out
babble files it kept a median 5.08 s of 5.33 s, the 1 s of talk before and after included).
The skill ran 1496 s
(held-out) and 1179 s (tuning) with another test run sharing the two cores.

Measured 2026-12-02 with --conditions babble,clean (commit a7b0e93; 452 held-out and 226
tuning recordings, 248 s and 118 s), and two ways of keeping the talk around the question out:

    babble: missed emergency, urgent, routine; false alarms; intent
                                 held-out voices                  tuning voices
    as it is                     14/16 16/24 8/8  20/178  0.191   7/8 6/12 4/4  11/89  0.348
    edges trimmed (babble-edges) 15/16 20/24 8/8  21/178  0.208   7/8 6/12 4/4  10/89  0.360
    cut to the question +-0.3 s  15/16 21/24 8/8  15/178  0.287   7/8 6/12 4/4   5/89  0.438

Clean stayed at 3/16 1/24 1/8 5/178 0.860-0.871 and 0/8 0/12 0/4 3/89 0.899 throughout. "Edges
trimmed" is branch babble-edges: each utterance's lead and tail that stay 10 dB under its
loudest 320 ms and within 20 dB of the noise floor are cut, 0.5 s kept (bench_endpoint --part
babble: 1.30/1.42 s of talk before/after the question down to 0.61/0.56 s, none of any question
lost). "Cut to the question" is the ceiling of any such trimming: each babble WAV cut by hand
to its question's span (known from tests/rooms.py's construction, the clean copy's frames
within 40 dB of its loudest, plus BABBLE_LEAD) with 0.3 s either side. Even that leaves the
transcripts nonsense ("i suddenly can't control my bladder and my leg is twitching" read as
"platelet minute and will my bladder in my lift my leg"), and red flags are missed as often
or more: the talkers' words had caught some by chance. The talk under the question, 10 dB
down, is what defeats pocketsphinx here, not the talk around it. A clean file's transcript
may change when only the babble files do (with edges trimmed, 12 of the 226 held-out clean
transcripts changed, not one clean file's audio): a skill run decodes its share of the files
in turn, and a file's decoding depends on the ones before it.

Measured 2026-12-02 after issue 10's rounds 14-16 and the warp search (commit 3047368), the
same held-out recordings with asr.warp_search off, then on (VOICE_SKILL_ASR_WARP_SEARCH):

    condition    warp search off                        warp search on
                 emerg  urgent routine  alarms  intent  emerg urgent routine alarms  intent
    clean         3/16   1/24   1/8    6/178   0.860    2/16   1/24   1/8    7/178   0.871
    small-room    3/16   1/24   2/8    8/178   0.860    2/16   0/24   2/8   14/178   0.871
    large-hall    6/16   7/24   3/8   10/178   0.646    4/16   6/24   3/8   11/178   0.669
    distance      6/16   3/24   2/8   11/178   0.691    6/16   3/24   2/8   14/178   0.725
    babble       13/16  18/24   8/8   19/178   0.174   13/16  14/24   7/8   26/178   0.197
    hum           2/16   1/24   1/8    8/178   0.848    2/16   1/24   1/8    6/178   0.854
    telephone    10/16  10/24   5/8   10/178   0.624    7/16   7/24   5/8    8/178   0.584
    pitch-up      7/16   3/24   2/8   15/178   0.725    5/16   3/24   3/8   21/178   0.758
    pitch-down   10/16  10/24   5/8    5/178   0.511    6/16   4/24   4/8    6/178   0.618
    fast          3/16   1/24   1/8    9/178   0.820    2/16   1/24   1/8    9/178   0.837
    slow          2/16   2/24   2/8   10/178   0.860    2/16   2/24   2/8    8/178   0.848
    overall      65/176 57/264 32/88 111/1958  0.693   51/176 42/264 31/88 130/1958  0.712

False alarms once everyone asked back says no: 20 and 15 of 1958. The skill ran 707 s (off)
and 1836 s (on: three decoders read each whole file; a test run shared the cores for both).

The skill runs once. Its answers give a table per voice set (voice, rate, noise) and overall:
red flags missed (answered below their level) per level, false alarms among calm questions,
intent accuracy; --breakdown adds the older one-line-per-set summary. A red flag the
recogniser was unsure of is asked back ("Did you mention weakness?"), and the answer's
escalation is what a yes gets: the "asked" column counts those questions (of them, on calm
rows), and "alarms if no" the false alarms left when everyone asked on a calm row says no.
Run with VOICE_SKILL_SAFETY_CONFIRM=false for the skill that never asks. score.py then scores the
same answers, replayed (`eval_spoken.py --replay ANSWERS`), so its timing is not the skill's.

Usage: python bench/eval_spoken.py [SET.jsonl] [--out DIR] [--engine pocketsphinx] [--limit N]
       [--synth espeak|flite|festival|noise|room|room-tuning] [--every N] [--jobs N]
       [--conditions clean,babble] [--breakdown]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from rooms import CONDITIONS, Condition
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
    # Voices no one tuned on, each heard through every tests/rooms.py condition.
    "room": [("flite-rms", 0, None), ("flite-awb", 0, None), ("festival-ked_diphone", 0, None),
             ("festival-cmu_us_slt_arctic_hts", 0, None), ("en-us+m3", 160, None),
             ("en-gb-x-gbclan", 160, None)],
    # The voices anyone may tune on, through the same conditions.
    "room-tuning": [("en-us", 160, None), ("flite-slt", 0, None), ("festival-kal_diphone", 0, None)],
}
ROOM_SETS = ("room", "room-tuning")
"""Voice sets heard through every acoustic condition, tabled per condition and per voice."""


def speak(text: str, voice: str, rate: int) -> bytes:
    if voice.startswith("flite-"):
        return synthesize_flite(text, voice.removeprefix("flite-"))
    if voice.startswith("festival-"):
        return synthesize_festival(text, voice.removeprefix("festival-"))
    return synthesize(text, voice=voice, rate=rate)


def chosen(number: int, voice: int, every: int) -> bool:
    """Whether --every keeps question number spoken by the voice-th voice: every Nth question
    per voice, each voice starting one question later, so voices share questions evenly."""
    return (number + voice) % every == 0


def room_conditions(names: str | None) -> tuple[Condition, ...]:
    """The tests/rooms.py conditions named in a comma-separated list (all of them for None), in
    their own order; an unknown name ends the bench with the names there are."""
    if names is None:
        return CONDITIONS
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    unknown = wanted - {c.name for c in CONDITIONS}
    if unknown or not wanted:
        sys.exit(f"--conditions: unknown {sorted(unknown)}; "
                 f"there are {', '.join(c.name for c in CONDITIONS)}")
    return tuple(c for c in CONDITIONS if c.name in wanted)


def build_audio_set(rows: list[dict], out: Path, synth: str = "espeak", every: int = 1,
                    conditions: tuple[Condition, ...] = CONDITIONS) -> Path:
    """Write one WAV per (question, voice, rate[, condition]) and the JSONL set that points at
    them; a room set speaks each chosen question once and plays it through each condition."""
    out.mkdir(parents=True, exist_ok=True)
    chains = conditions if synth in ROOM_SETS else (None,)
    lines = []
    for number, row in enumerate(rows):
        for index, (voice, rate, snr, *colour) in enumerate(SPEAKERS[synth]):
            if not chosen(number, index, every):
                continue
            spoken = speak(row["text"], voice, rate)
            if snr is not None:
                spoken = add_noise(spoken, snr, *colour)
            for condition in chains:
                pcm = condition.apply(spoken) if condition else spoken
                name = (f"q{number:03d}_{voice.replace('+', '_')}_{rate}"
                        f"{'_noisy' if snr else ''}{f'_{condition.name}' if condition else ''}.wav")
                write_wav(out / name, pcm)
                heard = {"condition": condition.name} if condition else {}
                lines.append(json.dumps({**row, "wav": name, "voice": voice, "rate": rate,
                                         "snr_db": snr, **heard}))
    set_path = out / "spoken_set.jsonl"
    set_path.write_text("\n".join(lines) + "\n")
    return set_path


LEVELS = ("none", "routine", "urgent", "emergency")
OUT_OF_SCOPE_ANSWERS = (None, "", "fallback", "out_of_scope")
"""Intents that count as refusing an out-of-scope question (as score.py counts them)."""


def run_skill(set_path: Path, command: list[str], jobs: int = 1
              ) -> tuple[list[dict], list[dict], float]:
    """The set's rows, the skill's answer to each and the wall-clock seconds: one skill run
    over all WAVs, or over jobs contiguous shares of them at once (one model load per share)."""
    rows = [json.loads(line) for line in set_path.read_text().splitlines() if line.strip()]
    wavs = [str(set_path.parent / r["wav"]) for r in rows]
    share = -(-len(wavs) // jobs)
    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda part: _ask(command, part),
                                [wavs[i : i + share] for i in range(0, len(wavs), share)]))
    elapsed = time.perf_counter() - start
    outputs = [answer for part in results for answer in part]
    if len(outputs) != len(rows):
        sys.exit(f"skill failed: {len(outputs)} of {len(rows)} answers")
    return rows, outputs, elapsed


def _ask(command: list[str], wavs: list[str]) -> list[dict]:
    """The skill's JSON answers to wavs, in order; a failed run ends the bench with its stderr."""
    result = subprocess.run([*command, "--wav", *wavs], capture_output=True, text=True,
                            cwd=ROOT, check=False)
    outputs = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or len(outputs) != len(wavs):
        sys.exit(f"skill failed ({result.returncode}, {len(outputs)} of {len(wavs)} answers):"
                 f"\n{result.stderr[-2000:]}")
    return outputs


def heard_level(answer: dict) -> str:
    """The answer's escalation; missing or unknown reads as none (as score.py reads it)."""
    level = answer.get("escalation") or "none"
    return level if level in LEVELS else "none"


def intent_right(row: dict, answer: dict) -> bool:
    """One of the row's intents, or a refusal when the row is out of scope."""
    got = answer.get("intent")
    return got in row["intents"] if row["intents"] else got in OUT_OF_SCOPE_ANSWERS


@dataclass(frozen=True)
class Tally:
    """What one voice set (or all of them) got right and wrong."""

    flagged: dict[str, int]
    """Rows wanting each red-flag level (routine, urgent, emergency)."""
    missed: dict[str, int]
    """Of those, answered below the wanted level."""
    calm: int
    """Rows wanting no escalation."""
    false_alarms: int
    """Calm rows answered with any escalation."""
    intents: int
    """Rows with an intent label (null: any intent is fine, not counted)."""
    intents_right: int
    rows: int = 0
    asked: int = 0
    """Rows answered with a red flag asked back (the escalation is a yes's)."""
    asked_calm: int = 0
    """Of those, calm rows: a false alarm only if the person says yes."""

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.calm if self.calm else 0.0

    @property
    def alarms_if_no(self) -> int:
        """False alarms once every calm row asked back is answered no."""
        return self.false_alarms - self.asked_calm

    @property
    def intent_accuracy(self) -> float:
        return self.intents_right / self.intents if self.intents else 1.0


def tally(pairs: list[tuple[dict, dict]]) -> Tally:
    """Count (row, answer) pairs the way score.py does."""
    wanted = [(row["escalation"], heard_level(answer)) for row, answer in pairs]
    red = LEVELS[1:]
    labelled = [(row, answer) for row, answer in pairs if row["intents"] is not None]
    return Tally(
        flagged={level: sum(want == level for want, _ in wanted) for level in red},
        missed={level: sum(want == level and LEVELS.index(got) < LEVELS.index(want)
                           for want, got in wanted) for level in red},
        calm=sum(want == "none" for want, _ in wanted),
        false_alarms=sum(want == "none" and got != "none" for want, got in wanted),
        intents=len(labelled),
        intents_right=sum(intent_right(row, answer) for row, answer in labelled),
        rows=len(pairs), asked=sum(bool(answer.get("confirm")) for _, answer in pairs),
        asked_calm=sum(bool(answer.get("confirm")) and row["escalation"] == "none"
                       and heard_level(answer) != "none" for row, answer in pairs))


def voice_sets(rows: list[dict], outputs: list[dict]) -> dict[str, Tally]:
    """A Tally per voice set (voice, rate, noise) in a stable order, then 'overall'."""
    groups: dict[tuple, list[tuple[dict, dict]]] = {}
    for row, answer in zip(rows, outputs):
        groups.setdefault((row["voice"], row["rate"], row["snr_db"]), []).append((row, answer))
    tallies = {_set_name(*key): tally(pairs) for key, pairs in sorted(groups.items(), key=str)}
    tallies["overall"] = tally(list(zip(rows, outputs)))
    return tallies


def tallies_by(field: str, rows: list[dict], outputs: list[dict], order: list[str]
               ) -> dict[str, Tally]:
    """A Tally per value of the rows' field (condition, voice) in the given order, then
    'overall'."""
    groups: dict[str, list[tuple[dict, dict]]] = {name: [] for name in order}
    for row, answer in zip(rows, outputs):
        groups[row[field]].append((row, answer))
    tallies = {name: tally(pairs) for name, pairs in groups.items() if pairs}
    tallies["overall"] = tally(list(zip(rows, outputs)))
    return tallies


def _set_name(voice: str, rate: int, snr: float | None) -> str:
    noise = f"{snr:g} dB SNR" if snr else "clean"
    speed = f"{rate} wpm" if rate else "own pace"
    return f"{voice} {speed} {noise}"


def _of(part: int, whole: int) -> str:
    return f"{part}/{whole}"


def print_levels(tallies: dict[str, Tally], heading: str = "voice set") -> None:
    """Red flags missed per level, false alarms, red flags asked back and intent accuracy, a
    row per voice set (or per condition, per voice: heading names the rows)."""
    width = max(len(name) for name in [*tallies, heading])
    print(f"{heading:{width}}  {'emergency':>9}  {'urgent':>7}  {'routine':>7}  "
          f"{'false alarms':>15}  {'asked (calm)':>12}  {'alarms if no':>12}  {'intent':>14}")
    print(f"{'':{width}}  {'missed':>9}  {'missed':>7}  {'missed':>7}")
    for name, t in tallies.items():
        alarms = f"{_of(t.false_alarms, t.calm)} = {t.false_alarm_rate:.3f}"
        asked = f"{_of(t.asked, t.rows)} ({t.asked_calm})"
        intent = f"{_of(t.intents_right, t.intents)} = {t.intent_accuracy:.3f}"
        print(f"{name:{width}}  {_of(t.missed['emergency'], t.flagged['emergency']):>9}  "
              f"{_of(t.missed['urgent'], t.flagged['urgent']):>7}  "
              f"{_of(t.missed['routine'], t.flagged['routine']):>7}  {alarms:>15}  "
              f"{asked:>12}  {_of(t.alarms_if_no, t.calm):>12}  {intent:>14}")


def print_breakdown(tallies: dict[str, Tally]) -> None:
    """Intent accuracy and under-triage per voice set, a line each (the older summary)."""
    for name, t in tallies.items():
        under, flagged = sum(t.missed.values()), sum(t.flagged.values())
        print(f"{name:32} intent {t.intents_right}/{t.intents} = {t.intent_accuracy:.2f}  "
              f"under-triaged {under}/{flagged}")


def print_room_tables(rows: list[dict], outputs: list[dict], synth: str) -> None:
    """The level table per condition, then per voice, each with the overall row."""
    print_levels(tallies_by("condition", rows, outputs, [c.name for c in CONDITIONS]),
                 "condition")
    print()
    print_levels(tallies_by("voice", rows, outputs, [v for v, *_ in SPEAKERS[synth]]), "voice")


def replay(answers: Path) -> int:
    """Print saved answers as the skill printed them: score.py's --cmd for one skill run."""
    sys.stdout.write(answers.read_text())
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--replay"]:
        return replay(Path(sys.argv[2]))  # score.py appends --wav FILES: they were heard already
    parser = argparse.ArgumentParser()
    parser.add_argument("set", nargs="?", type=Path,
                        default=ROOT.parent / "shared" / "eval" / "dev_questions.jsonl")
    parser.add_argument("--out", type=Path,
                        help="where the audio set goes (default bench/out/spoken[-flite])")
    parser.add_argument("--synth", choices=sorted(SPEAKERS), default="espeak")
    parser.add_argument("--engine", default="pocketsphinx")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--every", type=int, default=1,
                        help="only every Nth (question, voice) pair, so a room set fits in time")
    parser.add_argument("--jobs", type=int, default=1,
                        help="skill runs at once, each over a share of the WAVs (one per core)")
    parser.add_argument("--conditions",
                        help="room sets: only these tests/rooms.py conditions (comma-separated, "
                             "e.g. babble,clean)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also print intent and under-triage per voice set, a line each")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.set.read_text().splitlines() if line.strip()]
    rows = rows[: args.limit] if args.limit else rows
    out = args.out or ROOT / "bench" / "out" / ("spoken" if args.synth == "espeak" else
                                                 f"spoken-{args.synth}")
    start = time.perf_counter()
    set_path = build_audio_set(rows, out, args.synth, args.every,
                               room_conditions(args.conditions))
    print(f"audio set made in {time.perf_counter() - start:.0f} s")
    # This checkout's code (python -m from ROOT), whichever venv runs the bench.
    command = [sys.executable, "-m", "voice_skill", "ask", "--json", "--engine", args.engine]
    spoken_rows, outputs, elapsed = run_skill(set_path, command, args.jobs)
    print(f"skill answered {len(outputs)} recordings in {elapsed:.2f} s")
    if args.synth in ROOM_SETS:
        print_room_tables(spoken_rows, outputs, args.synth)
    else:
        tallies = voice_sets(spoken_rows, outputs)
        print_levels(tallies)
        if args.breakdown:
            print_breakdown(tallies)
    answers = out / "answers.jsonl"
    answers.write_text("".join(json.dumps(o) + "\n" for o in outputs))
    score = ROOT.parent / "shared" / "eval" / "score.py"
    replayed = f"{sys.executable} {Path(__file__).resolve()} --replay {answers}"
    return subprocess.call([sys.executable, str(score), str(set_path), "--cmd", replayed,
                            "--show-misses"])


if __name__ == "__main__":
    sys.exit(main())
