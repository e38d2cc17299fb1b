"""Knowledge base: retrieval quality on XQuAD-R, ingestion throughput, query latency at scale.

python -m bench.knowledge_bench [--eval-dir ../shared/eval] [--sizes 10000 100000]

- XQuAD-R (protocol in ../shared/eval/README.md): every sentence of every paragraph is a candidate;
  each question must retrieve the sentence holding its answer. ru->ru, en->en, ru->en, with the
  product's own embedder: dense alone (exact cosine over all candidates) and hybrid (the product's
  fusion of dense and BM25 candidates).
- Ingestion: a generated 100-page PDF through KnowledgeBase.ingest_file on embedded defaults.
- Query latency: a Chroma collection on disk filled with N synthetic unit vectors (embedding cost
  excluded and reported separately), queried with the same language filter the brain uses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.report import report
from brain.knowledge.base import CANDIDATES, fused_order
from brain.knowledge.lexical import LexicalIndex
from storage.embeddings import LocalEmbedder

BATCH = 64


def rss_mb() -> float:
    for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_xquad(path: Path) -> tuple[list[str], dict[str, int], list[tuple[str, str]]]:
    """Candidate sentences, question id -> index of its answer sentence, and (question id, question)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    sentences: list[str] = []
    answer_of: dict[str, int] = {}
    questions: list[tuple[str, str]] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            base = len(sentences)
            sentences += paragraph["sentences"]
            breaks = paragraph["sentence_breaks"]
            for qa in paragraph["qas"]:
                start = qa["answers"][0]["answer_start"]
                index = next((i for i, (a, b) in enumerate(breaks) if a <= start < b), len(breaks) - 1)
                answer_of[qa["id"]] = base + index
                questions.append((qa["id"], qa["question"]))
    return sentences, answer_of, questions


