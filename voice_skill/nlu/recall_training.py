"""Training the recall model (recall.py) from labelled rows: pure functions, numpy only.

A row's class comes from its label and the rules: a row labelled routine, urgent or emergency
is the sign of the first rule of that level that fires on it, or other_<level> when none does
(the rows the model is for); every other row is NONE. The rules' own examples and the dialogs'
phrasings are labelled by what the rules decide on them, so the model also learns that asking
about a sign is not telling one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..content.loader import Content
from .normalize import normalize
from .recall import FEATURE_SPACE, NONE, OTHER_PREFIX, RecallModel, features
from .safety import assess

ESCALATING = ("routine", "urgent", "emergency")
"""The levels the model is trained to add. Routine joined in stop 22: five-fold cross-validation
on the tuning sets at 0.7, before the calm examples of days-long twitching joined the content,
routine rows missed 29 -> 7 of 1,248 for 38 false alarms added by the model, not 20, of 4,271
calm rows (0.9%); with them and the final decision path, 15 and 30 (settings.RECALL_THRESHOLD)."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    """The level it should get: none, routine, urgent or emergency."""


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int = 8
    rate: float = 0.2
    """Adagrad's step size."""
    l2: float = 1e-5
    seeds: tuple[int, ...] = (0, 1, 2)
    """One model per seed (the order rows are seen in), their weights averaged: one seed's
    probabilities near the threshold flip with the row order. Five-fold cross-validation on the
    tuning sets at 0.7, on the first model with routine signs (before the likeliest level and
    the calm examples of days-long twitching), one seed -> three: false alarms the model adds
    43 -> 38 of 4,271, urgent rows missed 4 -> 3 of 2,509, routine 6 -> 7 of 1,248."""


def model_classes(content: Content) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """NONE, each rule of an ESCALATING level, then other_<level> for each; with each class's
    level."""
    rules = [r for r in content.rules if r.level in ESCALATING]
    classes = (NONE, *(r.id for r in rules), *(f"{OTHER_PREFIX}{lv}" for lv in ESCALATING))
    levels = ("none", *(r.level for r in rules), *ESCALATING)
    return classes, levels


def class_of(example: Example, content: Content) -> str:
    """The class an example teaches (see the module docstring)."""
    if example.label not in ESCALATING:
        return NONE
    hits = assess(example.text, content.rules, cues=content.cues).hits
    same = [h.rule.id for h in hits if h.rule.level == example.label]
    return same[0] if same else f"{OTHER_PREFIX}{example.label}"


def content_examples(content: Content) -> list[Example]:
    """The rules' and the symptom lexicon's examples and the dialogs' phrasings, labelled with
    the rules' decision."""
    texts = [e for r in content.rules for e in r.escalate_examples + r.calm_examples]
    # The symptom lexicon's examples: other bodily complaints (a cough, vomiting) are no red
    # flag on their own; without them the model read "I keep throwing up" as urgent.
    texts += [e for d in content.symptoms.detectors for e in d.fire_examples + d.calm_examples]
    texts += [p for d in content.dialogs for p in d.phrasings]
    return [Example(t, assess(t, content.rules, cues=content.cues).level)
            for t in dict.fromkeys(texts)]


def read_examples(path: Path) -> list[Example]:
    """Rows of a labelled set (JSON lines with text and escalation)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [Example(r["text"], r["escalation"]) for r in rows]


def digest(paths: Iterable[Path]) -> str:
    """sha256 over the files' names and bytes: which data a model was trained on."""
    hashed = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        hashed.update(path.name.encode() + b"\0" + path.read_bytes())
    return hashed.hexdigest()


def train(examples: list[Example], content: Content,
          settings: TrainingSettings = TrainingSettings()) -> RecallModel:
    """A multinomial logistic model over hashed features, trained by Adagrad once per seed and
    averaged."""
    classes, levels = model_classes(content)
    index = {c: i for i, c in enumerate(classes)}
    rows = [features(normalize(e.text)) for e in examples]
    targets = [index[class_of(e, content)] for e in examples]
    runs = [_fit(rows, targets, len(classes), settings, seed) for seed in settings.seeds]
    weights = sum(w for w, _ in runs) / len(runs)
    bias = sum(b for _, b in runs) / len(runs)
    used = np.flatnonzero(np.abs(weights).sum(axis=1))
    counts = {c: targets.count(i) for i, c in enumerate(classes)}
    metadata = {"examples": len(examples), "features": len(used), "class_counts": counts,
                "settings": dataclasses.asdict(settings)}
    return RecallModel(classes, levels, used.astype(np.int64), weights[used].astype(np.float32),
                       bias.astype(np.float32), metadata)


def _fit(rows: list[np.ndarray], targets: list[int], n_classes: int,
         settings: TrainingSettings, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias of one Adagrad run over rows in the order seed shuffles them."""
    weights = np.zeros((FEATURE_SPACE, n_classes))
    squares = np.full((FEATURE_SPACE, n_classes), 1e-8)
    bias, bias_squares = np.zeros(n_classes), np.full(n_classes, 1e-8)
    order = np.random.default_rng(seed)
    for _ in range(settings.epochs):
        for i in order.permutation(len(rows)):
            slots = rows[i]
            if not len(slots):
                continue
            scale = 1 / np.sqrt(len(slots))
            scores = weights[slots].sum(axis=0) * scale + bias
            gradient = np.exp(scores - scores.max())
            gradient /= gradient.sum()
            gradient[targets[i]] -= 1
            step = gradient[None, :] * scale + settings.l2 * weights[slots]
            squares[slots] += step * step
            weights[slots] -= settings.rate * step / np.sqrt(squares[slots])
            bias_squares += gradient * gradient
            bias -= settings.rate * gradient / np.sqrt(bias_squares)
    return weights, bias


def save_model(model: RecallModel, path: Path) -> None:
    """Write model as one .npz (weights as float16: it halves the file and changes no
    decision at the shipped threshold, test_recall)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, classes=json.dumps(model.classes), levels=json.dumps(model.levels),
                        slots=model.slots.astype(np.int32),
                        weights=model.weights.astype(np.float16), bias=model.bias,
                        metadata=json.dumps(model.metadata, sort_keys=True))
