#!/usr/bin/env python3
"""Train the recall model (voice_skill/nlu/recall.py) and write voice_skill/data/recall.npz.

It learns from the labelled tuning sets (tests/data/tuning_safety*.jsonl) and the shipped
content's own examples and phrasings, never from a held-out set. Training is seeded, so the
same data gives the same model; test_recall checks the shipped model was trained on today's
tuning sets. About 55 s on this machine (three seeded runs averaged).

Usage: scripts/train_recall.py [--out PATH] [--epochs N] [--dialogs DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_skill.content.loader import load_content  # noqa: E402
from voice_skill.nlu.recall import SHIPPED_MODEL  # noqa: E402
from voice_skill.nlu.recall_training import (TrainingSettings, content_examples,  # noqa: E402
                                             digest, read_examples, save_model, train)

TUNING_SETS = sorted((ROOT / "tests" / "data").glob("tuning_safety*.jsonl"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    parser.add_argument("--epochs", type=int, default=TrainingSettings().epochs)
    parser.add_argument("--dialogs", type=Path, default=ROOT / "dialogs")
    args = parser.parse_args()
    content = load_content(args.dialogs)
    examples = [e for path in TUNING_SETS for e in read_examples(path)]
    examples += content_examples(content)
    model = train(examples, content, TrainingSettings(epochs=args.epochs))
    metadata = {**model.metadata, "tuning_digest": digest(TUNING_SETS),
                "tuning_sets": [p.name for p in TUNING_SETS]}
    save_model(dataclasses.replace(model, metadata=metadata), args.out)
    print(f"{args.out}: {len(examples)} examples, {metadata['features']} features, "
          f"{len(model.classes)} classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
