"""Dense and lexical candidates fused into one order, and Chroma metadata filters combined."""

from __future__ import annotations

from typing import Any

LEXICAL_WEIGHT = 0.05  # a chunk's BM25 share (0..1 of the best) added to its cosine; tuned on XQuAD-R


def fused_order(similarity: dict[str, float], lexical: dict[str, float], weight: float = LEXICAL_WEIGHT) -> list[str]:
    """Candidate ids, best first: cosine + weight x (BM25 / the best BM25 among them)."""
    best = max(lexical.values(), default=0.0) or 1.0
    return sorted(similarity, key=lambda i: -(similarity[i] + weight * lexical.get(i, 0.0) / best))


def where_all(filters: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not filters:
        return None
    return filters[0] if len(filters) == 1 else {"$and": filters}
