"""Hot / Warm / Cold on the labelled BrewPoint data, offline: accuracy per split for single messages and
for conversations, and the confusion table (true -> predicted).

python -m bench.lead_temperature [--json bench/results/lead_temperature.json]

`bench/data/leads.csv` (330 messages) and `lead_conversations.jsonl` (60 conversations), labelled by the
rule in `bench/data/leads.md`, split train / dev / heldout. Three set-ups:

- rules: `rule_assessment` alone (phrase rules, no examples);
- qualifier, examples = train: `LeadQualifier` taught the `train` messages, so dev and heldout are unseen
  (its train figure is on its own examples);
- qualifier, sample playbook: taught the sample playbook's examples, as `closer serve` is; those include
  the train and dev messages, so only its heldout figure is on unseen data.

The rules and the examples were tuned on train and dev only; heldout is the figure to quote. Misses are
listed for train and dev (to work on), never for heldout.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections import Counter
from pathlib import Path

from app.playbook_parts import playbook_lead_examples
from bench.report import report
from brain.leads import LeadQualifier, rule_assessment
from brain.playbook import load_playbook
from storage.embeddings import LocalEmbedder, QueryMemo

DATA = Path(__file__).parent / "data"
SPLITS = ("train", "dev", "heldout")
LABELS = ("hot", "warm", "cold")
SAMPLE_PLAYBOOK = Path(__file__).parent.parent / "brain" / "sample" / "playbook.yaml"


def load() -> tuple[list[dict], list[dict]]:
    with (DATA / "leads.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    messages = [{"id": r["id"], "texts": [r["text"]], "label": r["label"], "split": r["split"]} for r in rows]
    with (DATA / "lead_conversations.jsonl").open(encoding="utf-8") as file:
        conversations = [json.loads(line) for line in file if line.strip()]
    return messages, [{**c, "texts": c["messages"]} for c in conversations]


def score(items: list[dict], predicted: list[str]) -> dict:
    out: dict = {}
    for split in SPLITS:
        pairs = [(i, p) for i, p in zip(items, predicted, strict=True) if i["split"] == split]
        confusion = Counter(f"{i['label']}->{p}" for i, p in pairs)
        out[split] = {
            "accuracy": round(sum(i["label"] == p for i, p in pairs) / max(1, len(pairs)), 3),
            "n": len(pairs),
            "confusion": {f"{t}->{p}": confusion[f"{t}->{p}"] for t in LABELS for p in LABELS},
        }
        if split != "heldout":
            out[split]["misses"] = [
                {"id": i["id"], "texts": i["texts"], "label": i["label"], "predicted": p}
                for i, p in pairs
                if i["label"] != p
            ]
    return out


async def run() -> dict:
    messages, conversations = load()
    embedder = QueryMemo(LocalEmbedder(), everything=True)
    try:
        await embedder.embed_queries([i["texts"][-1] for i in messages + conversations])  # one batch
        train = [m for m in messages if m["split"] == "train"]
        from_train = LeadQualifier(embedder)
        await from_train.learn([m["texts"][0] for m in train], [m["label"] for m in train])
        from_playbook = LeadQualifier(embedder)
        await from_playbook.learn(*playbook_lead_examples(load_playbook(SAMPLE_PLAYBOOK)))
        results: dict = {}
        for kind, items in (("messages", messages), ("conversations", conversations)):
            results[f"rules {kind}"] = score(items, [rule_assessment(i["texts"]).temperature for i in items])
            for name, qualifier in (("examples = train", from_train), ("sample playbook", from_playbook)):
                predicted = [(await qualifier.assess(i["texts"])).temperature for i in items]
                results[f"qualifier, {name} {kind}"] = score(items, predicted)
        return results
    finally:
        embedder.close()


def confusion_table(confusion: dict[str, int]) -> list[tuple[str, str]]:
    rows = [("  true \\ predicted", "   ".join(f"{p:>4}" for p in LABELS))]
    for t in LABELS:
        rows.append((f"  {t}", "   ".join(f"{confusion[f'{t}->{p}']:>4}" for p in LABELS)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lead_temperature", description=__doc__)
    parser.add_argument("--json", type=Path, default=Path("bench/results/lead_temperature.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(run())
    rows = []
    for name, result in results.items():
        rows.append((name, "  ".join(f"{s} {result[s]['accuracy']:.3f} (n={result[s]['n']})" for s in SPLITS)))
    for name, result in results.items():
        rows.append((f"confusion heldout, {name}", ""))
        rows += confusion_table(result["heldout"]["confusion"])
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
