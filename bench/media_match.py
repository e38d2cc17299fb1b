"""Asset-match accuracy: labelled requests (bench/data/media_requests.csv, ru/uk/en, buyers and partners)
against a catalogue (bench/data/media_catalog.yaml), through the product's own decision (`brain.media`):
does the message ask for a file, which asset is sent, is a buyer refused a partner-only one.

python -m bench.media_match [--json bench/results/media_match.json]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bench.report import report
from brain.media import CatalogEntry, MediaMatcher, names_a_file
from storage.embeddings import LocalEmbedder
from storage.media_assets import asset_summary

DATA = Path(__file__).parent / "data"


def load(catalog_path: Path, requests_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    catalog = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))
    with requests_path.open(encoding="utf-8") as handle:
        return catalog, list(csv.DictReader(handle))


async def evaluate(catalog: list[dict[str, Any]], rows: list[dict[str, str]]) -> dict[str, Any]:
    embedder = LocalEmbedder()
    summaries = [asset_summary(a["title"], a["description"], a["tags"]) for a in catalog]
    vectors = await embedder.embed_passages(summaries)
    matcher = MediaMatcher()
    matcher.load(
        [CatalogEntry(a["id"], a["kind"], a["title"], a["audience"], a["language"]) for a in catalog],
        [list(map(float, v)) for v in vectors],
    )
    queries = await embedder.embed_queries([r["text"] for r in rows])
    outcomes: list[dict[str, Any]] = []
    for row, query in zip(rows, queries, strict=True):
        choice = matcher.choose(query, row["audience"])
        if not names_a_file(row["text"]):
            predicted, offered = "none", []
        else:
            offered = [e.asset_id for e in choice.assets]
            predicted = {"send": offered[0] if offered else "none", "refuse": "refuse", "none": "none"}.get(
                choice.outcome, "choose"
            )
        expected = row["expected"]
        correct = predicted == expected or (predicted == "choose" and expected in offered)
        partner_only = {a["id"] for a in catalog if a["audience"] == "partner"}
        leaked = row["audience"] != "partner" and predicted in partner_only
        outcomes.append(
            {**row, "predicted": predicted, "offered": offered, "score": round(choice.score, 4), "correct": correct}
            | {"leaked": leaked}
        )
    by_language = {
        lang: round(100 * sum(o["correct"] for o in group) / len(group), 1)
        for lang in ("ru", "uk", "en")
        if (group := [o for o in outcomes if o["language"] == lang])
    }
    sends = [o for o in outcomes if o["expected"] not in ("none", "refuse")]
    return {
        "requests": len(rows),
        "assets": len(catalog),
        "accuracy": round(100 * sum(o["correct"] for o in outcomes) / len(outcomes), 1),
        "by_language": by_language,
        "right_asset_when_one_fits": round(100 * sum(o["correct"] for o in sends) / len(sends), 1),
        "asked_which_one": sum(o["predicted"] == "choose" for o in outcomes),
        "partner_only_sent_to_buyers": sum(o["leaked"] for o in outcomes),
        "confusions": Counter(f"{o['expected']} -> {o['predicted']}" for o in outcomes if not o["correct"]),
        "outcomes": outcomes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.media_match", description=__doc__)
    parser.add_argument("--catalog", type=Path, default=DATA / "media_catalog.yaml")
    parser.add_argument("--requests", type=Path, default=DATA / "media_requests.csv")
    parser.add_argument("--json", type=Path, default=Path("bench/results/media_match.json"))
    args = parser.parse_args(argv)
    result = asyncio.run(evaluate(*load(args.catalog, args.requests)))
    rows = [
        ("requests / assets", f"{result['requests']} / {result['assets']}"),
        ("accuracy (send the right one, refuse, or nothing)", f"{result['accuracy']} %"),
        ("by language ru / uk / en", " / ".join(f"{v} %" for v in result["by_language"].values())),
        ("right asset when one fits", f"{result['right_asset_when_one_fits']} %"),
        ("asked which one (counted right when offered)", str(result["asked_which_one"])),
        ("partner-only assets sent to buyers", str(result["partner_only_sent_to_buyers"])),
    ]
    for confusion, count in result["confusions"].most_common(8):
        rows.append((f"  miss: {confusion}", str(count)))
    report(rows, result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
