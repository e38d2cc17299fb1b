"""Nearest-example text classifier over sentence embeddings, with an out-of-scope threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storage.embeddings import Embedder

OUT_OF_SCOPE = "oos"


@dataclass(slots=True)
class Prediction:
    label: str
    score: float
    runner_up: str | None = None


class ExampleClassifier:
    """Scores each label by the mean of its `top_k` most similar examples (cosine).

    Averaging a label's best few neighbours is steadier than a single nearest neighbour on
    few-shot data, and a label-level score is what the out-of-scope threshold compares against.
    """

    def __init__(self, embedder: Embedder, top_k: int = 2, threshold: float = 0.0) -> None:
        self._embedder = embedder
        self.top_k = top_k
        self.threshold = threshold
        self._vectors = np.zeros((0, 1), np.float32)
        self._labels: list[str] = []
        self._label_index: dict[str, np.ndarray] = {}

    @property
    def labels(self) -> list[str]:
        return sorted(self._label_index)

    async def fit(self, texts: list[str], labels: list[str]) -> None:
        vectors = await self._embedder.embed_queries(texts)
        self._set(vectors, list(labels))

    async def add(self, texts: list[str], labels: list[str]) -> None:
        """Learn more examples (e.g. manager corrections) without re-embedding the old ones."""
        vectors = await self._embedder.embed_queries(texts)
        if self._labels:
            vectors = np.vstack([self._vectors, vectors])
        self._set(vectors, self._labels + list(labels))

    def _set(self, vectors: np.ndarray, labels: list[str]) -> None:
        self._vectors, self._labels = vectors, labels
        names = np.array(labels)
        self._label_index = {label: np.flatnonzero(names == label) for label in set(labels)}

    def label_scores(self, vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
        """(labels, scores[n_queries, n_labels])."""
        sims = vectors @ self._vectors.T
        labels = self.labels
        scores = np.empty((len(vectors), len(labels)), np.float32)
        for j, label in enumerate(labels):
            block = sims[:, self._label_index[label]]
            k = min(self.top_k, block.shape[1])
            top = np.partition(block, block.shape[1] - k, axis=1)[:, -k:] if k < block.shape[1] else block
            scores[:, j] = top.mean(axis=1)
        return labels, scores

    async def predict(self, texts: list[str]) -> list[Prediction]:
        if not self._labels:
            return [Prediction(OUT_OF_SCOPE, 0.0) for _ in texts]
        vectors = await self._embedder.embed_queries(texts)
        return self.predict_vectors(vectors)

    def predict_vectors(self, vectors: np.ndarray) -> list[Prediction]:
        labels, scores = self.label_scores(vectors)
        order = np.argsort(-scores, axis=1)
        out = []
        for row, ranking in zip(scores, order, strict=True):
            best = float(row[ranking[0]])
            label = labels[ranking[0]] if best >= self.threshold else OUT_OF_SCOPE
            runner = labels[ranking[1]] if len(ranking) > 1 else None
            out.append(Prediction(label, best, runner))
        return out
