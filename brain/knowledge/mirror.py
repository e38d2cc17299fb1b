"""Keeps the in-memory BM25 index in step with the chunks in the vector store.

This process's own changes are applied as they happen. Another process's changes show up as a new
knowledge version: the mirror then compares the documents it holds with the `ready` ones in MongoDB
and loads or drops only the difference. The first full load runs in a worker thread in the background,
so a large knowledge base does not hold up start-up; until it finishes, retrieval is dense only.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from brain.knowledge.lexical import LexicalIndex
from storage.documents import DocumentRepository
from storage.vectors import VectorCollection

log = logging.getLogger(__name__)

Row = tuple[str, str, dict[str, Any]]


def _add(index: LexicalIndex, chunk_id: str, text: str, meta: dict[str, Any]) -> None:
    indexed = f"{meta.get('section', '')}\n{text}"  # headings carry much of a chunk's vocabulary
    namespace, language = str(meta.get("namespace", "")), str(meta.get("lang", ""))
    index.add(chunk_id, indexed, str(meta.get("document_id", "")), namespace, language)


def _build(rows: list[Row]) -> LexicalIndex:
    index = LexicalIndex()
    for chunk_id, text, meta in rows:
        _add(index, chunk_id, text, meta)
    return index


class LexicalMirror:
    def __init__(self, vectors: VectorCollection, documents: DocumentRepository) -> None:
        self._vectors = vectors
        self._documents = documents
        self.index = LexicalIndex()
        self.version: int | None = None  # the knowledge version the index reflects
        self._lock = asyncio.Lock()
        self._loading: asyncio.Task[None] | None = None  # a reference keeps the task from being collected

    def add(self, rows: list[Row]) -> None:
        for chunk_id, text, meta in rows:
            _add(self.index, chunk_id, text, meta)

    def drop(self, document_id: str) -> None:
        self.index.remove_document(document_id)

    def own_change(self, new_version: int) -> None:
        """This process changed the knowledge (already applied here): stay current without a reload."""
        if self.version == new_version - 1:
            self.version = new_version

    def start(self, version: int) -> asyncio.Task[None]:
        """Load everything in the background (a worker thread does the tokenising)."""
        self._loading = asyncio.create_task(self._load_all(version))
        return self._loading

    async def _load_all(self, version: int) -> None:
        async with self._lock:
            rows = await self._vectors.scan()
            self.index = await asyncio.to_thread(_build, rows)
            self.version = version
            log.info("lexical index: %d chunks at knowledge version %d", len(self.index), version)

    async def current(self, version: int) -> LexicalIndex:
        """The index, brought up to `version` unless a load is already under way (then as it is)."""
        if self.version != version and not self._lock.locked():
            async with self._lock:
                await self._catch_up(version)
        return self.index

    async def _catch_up(self, version: int) -> None:
        if self.version is None:  # never loaded (no start()): load now
            self.index = _build(await self._vectors.scan())
            self.version = version
            return
        records = {record.id: record for record in await self._documents.list()}  # deleted ones left out
        for document_id in self.index.document_ids():
            record = records.get(document_id)
            # A document still `indexing` may be this process's ingestion in progress: keep it.
            if record is None or record.status == "failed":
                self.drop(document_id)
        for document_id, record in records.items():
            # Missing, or partly held (chunks added while a background load was running): reload it.
            if record.status == "ready" and self.index.chunk_count(document_id) != record.chunk_count:
                self.drop(document_id)
                self.add(await self._vectors.scan({"document_id": document_id}))
        self.version = version
