"""Retrieval on the shipped example knowledge: does the right section come first? Dense vs hybrid.

python -m bench.kb_retrieval [--json bench/results/kb_retrieval.json]

`bench/data/kb_questions.csv`: 48 customer questions written for this project (16 per language,
one or more per section of the 16 sections... labels `file:section-index`, the same in ru/uk/en).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import sys
import tempfile
from pathlib import Path

from app.container import example_knowledge_dir, open_services
from app.settings import Settings
from bench.report import report
from brain.language import detect_language

QUESTIONS = Path(__file__).parent / "data" / "kb_questions.csv"
WEIGHTS = (0.0, 0.005, 0.01, 0.02, 0.05)


def section_labels(folder: Path) -> dict[tuple[str, str], str]:
    """(document name, section heading) -> "file:index", for every language folder."""
    labels = {}
    for path in sorted(folder.rglob("*.md")):
        headings = re.findall(r"^## (.+)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
        for index, heading in enumerate(headings):
            labels[(path.relative_to(folder).as_posix(), heading.strip())] = f"{path.stem}:{index}"
    return labels


async def run() -> dict:
    rows = list(csv.DictReader(QUESTIONS.open(encoding="utf-8")))
    labels = section_labels(example_knowledge_dir())
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with open_services(Settings.from_flat(_env_file=None, data_dir=Path(tmp))) as services:
            knowledge = services.knowledge
            for weight in WEIGHTS:
                knowledge.lexical_weight = weight
                hits, misses = 0, []
                for row in rows:
                    passages = await knowledge.search(row["text"], language=detect_language(row["text"]))
                    got = labels.get((passages[0].document, passages[0].section)) if passages else None
                    hits += got == row["label"]
                    if got != row["label"]:
                        misses.append({"text": row["text"], "expected": row["label"], "got": got})
                results[f"weight {weight}"] = {"hit@1": hits / len(rows), "questions": len(rows), "misses": misses}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kb_retrieval", description=__doc__)
    parser.add_argument("--json", type=Path, default=Path("bench/results/kb_retrieval.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(run())
    rows = [
        (f"lexical weight {name.split()[1]}", f"hit@1 {r['hit@1']:.3f} ({r['questions']} questions)")
        for name, r in results.items()
    ]
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
