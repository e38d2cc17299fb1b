"""Chroma collections: embedded on disk by default, a Chroma server when CHROMA_HOST is set."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from storage.mongo import StorageUnavailable


@dataclass(slots=True)
class VectorHit:
    id: str
    text: str
    metadata: dict[str, Any]
    similarity: float


WIDE = 100  # unfiltered neighbours fetched before filtering in Python


def matches(metadata: dict[str, Any], where: dict[str, Any]) -> bool:
    """Chroma's `where` semantics for the shapes we use: equality, `$in`, `$and`."""
    for key, condition in where.items():
        if key == "$and":
            if not all(matches(metadata, part) for part in condition):
                return False
        elif isinstance(condition, dict):
            if set(condition) != {"$in"}:
                raise ValueError(f"unsupported filter {condition!r}")
            if metadata.get(key) not in condition["$in"]:
                return False
        elif metadata.get(key) != condition:
            return False
    return True


def open_chroma(data_dir: Path, host: str | None, port: int) -> Any:
    """The Chroma client; the embedded one persists under DATA_DIR/chroma."""
    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if host:
            return chromadb.HttpClient(host=host, port=port, settings=settings)
        path = data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:  # chromadb raises assorted types for a bad path or server
        raise StorageUnavailable(f"Chroma is unavailable ({type(exc).__name__}): {exc}") from exc


class VectorCollection:
    """One cosine-space collection; every call runs off the event loop (the client is synchronous)."""

    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self._name = name
        self._col = client.get_or_create_collection(name, embedding_function=None, metadata={"hnsw:space": "cosine"})

    async def upsert(
        self, ids: list[str], vectors: np.ndarray, texts: list[str], metadatas: list[dict[str, Any]]
    ) -> None:
        if not ids:
            return
        await asyncio.to_thread(
            self._col.upsert, ids=ids, embeddings=vectors.tolist(), documents=texts, metadatas=metadatas
        )

    async def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[VectorHit]:
        """The `k` nearest chunks matching `where`.

        Chroma's metadata filter costs ~150-270 ms at 100k chunks against ~5 ms for a plain HNSW query
        (README, "Knowledge base"), so a filtered query first takes the WIDE nearest chunks unfiltered
        and filters them here; only when fewer than `k` match (a rare language or namespace) does it
        ask Chroma to filter.
        """
        if not where:
            return await self._nearest(vector, k, None)
        wide = await self._nearest(vector, max(WIDE, k), None)
        matched = [hit for hit in wide if matches(hit.metadata, where)]
        if len(matched) >= k or len(wide) < max(WIDE, k):  # enough, or the whole collection was seen
            return matched[:k]
        return await self._nearest(vector, k, where)

    async def _nearest(self, vector: np.ndarray, k: int, where: dict[str, Any] | None) -> list[VectorHit]:
        result = await asyncio.to_thread(
            self._col.query,
            query_embeddings=[vector.tolist()],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        docs = (result.get("documents") or [[]])[0]
        metas = (result.get("metadatas") or [[]])[0]
        dists = (result.get("distances") or [[]])[0]
        return [
            VectorHit(id=i, text=d or "", metadata=dict(m or {}), similarity=1.0 - float(dist))
            for i, d, m, dist in zip(ids, docs, metas, dists, strict=False)
        ]

    async def with_similarity(self, ids: list[str], vector: np.ndarray) -> list[VectorHit]:
        """Stored chunks by id, scored against `vector` (for candidates another retriever found)."""
        if not ids:
            return []
        result = await asyncio.to_thread(self._col.get, ids=ids, include=["documents", "metadatas", "embeddings"])
        embeddings = np.asarray(result["embeddings"], np.float32) if len(result["ids"]) else np.zeros((0, 1))
        similarities = embeddings @ vector if len(result["ids"]) else []
        docs = result.get("documents") or [""] * len(result["ids"])
        metas = result.get("metadatas") or [{}] * len(result["ids"])
        return [
            VectorHit(id=i, text=d or "", metadata=dict(m or {}), similarity=float(sim))
            for i, d, m, sim in zip(result["ids"], docs, metas, similarities, strict=True)
        ]

    async def scan(
        self, where: dict[str, Any] | None = None, batch: int = 5000
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """Every stored chunk (matching `where`) as (id, text, metadata), read in pages."""
        out: list[tuple[str, str, dict[str, Any]]] = []
        offset = 0
        while True:
            page = await asyncio.to_thread(
                self._col.get, where=where or None, include=["documents", "metadatas"], limit=batch, offset=offset
            )
            ids = page["ids"]
            docs = page.get("documents") or [""] * len(ids)
            metas = page.get("metadatas") or [{}] * len(ids)
            out += [(i, d or "", dict(m or {})) for i, d, m in zip(ids, docs, metas, strict=True)]
            if len(ids) < batch:
                return out
            offset += batch

    async def fetch(self, where: dict[str, Any]) -> tuple[list[str], np.ndarray, list[str], list[dict[str, Any]]]:
        """Stored chunks matching `where` with their vectors: ids, vectors, texts, metadata."""
        result = await asyncio.to_thread(self._col.get, where=where, include=["documents", "metadatas", "embeddings"])
        ids = result["ids"]
        vectors = np.asarray(result["embeddings"], np.float32) if ids else np.zeros((0, 1), np.float32)
        texts = [d or "" for d in (result.get("documents") or [""] * len(ids))]
        metas = [dict(m or {}) for m in (result.get("metadatas") or [{}] * len(ids))]
        return ids, vectors, texts, metas

    async def delete_where(self, where: dict[str, Any]) -> None:
        await asyncio.to_thread(self._col.delete, where=where)

    async def count(self) -> int:
        return int(await asyncio.to_thread(self._col.count))

    async def ping(self) -> bool:
        try:
            await asyncio.to_thread(self._client.heartbeat)
        except Exception:  # any failure means "not ready"; /readyz reports it
            return False
        return True
