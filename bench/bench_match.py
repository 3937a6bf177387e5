"""Compare rapidfuzz scorers for FAQ matching, and time decide() per question.

Accuracy is measured on two sets the dialogs were not written from: the shipped dialog tests
(dialogs/tests/*.yaml, single turns) and, when present, ../shared/eval/dev_questions.jsonl.
Prints, per scorer: top-1 accuracy on in-scope questions, the best score reached by
out-of-scope questions, and the margin between them. Then the speed of decide() on the shipped
dialogs and on 10x and 100x as many phrasings, split into its stages (normalise, red-flag check,
match), the same with the plain scan the index replaced (Matcher.rank_by_scan), and the time
from process start to a printed answer of `voice-skill ask`.

Usage: python bench/bench_match.py [--dialogs DIR] [--skip-scorers]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

from rapidfuzz import fuzz

from voice_skill.content.loader import load_content
from voice_skill.nlu import understand
from voice_skill.nlu.recall import SecondOpinion, second_opinion
from voice_skill.settings import RECALL_THRESHOLD
from voice_skill.nlu.dialog_tests import MISSING, load_dialog_tests
from voice_skill.nlu.normalize import normalize
from voice_skill.nlu.understand import Matcher, decide
from voice_skill.settings import PROJECT_ROOT, MatchSettings

SCORERS = {
    "ratio": fuzz.ratio,
    "token_sort_ratio": fuzz.token_sort_ratio,
    "token_set_ratio": fuzz.token_set_ratio,
    "partial_ratio": fuzz.partial_ratio,
    "WRatio": fuzz.WRatio,
    "QRatio": fuzz.QRatio,
    "token_ratio": fuzz.token_ratio,
}
DEV_SET = PROJECT_ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"


def labelled_questions(dialogs_dir: Path) -> list[tuple[str, list[str]]]:
    """(question, acceptable intents); [] means out of scope. Red-flag-only rows are skipped."""
    rows = []
    for path in sorted((dialogs_dir / "tests").glob("*.yaml")):
        for test in load_dialog_tests(path):
            turn = test.turns[0]
            # A turn answered by the safety-check question has no intent, yet is in scope.
            if turn.intent != MISSING and turn.escalation in (None, "none") \
                    and not turn.asks_safety_check:
                rows.append((turn.user, [turn.intent] if turn.intent else []))
    if DEV_SET.is_file():
        for line in DEV_SET.read_text().splitlines():
            item = json.loads(line)
            if item["intents"] is not None and item["escalation"] == "none":
                rows.append((item["text"], item["intents"]))
    return rows


def evaluate(matcher: Matcher, rows: list[tuple[str, list[str]]]) -> tuple[float, float, float]:
    """Top-1 accuracy in scope, lowest in-scope correct score, highest out-of-scope score."""
    correct, in_scope, right_scores, oos_scores = 0, 0, [], []
    for text, intents in rows:
        ranked = matcher.rank(normalize(text))
        top = ranked[0] if ranked else None
        if not intents:
            oos_scores.append(top.score if top else 0.0)
            continue
        in_scope += 1
        if top and top.dialog_id in intents:
            correct += 1
            right_scores.append(top.score)
    low_right = statistics.quantiles(right_scores, n=10)[0] if len(right_scores) > 10 else 0.0
    return correct / max(in_scope, 1), low_right, max(oos_scores, default=0.0)


STAGES = ("normalise", "red flags", "second opinion", "match")


RECALL = second_opinion(True, RECALL_THRESHOLD, None)
"""The shipped second opinion, as Skill builds it from the default settings."""


def _timed(function: Callable, stage: str, spent: dict[str, float]) -> Callable:
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += (time.perf_counter() - start) * 1000
    return timed


@contextlib.contextmanager
def stage_clock(matcher: Matcher, scan: bool) -> Iterator[dict[str, float]]:
    """Milliseconds decide() spends per stage. The stages are wrapped where decide() looks them
    up, so the split follows whatever decide() calls, whatever their signatures (bench only)."""
    spent = dict.fromkeys(STAGES, 0.0)
    rank = matcher.rank_by_scan if scan else matcher.rank
    with contextlib.ExitStack() as stack:
        stages = ((understand, "normalize", STAGES[0]), (understand, "assess", STAGES[1]),
                  (SecondOpinion, "review", STAGES[2]), (matcher, "rank", STAGES[3]))
        for target, name, stage in stages:
            function = rank if name == "rank" else getattr(target, name)
            stack.enter_context(mock.patch.object(target, name, _timed(function, stage, spent)))
        yield spent


def time_decide(content, matcher: Matcher, questions: list[str], repeats: int = 3,
                scan: bool = False) -> dict[str, float]:
    """Median milliseconds per question of decide() ('total') and of each of its STAGES."""
    settings = MatchSettings()
    samples: dict[str, list[float]] = {name: [] for name in ("total", *STAGES)}
    with stage_clock(matcher, scan) as spent:
        for _ in range(repeats):
            for text in questions:
                spent.update(dict.fromkeys(STAGES, 0.0))
                start = time.perf_counter()
                decide(text, content, matcher, settings, recall=RECALL)
                samples["total"].append((time.perf_counter() - start) * 1000)
                for stage in STAGES:
                    samples[stage].append(spent[stage])
    return {name: statistics.median(values) for name, values in samples.items()}


def _split(medians: dict[str, float]) -> str:
    return ", ".join(f"{stage} {medians[stage]:.3f}" for stage in STAGES)


def scaled(content, factor: int):
    """The content with every dialog's phrasings repeated `factor` times (slightly varied)."""
    dialogs = tuple(dataclasses.replace(d, phrasings=tuple(
        f"{p} {'x' * (i % 7)}".strip() + (f" v{i}" if i else "")
        for i in range(factor) for p in d.phrasings)) for d in content.dialogs)
    return dataclasses.replace(content, dialogs=dialogs)


