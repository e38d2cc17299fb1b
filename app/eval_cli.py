"""`closer eval`: run a labelled file through the brain and print metrics (JSON with --json)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from tqdm import tqdm

from app.settings import Settings
from brain.classifier import OUT_OF_SCOPE, IntentClassifier
from brain.evaluation import DatasetError, Example, load_examples, metrics
from brain.playbook import load_playbook
from brain.router import OfflineRouter
from brain.types import Turn
from storage.embeddings import Embedder, LocalEmbedder

BATCH = 64


async def run_eval(
    settings: Settings,
    task: str,
    test: Path,
    train: Path | None,
    out: Path | None,
    compare: Path | None,
    compare_model: str | None = None,
) -> int:
    try:
        test_rows = load_examples(test)
        train_rows = load_examples(train) if train else None
    except DatasetError as exc:
        print(f"closer: error: {exc}", file=sys.stderr)
        return 2
    if not test_rows:
        print(f"closer: error: {test}: no rows", file=sys.stderr)
        return 2
    unlabelled = [r for r in test_rows + (train_rows or []) if not r.label]
    if unlabelled and task != "answer":
        print(f"closer: error: --task {task} needs a label in every row", file=sys.stderr)
        return 2
    if task == "answer" and (compare is not None or compare_model):
        from app.answer_lab import compare_answers, print_comparison

        comparison = await compare_answers(settings, test_rows, compare, compare_model)
        print_comparison(comparison)
        if out is not None:
            await asyncio.to_thread(_write, out, json.dumps(comparison, indent=2, ensure_ascii=False))
            print(f"written to {out}")
        return 0
    if task == "answer" and unlabelled:
        print("closer: error: rows with only a reference answer need --compare", file=sys.stderr)
        return 2
    if task == "router":
        embedder = LocalEmbedder()
        result = await eval_router(settings, embedder, test_rows, train_rows, settings.playbook)
        results = {"run": result}
        if compare is not None:
            results["compare"] = await eval_router(settings, embedder, test_rows, train_rows, compare)
    elif task == "lead":
        results = {"run": await eval_lead(LocalEmbedder(), test_rows, train_rows, settings.playbook)}
    elif task == "answer":
        if train_rows:
            print(
                "closer: error: --train is not used by --task answer (the knowledge base is the training data)",
                file=sys.stderr,
            )
            return 2
        results = {"run": await eval_answer(settings, test_rows)}
    else:
        print(f"closer: error: unknown task {task}", file=sys.stderr)
        return 2
    print_table(results)
    if out is not None:
        payload = json.dumps(results["run"] if len(results) == 1 else results, indent=2, ensure_ascii=False)
        await asyncio.to_thread(_write, out, payload)
        print(f"written to {out}")
    return 0


async def eval_router(
    settings: Settings,
    embedder: Embedder,
    test_rows: list[Example],
    train_rows: list[Example] | None,
    playbook_path: Path | None,
) -> dict:
    if train_rows:
        classifier = IntentClassifier(embedder)
        await classifier.load_negatives()  # used only when the training file has no `oos` rows
        vectors, latent = await embed_features([r.text for r in train_rows], embedder, "embedding train")
        classifier.fit_vectors([r.text for r in train_rows], vectors, [r.label for r in train_rows], latent)
        source = "train file"
    else:
        from app.playbook_parts import router_classifier

        playbook = load_playbook(playbook_path)
        classifier = router_classifier(playbook, embedder)
        await OfflineRouter.build(playbook, classifier)
        source = str(playbook_path or "bundled playbook")
    texts = [r.text for r in test_rows]
    vectors, latent = await embed_features(texts, embedder, "embedding test")
    started = time.perf_counter()
    predictions = classifier.predict_vectors(vectors, texts, latent)
    classify_ms = (time.perf_counter() - started) * 1000 / len(texts)
    latencies = []
    for text in texts[:100]:  # a single message end to end: embedding + classification, as in production
        t0 = time.perf_counter()
        await classifier.predict([text])
        latencies.append((time.perf_counter() - t0) * 1000)
    result = metrics([r.label for r in test_rows], [p.label for p in predictions])
    result.update(
        {
            "task": "router",
            "examples_from": source,
            "threshold": classifier.threshold,
            "predictions": [p.label for p in predictions],
            "latency_ms": {
                "p50": float(np.percentile(latencies, 50)),
                "p95": float(np.percentile(latencies, 95)),
                "classify_only_per_text": classify_ms,
            },
            "llm_calls": 0,
            "cost_usd": 0.0,
        }
    )
    return result


async def eval_lead(
    embedder: Embedder, test_rows: list[Example], train_rows: list[Example] | None, playbook_path: Path | None = None
) -> dict:
    """Label = hot | warm | cold. The qualifier knows the playbook's examples, as in serving; training rows
    become more labelled examples."""
    from app.playbook_parts import playbook_lead_examples
    from brain.leads import LeadQualifier

    qualifier = LeadQualifier(embedder)
    await qualifier.learn(*playbook_lead_examples(load_playbook(playbook_path)))
    if train_rows:
        await qualifier.learn([r.text for r in train_rows], [r.label.lower() for r in train_rows])
    predictions, latencies = [], []
    for row in tqdm(test_rows, desc="qualifying", unit="msg", file=sys.stderr):
        t0 = time.perf_counter()
        predictions.append((await qualifier.assess([row.text])).temperature)
        latencies.append((time.perf_counter() - t0) * 1000)
    result = metrics([r.label.lower() for r in test_rows], predictions)
    result.update(
        {
            "task": "lead",
            "predictions": predictions,
            "llm_calls": 0,
            "cost_usd": 0.0,
            "latency_ms": {"p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95))},
        }
    )
    return result


async def eval_answer(settings: Settings, test_rows: list[Example]) -> dict:
    """Label = the source document the answer must come from, or `oos` for "should not answer"."""
    from app.container import open_services

    async with open_services(settings) as services:
        predictions, latencies, cost, calls = [], [], 0.0, 0
        for i, row in enumerate(tqdm(test_rows, desc="answering", unit="q")):
            t0 = time.perf_counter()
            reply = await services.brain.reply(Turn(text=row.text, conversation_id=f"eval-{i}", channel="eval"))
            latencies.append((time.perf_counter() - t0) * 1000)
            predictions.append(reply.sources[0] if reply.sources else OUT_OF_SCOPE)
            cost += reply.usage.cost_usd
            calls += reply.usage.llm_calls
    result = metrics([r.label for r in test_rows], predictions)
    result.update(
        {
            "task": "answer",
            "predictions": predictions,
            "llm_calls": calls,
            "cost_usd": cost,
            "latency_ms": {"p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95))},
        }
    )
    return result


async def embed_features(
    texts: list[str], embedder: Embedder, desc: str
) -> tuple[np.ndarray, sparse.csr_matrix | None]:
    """Dense embeddings and, when the embedder has them, latent terms; one progress bar for both."""
    parts, latent_parts = [], []
    with tqdm(total=len(texts), desc=desc, unit="text", file=sys.stderr) as bar:
        for start in range(0, len(texts), BATCH):
            batch = texts[start : start + BATCH]
            parts.append(await embedder.embed_queries(batch))
            latent_parts.append(await embedder.latent_terms(batch))
            bar.update(len(batch))
    latent = None if any(p is None for p in latent_parts) else sparse.vstack(latent_parts).tocsr()
    return np.vstack(parts), latent


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def print_table(results: dict) -> None:
    names = list(results)
    rows = [
        ("n", "n"),
        ("accuracy", "accuracy"),
        ("macro-F1", "macro_f1"),
        ("in-scope accuracy", "in_scope_accuracy"),
        ("out-of-scope recall", "oos_recall"),
    ]
    print(f"{'metric':22}" + "".join(f"{name:>14}" for name in names))
    for title, key in rows:
        cells = []
        for name in names:
            value = results[name].get(key)
            cells.append("-" if value is None else (f"{value}" if key == "n" else f"{value:.2%}"))
        print(f"{title:22}" + "".join(f"{c:>14}" for c in cells))
    for name in names:
        lat = results[name]["latency_ms"]
        print(f"{'latency p50/p95 ms':22}{lat['p50']:>8.1f} / {lat['p95']:.1f}  ({name})")
        print(f"{'LLM calls / cost':22}{results[name]['llm_calls']:>8} / ${results[name]['cost_usd']:.4f}  ({name})")
    confusions = results[names[0]]["confusions"][:5]
    if confusions:
        print("most frequent confusions (label -> predicted):")
        for c in confusions:
            print(f"  {c['label']} -> {c['predicted']}: {c['count']}")
