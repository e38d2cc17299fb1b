"""Rule-based lead fields (`brain.lead_fields`) against the field columns of bench/data/leads.csv.

python -m bench.lead_fields [--json bench/results/lead_fields.json] [--show-errors]

A field is correct when the extracted value, written the way the CSV writes it, equals the cell
(case-insensitive, whitespace normalised; empty = empty). Tuning rows (train + dev) and heldout rows
are reported apart: heldout is the honest figure. `--show-errors` lists tuning-row mistakes only.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from brain.lead_fields import extract_fields, format_quantity

DATA = Path(__file__).resolve().parent / "data" / "leads.csv"
TODAY = date(2026, 12, 1)  # the date the data set was written (leads.md)
PRODUCTS = {
    "Office 200": [],
    "Barista Pro": [],
    "Compact 80": [],
    "Grinder G64": ["G64", "гриндер G64", "кавомолка G64", "кавомолки G64", "grinder G64"],
}
COLUMNS = {
    "quantity": "quantity",
    "timeline": "timeline",
    "budget": "budget",
    "company": "company",
    "decision_role": "decision_role",
    "product": "product_interest",
    "contact": "contact",
}


def as_cell(key: str, value: Any) -> str:
    """An extracted value written like the CSV cell of its column."""
    if value is None:
        return ""
    if key == "quantity":
        return "; ".join(format_quantity(q) for q in value)
    if key == "timeline":
        return value["text"]
    if key == "budget":
        return f"{value['amount']} {value['currency']}" if "amount" in value else "approved"
    if key == "product_interest":
        return "; ".join(value)
    if key == "contact":
        return next((value[k] for k in ("phone", "email", "telegram") if value.get(k)), "")
    return str(value)


def same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def score(rows: list[dict[str, str]]) -> tuple[dict[str, dict[str, float]], list[tuple[str, str, str, str]]]:
    """Per-field accuracy, precision and recall, and the mistakes (id, field, expected, got)."""
    counts = {c: {"correct": 0, "tp": 0, "predicted": 0, "expected": 0} for c in COLUMNS}
    mistakes = []
    for row in rows:
        fields = extract_fields([row["text"]], products=PRODUCTS, today=TODAY)
        for column, key in COLUMNS.items():
            got, expected = as_cell(key, fields.get(key)), row[column]
            ok = same(got, expected)
            tally = counts[column]
            tally["correct"] += ok
            tally["predicted"] += bool(got)
            tally["expected"] += bool(expected)
            tally["tp"] += ok and bool(got)
            if not ok:
                mistakes.append((row["id"], column, expected, got))
    result = {}
    for column, t in counts.items():
        result[column] = {
            "accuracy": round(t["correct"] / len(rows), 3) if rows else 0.0,
            "precision": round(t["tp"] / t["predicted"], 3) if t["predicted"] else 1.0,
            "recall": round(t["tp"] / t["expected"], 3) if t["expected"] else 1.0,
            "filled": t["expected"],
        }
    return result, mistakes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--show-errors", action="store_true", help="list the mistakes on train + dev rows")
    args = parser.parse_args(argv)
    rows = list(csv.DictReader(DATA.open(encoding="utf-8")))
    splits = {
        "train+dev": [r for r in rows if r["split"] in ("train", "dev")],
        "heldout": [r for r in rows if r["split"] == "heldout"],
    }
    results: dict[str, Any] = {"today": TODAY.isoformat(), "rows": {k: len(v) for k, v in splits.items()}}
    scored = {name: score(split) for name, split in splits.items()}
    print(f"{'field':<14} | {'train+dev acc':>13} {'P':>6} {'R':>6} | {'heldout acc':>11} {'P':>6} {'R':>6}")
    print("-" * 74)
    for column in COLUMNS:
        a, h = scored["train+dev"][0][column], scored["heldout"][0][column]
        print(
            f"{column:<14} | {a['accuracy']:>13.1%} {a['precision']:>6.1%} {a['recall']:>6.1%} | "
            f"{h['accuracy']:>11.1%} {h['precision']:>6.1%} {h['recall']:>6.1%}"
        )
    for name, (figures, _) in scored.items():
        results[name] = figures
        results[name]["mean_accuracy"] = round(sum(f["accuracy"] for f in figures.values()) / len(figures), 3)
    print(
        f"{'mean':<14} | {results['train+dev']['mean_accuracy']:>13.1%} {'':>13} | "
        f"{results['heldout']['mean_accuracy']:>11.1%}"
    )
    print(f"rows: train+dev {len(splits['train+dev'])}, heldout {len(splits['heldout'])}; today = {TODAY}")
    if args.show_errors:
        for row_id, column, expected, got in scored["train+dev"][1]:
            print(f"  {row_id} {column}: expected {expected!r}, got {got!r}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
