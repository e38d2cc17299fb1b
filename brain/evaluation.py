"""Metrics for labelled evaluation runs (`closer eval`): accuracy, macro-F1, out-of-scope handling."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from brain.classifier import OUT_OF_SCOPE

LABEL_COLUMNS = ("label", "category", "intent", "temperature", "source")
TEXT_COLUMNS = ("text", "question")
REFERENCE_COLUMNS = ("reference", "reference_answer", "answer")


@dataclass(slots=True)
class Example:
    text: str
    label: str  # "" when a row has only a reference answer
    reference: str | None = None


class DatasetError(ValueError):
    """The file is not a labelled CSV/JSONL this command can read; the message says why."""


def load_examples(path: Path) -> list[Example]:
    """`text,label` CSV (a header names the columns; `category`/`intent` also accepted) or JSONL."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from exc
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        examples = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            examples.append(_example(row, f"{path}:{number}"))
        return examples
    reader = csv.DictReader(io.StringIO(raw))
    if not reader.fieldnames or not set(TEXT_COLUMNS) & set(reader.fieldnames):
        raise DatasetError(f"{path}: the CSV needs a header with a `text` column and a label column")
    return [_example(row, f"{path}:{i + 2}") for i, row in enumerate(reader)]


def _example(row: dict, where: str) -> Example:
    text = next((row[c] for c in TEXT_COLUMNS if isinstance(row.get(c), str) and row[c].strip()), None)
    label = next((row[c] for c in LABEL_COLUMNS if row.get(c) not in (None, "")), None)
    reference = next((row[c] for c in REFERENCE_COLUMNS if isinstance(row.get(c), str) and row[c].strip()), None)
    if text is None or (label is None and reference is None):
        raise DatasetError(
            f"{where}: each row needs `text` and a label ({', '.join(LABEL_COLUMNS)}) or a reference answer"
        )
    return Example(text, str(label or "").strip(), reference)


def metrics(truth: list[str], predicted: list[str]) -> dict:
    pairs = list(zip(truth, predicted, strict=True))
    labels = sorted(set(truth) | set(predicted))
    f1s = []
    for label in labels:
        tp = sum(t == p == label for t, p in pairs)
        fp = sum(p == label and t != label for t, p in pairs)
        fn = sum(t == label and p != label for t, p in pairs)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    in_scope = [(t, p) for t, p in pairs if t != OUT_OF_SCOPE]
    oos = [(t, p) for t, p in pairs if t == OUT_OF_SCOPE]
    confusions = Counter((t, p) for t, p in pairs if t != p).most_common(10)
    return {
        "n": len(pairs),
        "accuracy": sum(t == p for t, p in pairs) / len(pairs) if pairs else 0.0,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "in_scope_accuracy": sum(t == p for t, p in in_scope) / len(in_scope) if in_scope else None,
        "oos_recall": sum(p == OUT_OF_SCOPE for _, p in oos) / len(oos) if oos else None,
        "confusions": [{"label": t, "predicted": p, "count": c} for (t, p), c in confusions],
    }