def time_ask_process(runs: int = 5) -> float:
    """Median seconds from process start to printed answer for `voice-skill ask`."""
    import subprocess
    import sys

    command = [str(Path(sys.executable).with_name("voice-skill")), "ask", "why is my calf twitching"]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dialogs", type=Path, default=PROJECT_ROOT / "dialogs")
    parser.add_argument("--skip-scorers", action="store_true",
                        help="time only; do not compare scorers")
    args = parser.parse_args()
    content = load_content(args.dialogs)
    rows = labelled_questions(args.dialogs)
    print(f"{len(rows)} labelled questions "
          f"({sum(1 for _, i in rows if not i)} out of scope)")
    if not args.skip_scorers:
        print(f"{'scorer':18} {'top-1':>6} {'p10 right':>9} {'max oos':>8}")
        for name, scorer in SCORERS.items():
            accuracy, low_right, max_oos = evaluate(Matcher(content.dialogs, scorer=scorer), rows)
            print(f"{name:18} {accuracy:6.3f} {low_right:9.1f} {max_oos:8.1f}")
    questions = [text for text, _ in rows]
    print("decide() per question, median ms (stage medians need not add up to the total)")
    for factor in (1, 10, 100):
        bigger = scaled(content, factor) if factor > 1 else content
        matcher = Matcher(bigger.dialogs)
        phrasings = sum(len(d.phrasings) for d in bigger.dialogs)
        repeats = 3 if factor < 100 else 1
        for label, scan in (("indexed", False), ("scan", True)):
            medians = time_decide(bigger, matcher, questions, repeats, scan)
            print(f"  {factor:3}x {phrasings:6} phrasings, {label:7}: total {medians['total']:.3f}"
                  f" ({_split(medians)})")
    print(f"voice-skill ask, process start to printed answer: median {time_ask_process():.3f} s")


if __name__ == "__main__":
    main()