async def embed(embedder: LocalEmbedder, texts: list[str], query: bool) -> np.ndarray:
    call = embedder.embed_queries if query else embedder.embed_passages
    return np.vstack([await call(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])


def ranks(q: np.ndarray, pool: np.ndarray, targets: np.ndarray) -> np.ndarray:
    sims = q @ pool.T
    target_scores = sims[np.arange(len(q)), targets]
    return (sims > target_scores[:, None]).sum(axis=1) + 1


def hybrid_ranks(
    q: np.ndarray, pool: np.ndarray, questions: list[str], sentences: list[str], targets: np.ndarray
) -> np.ndarray:
    """The product's fusion: dense top-20 and BM25 top-20 candidates, ordered by fused_order."""
    index = LexicalIndex()
    for i, sentence in enumerate(sentences):
        index.add(str(i), sentence, "xquad", "kb", "")
    sims = q @ pool.T
    out = []
    for row, question, target in zip(sims, questions, targets, strict=True):
        words = index.search(question, CANDIDATES)
        candidates = {str(i) for i in np.argsort(-row)[:CANDIDATES]} | set(words)
        order = fused_order({i: float(row[int(i)]) for i in candidates}, words)
        out.append(order.index(str(target)) + 1 if str(target) in order else 10**6)
    return np.array(out)


def lexical_latency(size: int, queries: int = 200) -> dict:
    """BM25 search over `size` synthetic 60-word chunks drawn from a 20k-word vocabulary."""
    rng = random.Random(2)
    vocabulary = [f"w{i}" for i in range(20_000)]
    weights = [1 / (i + 1) for i in range(len(vocabulary))]  # Zipf-like, as in real text
    index = LexicalIndex()
    started = time.perf_counter()
    for i in range(size):
        index.add(str(i), " ".join(rng.choices(vocabulary, weights, k=60)), str(i // 50), "kb", "en")
    build_s = time.perf_counter() - started
    latencies = []
    for _ in range(queries):
        query = " ".join(rng.choices(vocabulary, weights, k=8))
        t0 = time.perf_counter()
        index.search(query, CANDIDATES, ["kb"], "en")
        latencies.append((time.perf_counter() - t0) * 1000)
    return {
        "chunks": size,
        "build_s": round(build_s, 1),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
    }


async def xquad(eval_dir: Path) -> dict:
    embedder = LocalEmbedder()
    data = {lang: load_xquad(eval_dir / f"xquad_r/{lang}.json") for lang in ("en", "ru")}
    pools = {lang: await embed(embedder, data[lang][0], query=False) for lang in data}
    queries = {lang: await embed(embedder, [q for _, q in data[lang][2]], query=True) for lang in data}
    out = {}
    for source, target in (("ru", "ru"), ("en", "en"), ("ru", "en")):
        ids = [qid for qid, _ in data[source][2]]
        targets = np.array([data[target][1][qid] for qid in ids])
        questions = [q for _, q in data[source][2]]
        for method, r in (
            ("dense", ranks(queries[source], pools[target], targets)),
            ("hybrid", hybrid_ranks(queries[source], pools[target], questions, data[target][0], targets)),
        ):
            out[f"{source}->{target} {method}"] = {
                "hit@1": float((r == 1).mean()),
                "hit@5": float((r <= 5).mean()),
                "mrr": float((1 / r).mean()),
                "questions": len(ids),
                "candidates": len(data[target][0]),
            }
    return out


async def ingestion(pages: int) -> dict:
    from app.container import open_services
    from app.settings import Settings
    from tests.fakes.files import text_pdf

    words = [
        "coffee",
        "machine",
        "service",
        "warranty",
        "delivery",
        "rental",
        "price",
        "office",
        "cafe",
        "grinder",
        "milk",
    ]
    rng = random.Random(1)
    content = [" ".join(rng.choice(words) for _ in range(90)) + f" page {i}" for i in range(pages)]
    pdf = text_pdf(*content)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_flat(_env_file=None, data_dir=Path(tmp))
        async with open_services(settings, seed_knowledge=False) as services:
            started = time.perf_counter()
            result = await services.knowledge.ingest_file("manual.pdf", pdf)
            seconds = time.perf_counter() - started
    return {
        "pages": result.pages,
        "chunks": result.chunks,
        "seconds": round(seconds, 2),
        "pages_per_s": round(result.pages / seconds, 1),
        "chunks_per_s": round(result.chunks / seconds, 1),
    }


def query_latency(size: int, queries: int = 200) -> dict:
    """The product's filtered query (VectorCollection.query, 20 candidates, namespace + language filter)
    over `size` synthetic unit vectors in three languages, next to Chroma's own filter."""
    from storage.vectors import VectorCollection, open_chroma

    rng = np.random.default_rng(0)
    where = {"$and": [{"namespace": {"$in": ["kb"]}}, {"lang": "en"}]}
    with tempfile.TemporaryDirectory() as tmp:
        collection = VectorCollection(open_chroma(Path(tmp), None, 0), "bench")
        started = time.perf_counter()
        for start in range(0, size, 5000):
            n = min(5000, size - start)
            vectors = rng.standard_normal((n, 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            metadatas = [{"lang": ("en", "ru", "uk")[i % 3], "namespace": "kb"} for i in range(n)]
            asyncio.run(collection.upsert([str(start + i) for i in range(n)], vectors, ["chunk text"] * n, metadatas))
        load_s = time.perf_counter() - started

        def timed(call) -> list[float]:
            latencies = []
            for _ in range(queries):
                q = rng.standard_normal(384).astype(np.float32)
                q /= np.linalg.norm(q)
                t0 = time.perf_counter()
                call(q)
                latencies.append((time.perf_counter() - t0) * 1000)
            return latencies

        product = timed(lambda q: asyncio.run(collection.query(q, 20, where)))
        chroma_filter = timed(lambda q: asyncio.run(collection._nearest(q, 20, where)))
    return {
        "chunks": size,
        "load_s": round(load_s, 1),
        "p50_ms": round(float(np.percentile(product, 50)), 1),
        "p95_ms": round(float(np.percentile(product, 95)), 1),
        "chroma_filter_p50_ms": round(float(np.percentile(chroma_filter, 50)), 1),
        "chroma_filter_p95_ms": round(float(np.percentile(chroma_filter, 95)), 1),
        "rss_mb": round(rss_mb(), 0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.knowledge_bench", description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--json", type=Path, default=Path("bench/results/knowledge.json"))
    args = parser.parse_args(argv)
    results: dict = {"xquad_r": asyncio.run(xquad(args.eval_dir))}
    results["ingestion"] = asyncio.run(ingestion(args.pages))
    embedder = LocalEmbedder()
    t0 = time.perf_counter()
    for _ in range(50):
        embedder.encode_sync(["how long does delivery take"], True)
    results["query_embedding_ms"] = round((time.perf_counter() - t0) * 1000 / 50, 1)
    results["query_latency"] = [query_latency(size) for size in args.sizes]
    results["lexical_latency"] = [lexical_latency(size) for size in args.sizes]
    rows = [
        (f"XQuAD-R {pair} hit@1 / hit@5 / MRR", f"{m['hit@1']:.3f} / {m['hit@5']:.3f} / {m['mrr']:.3f}")
        for pair, m in results["xquad_r"].items()
    ]
    ing = results["ingestion"]
    rows.append(
        (
            f"ingest {ing['pages']}-page PDF",
            f"{ing['seconds']} s, {ing['pages_per_s']} pages/s, {ing['chunks_per_s']} chunks/s",
        )
    )
    rows.append(("query embedding (one message)", f"{results['query_embedding_ms']} ms"))
    for q in results["query_latency"]:
        rows.append(
            (
                f"filtered query at {q['chunks']:,} chunks p50 / p95",
                f"{q['p50_ms']} / {q['p95_ms']} ms (Chroma's own filter {q['chroma_filter_p50_ms']} / "
                f"{q['chroma_filter_p95_ms']} ms; load {q['load_s']} s, RSS {q['rss_mb']:.0f} MB)",
            )
        )
    for q in results["lexical_latency"]:
        rows.append(
            (
                f"BM25 search at {q['chunks']:,} chunks p50 / p95",
                f"{q['p50_ms']} / {q['p95_ms']} ms (build {q['build_s']} s)",
            )
        )
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
