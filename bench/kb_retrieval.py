"""Which passages answer the question, on the shipped example knowledge: the brain's own choice
(router, retrieval, one passage per part of the question), for several weights of the whole question
in each part's query (0 = each part alone).

python -m bench.kb_retrieval [--json bench/results/kb_retrieval.json]

`bench/data/kb_questions.csv` (see `kb_questions.md`): 150 customer questions written for this project,
50 per language, 105 single and 45 two-part, labelled `Title / Section` (two labels for a two-part
question), split dev / held-out. Weights were compared on dev; held-out is reported beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import tempfile
from pathlib import Path

from app.container import open_services
from app.settings import Settings
from bench.report import report
from brain import answering
from brain.types import Turn

QUESTIONS = Path(__file__).parent / "data" / "kb_questions.csv"
# The whole question's share in each part's query; None: only the whole question's passage, as before.
CONTEXTS = (None, 0.0, 0.5, 1.0)  # (for parts of at most SHORT_PART_WORDS words)


def score(rows: list[dict], chosen: list[list[str]]) -> dict:
    sizes = [len(c) for c in chosen]
    """Single: the first passage is the labelled one. Two-part: every labelled section is among those chosen."""
    single = [c[:1] == [r["label"]] for r, c in zip(rows, chosen, strict=True) if r["kind"] == "single"]
    both = [set(r["label"].split(" | ")) <= set(c) for r, c in zip(rows, chosen, strict=True) if r["kind"] != "single"]
    return {
        "single_hit@1": round(sum(single) / max(1, len(single)), 3),
        "two_part_both": round(sum(both) / max(1, len(both)), 3),
        "passages_per_answer": round(sum(sizes) / max(1, len(sizes)), 2),
        "n_single": len(single),
        "n_two_part": len(both),
    }


async def choose(services, text: str, whole_only: bool = False) -> list[str]:
    brain = services.brain
    turn = Turn(text=text, conversation_id="bench", channel="bench")
    route = await brain.route(turn)
    vector = await services.knowledge.embed_query(text)
    passages, picks = await brain.choose_passages(
        turn, route, brain.playbook.category(route.category), vector, await services.knowledge.version()
    )
    floor = brain.similarity_floor
    return [f"{p.title} / {p.section}" for p in (passages[:1] if whole_only else picks) if p.confident(floor)]


def missed(row: dict, chosen: list[str]) -> bool:
    if row["kind"] == "single":
        return chosen[:1] != [row["label"]]
    return not set(row["label"].split(" | ")) <= set(chosen)


async def run() -> dict:
    rows = list(csv.DictReader(QUESTIONS.open(encoding="utf-8")))
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with open_services(Settings.from_flat(_env_file=None, data_dir=Path(tmp))) as services:
            picker = services.brain.picker
            for setting in CONTEXTS:
                if setting is None:
                    chosen = [await choose(services, row["text"], whole_only=True) for row in rows]
                    name = "whole question's passage only"
                else:
                    picker.context_weight = setting
                    chosen = [await choose(services, row["text"]) for row in rows]
                    name = f"then one per part, context weight {setting}"
                for split in ("dev", "heldout"):
                    part = [(r, c) for r, c in zip(rows, chosen, strict=True) if r["split"] == split]
                    results[f"{name} {split}"] = score([r for r, _ in part], [c for _, c in part])
                results[f"{name} misses"] = [
                    {"text": r["text"], "expected": r["label"], "got": c}
                    for r, c in zip(rows, chosen, strict=True)
                    if missed(r, c)
                ]
            picker.context_weight = answering.CONTEXT_WEIGHT
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kb_retrieval", description=__doc__)
    parser.add_argument("--json", type=Path, default=Path("bench/results/kb_retrieval.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(run())
    rows = []
    for name in [k.removesuffix(" dev") for k in results if k.endswith(" dev")]:
        for split in ("dev", "heldout"):
            r = results[f"{name} {split}"]
            rows.append(
                (
                    f"{name}, {split}",
                    f"single hit@1 {r['single_hit@1']:.3f} (n={r['n_single']}), two-part both "
                    f"{r['two_part_both']:.3f} (n={r['n_two_part']}), {r['passages_per_answer']} passages",
                )
            )
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
