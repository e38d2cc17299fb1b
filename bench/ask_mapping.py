"""`/ask` mapping accuracy: phrased manager questions (ru / uk / en, some unanswerable) read by the offline
rules onto the metric catalogue; a question counts as right only when metric, period, channel, temperature
and grouping all match (or it is refused and should be).

The set was written by someone who had not seen the rules. Even rows were used while writing the rules
(dev), odd rows never looked at (held out); both are reported.

python -m bench.ask_mapping [--data bench/data/ask_questions.jsonl] [--json bench/results/ask_mapping.json]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from bench.report import report
from brain.insight_rules import read_question

FIELDS = ("metric", "period", "channel", "temperature", "group_by")


def _accuracy(hits: list[bool]) -> float:
    return round(sum(hits) / len(hits), 3) if hits else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("bench/data/ask_questions.jsonl"))
    parser.add_argument("--json", type=Path, default=Path("bench/results/ask_mapping.json"))
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_split: dict[str, list[bool]] = defaultdict(list)
    by_language: dict[str, list[bool]] = defaultdict(list)
    metric_hits: list[bool] = []
    refused_right = refused = should_refuse = 0
    misses = []
    for index, row in enumerate(rows):
        query = read_question(row["question"])
        got = query.to_dict() if query else None
        expected = row["expected"]
        hit = got == expected if expected is None or got is None else all(got[f] == expected[f] for f in FIELDS)
        by_split["dev" if index % 2 == 0 else "held_out"].append(hit)
        by_language[row["language"]].append(hit)
        metric_hits.append((got or {}).get("metric") == (expected or {}).get("metric"))
        refused += got is None
        should_refuse += expected is None
        refused_right += got is None and expected is None
        if not hit:
            misses.append({"question": row["question"], "expected": expected, "got": got})
    every = by_split["dev"] + by_split["held_out"]
    results = {
        "n": len(rows),
        "accuracy": _accuracy(every),
        "dev_accuracy": _accuracy(by_split["dev"]),
        "held_out_accuracy": _accuracy(by_split["held_out"]),
        "metric_accuracy": _accuracy(metric_hits),
        "by_language": {language: _accuracy(hits) for language, hits in sorted(by_language.items())},
        "refusal_precision": round(refused_right / refused, 3) if refused else None,
        "refusal_recall": round(refused_right / should_refuse, 3) if should_refuse else None,
        "misses": misses,
    }
    table = [
        ("questions", str(len(rows))),
        ("exact mapping accuracy", f"{results['accuracy']:.1%}"),
        ("  dev rows", f"{results['dev_accuracy']:.1%}"),
        ("  held-out rows", f"{results['held_out_accuracy']:.1%}"),
        ("metric accuracy", f"{results['metric_accuracy']:.1%}"),
        *((f"  {language}", f"{value:.1%}") for language, value in results["by_language"].items()),
        ("refusal precision / recall", f"{results['refusal_precision']} / {results['refusal_recall']}"),
    ]
    report(table, results, args.json)


if __name__ == "__main__":
    main()
