"""Indexing and retrieval over the vector collection, with document records in MongoDB."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from brain.knowledge.chunking import Chunk, chunk_markdown, split_front_matter
from brain.knowledge.fusion import LEXICAL_WEIGHT, fused_order, where_all
from brain.knowledge.lexical import codes
from brain.knowledge.mirror import LexicalMirror
from brain.knowledge.parsers import parse_document
from brain.knowledge.passages import IngestResult, Passage
from brain.knowledge.staging import current_view
from brain.language import detect_language
from storage.documents import DocumentRecord, DocumentRepository
from storage.embeddings import Embedder
from storage.meta import MetaRepository
from storage.vectors import VectorCollection, VectorHit

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], Awaitable[None] | None]
EMBED_BATCH = 32
CANDIDATES = 20  # from each retriever, before fusion
VERSION_FRESH_S = 1.0


class KnowledgeBase:
    """Documents in, passages out. A new version is fully indexed before the old one is removed."""

    def __init__(
        self,
        collection: VectorCollection,
        embedder: Embedder,
        documents: DocumentRepository,
        meta: MetaRepository,
        staging: VectorCollection | None = None,
    ) -> None:
        self._vectors = collection
        self._staging = staging  # new versions waiting for Publish; never searched by live turns
        self._embedder = embedder
        self._documents = documents
        self._meta = meta
        self._lexical = LexicalMirror(collection, documents)
        self.lexical_weight = LEXICAL_WEIGHT  # 0 = dense only (benchmarks compare the two)
        self._version: tuple[int, float] | None = None  # the last version read, and when (monotonic)

    async def version(self) -> int:
        """Raised on every change of the knowledge; cached answers are keyed by it. Read at most once per
        VERSION_FRESH_S (a turn used to read it every time): another replica's change is seen that much later,
        this process's own at once."""
        now = time.monotonic()
        if self._version is None or now - self._version[1] > VERSION_FRESH_S:
            read = await self._meta.knowledge_version()  # (never older than a change made here meanwhile)
            self._version = (max(read, self._version[0] if self._version else 0), now)
        return self._version[0]

    async def _bump_version(self) -> None:
        version = await self._meta.bump_knowledge_version()
        self._version = (version, time.monotonic())
        self._lexical.own_change(version)

    async def prepare(self) -> asyncio.Task[None]:
        """Start loading the lexical index in the background (start-up is not held up by a large one)."""
        return self._lexical.start(await self.version())

    async def _drop_chunks(self, document_id: str) -> None:
        await self._vectors.delete_where({"document_id": document_id})
        self._lexical.drop(document_id)

    async def ingest_file(
        self,
        name: str,
        data: bytes,
        *,
        namespace: str = "kb",
        uploader: str | None = None,
        progress: Progress | None = None,
        staged: bool = False,
    ) -> IngestResult:
        """Parse (off the event loop) and index any supported file; DocumentError when it cannot be.
        `staged`: a new version of a serving document is indexed aside, live only after `publish`."""
        parsed = await asyncio.to_thread(parse_document, name, data)
        result = await self.ingest_text(
            name,
            parsed.markdown,
            namespace=namespace,
            uploader=uploader,
            kind=parsed.kind,
            progress=progress,
            sha=hashlib.sha256(data).hexdigest(),
            size=len(data),
            staged=staged,
        )
        result.pages = parsed.pages
        return result

    async def ingest_text(
        self,
        name: str,
        raw: str,
        *,
        namespace: str = "kb",
        uploader: str | None = None,
        kind: str = "markdown",
        progress: Progress | None = None,
        sha: str | None = None,
        size: int | None = None,
        staged: bool = False,
    ) -> IngestResult:
        meta, body = split_front_matter(raw)
        namespace = meta.get("namespace", namespace)
        sha = sha or hashlib.sha256(raw.encode("utf-8")).hexdigest()
        same = await self._documents.ready_sha(sha, namespace)
        if same is not None and same.name == name:
            return IngestResult(same, same.chunk_count, unchanged=True, language=same.language)
        title, chunks = chunk_markdown(body)
        if not chunks:
            raise ValueError(f"{name}: no text to index")
        previous = await self._documents.by_name(name, namespace)
        staged = staged and previous is not None and self._staging is not None  # a first version goes live
        collection = self._staging if staged and self._staging is not None else self._vectors
        document_id = await self._documents.start(name, sha, namespace, size or len(raw.encode()), kind, uploader)
        try:
            language = await self._index_chunks(
                document_id, name, title or name, namespace, chunks, progress, collection
            )
        except Exception as exc:
            # Roll back what this version added; the previous version keeps serving untouched.
            await collection.delete_where({"document_id": document_id})
            self._lexical.drop(document_id)
            await self._documents.fail(document_id, f"{type(exc).__name__}: {exc}")
            raise
        await self._discard_staged(name, namespace, keep=document_id)
        status = "staged" if staged else "ready"
        await self._documents.finish(
            document_id, chunk_count=len(chunks), language=language, title=title, status=status
        )
        if not staged:  # live now: the version it replaces goes (`by_name` gives only the serving one)
            if previous is not None:
                await self._drop_chunks(previous.id)
                await self._documents.mark_deleted(previous.id)
            await self._bump_version()
        record = await self._documents.get(document_id)
        assert record is not None
        return IngestResult(
            record, len(chunks), unchanged=False, language=language, previous=previous if staged else None
        )

    async def _index_chunks(
        self,
        document_id: str,
        name: str,
        title: str,
        namespace: str,
        chunks: list[Chunk],
        progress: Progress | None,
        collection: VectorCollection,
    ) -> str | None:
        languages: dict[str, int] = {}
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[start : start + EMBED_BATCH]
            texts = [_passage_text(title, c) for c in batch]
            vectors = await self._embedder.embed_passages(texts)
            metadatas: list[dict[str, Any]] = []
            for chunk in batch:
                lang = detect_language(chunk.text)
                languages[lang] = languages.get(lang, 0) + 1
                metadatas.append(
                    {
                        "document_id": document_id,
                        "document": name,
                        "title": title,
                        "section": chunk.section,
                        "namespace": namespace,
                        "lang": lang,
                    }
                )
            ids = [f"{document_id}:{start + i}" for i in range(len(batch))]
            await collection.upsert(ids, vectors, [c.text for c in batch], metadatas)
            if collection is self._vectors:
                self._lexical.add([(i, c.text, m) for i, c, m in zip(ids, batch, metadatas, strict=True)])
            if progress is not None:
                result = progress("embedding", min(start + EMBED_BATCH, len(chunks)), len(chunks))
                if result is not None:
                    await result
        return max(languages, key=languages.__getitem__) if languages else None

    async def publish(self, document_id: str) -> DocumentRecord | None:
        """A staged version goes live: claimed first (one admin's tap wins), its chunks move into the serving
        collection, the version it replaces goes, cached answers are invalidated. None when it is no longer
        staged, or the serving version changed since it was staged (publishing it would roll that back)."""
        record = await self._documents.get(document_id)
        if record is None or record.status != "staged" or self._staging is None:
            return None
        serving = await self._documents.by_name(record.name, record.namespace)
        if serving is not None and serving.id != record.replaces:
            await self.discard(document_id)
            return None
        if not await self._documents.transition(document_id, "staged", "publishing"):
            return None
        ids, vectors, texts, metadatas = await self._staging.fetch({"document_id": document_id})
        await self._vectors.upsert(ids, vectors, texts, metadatas)
        self._lexical.add(list(zip(ids, texts, metadatas, strict=True)))
        await self._documents.transition(document_id, "publishing", "ready")
        if serving is not None:
            await self._drop_chunks(serving.id)
            await self._documents.mark_deleted(serving.id)
        await self._staging.delete_where({"document_id": document_id})
        await self._bump_version()
        return await self._documents.get(document_id)

    async def discard(self, document_id: str) -> bool:
        """A staged version is dropped; the serving one stays as it was."""
        if self._staging is None or not await self._documents.transition(document_id, "staged", "deleted"):
            return False
        await self._staging.delete_where({"document_id": document_id})
        return True

    async def _discard_staged(self, name: str, namespace: str, keep: str | None = None) -> None:
        """Older staged versions of a document go when a newer one is staged or a version goes live."""
        for staged in await self._documents.staged_of(name, namespace):
            if staged.id != keep:
                await self.discard(staged.id)

    async def document(self, document_id: str) -> DocumentRecord | None:
        return await self._documents.get(document_id)

    async def delete(self, document_id: str) -> bool:
        record = await self._documents.get(document_id)
        if record is None or record.status == "deleted":
            return False
        if record.status == "staged":
            return await self.discard(document_id)
        await self._drop_chunks(document_id)
        await self._documents.mark_deleted(document_id)
        await self._bump_version()
        return True

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    async def embed_query(self, query: str) -> np.ndarray:
        return (await self._embedder.embed_queries([query]))[0]

    async def search(
        self,
        query: str,
        *,
        language: str | None = None,
        namespaces: list[str] | None = None,
        k: int = 4,
        vector: np.ndarray | None = None,
        version: int | None = None,
    ) -> list[Passage]:
        """Best passages for `query`, preferring the customer's language when it has any.

        Dense and BM25 candidates are fused: cosine + lexical_weight x (BM25 / best BM25). A passage's
        `similarity` stays its cosine, so the similarity floor keeps its meaning.
        """
        if vector is None:
            vector = await self.embed_query(query)
        # The brain has read the knowledge version for this turn already; others have it read here.
        lexical = await self._lexical.current(version if version is not None else await self.version())
        asked = codes(query)
        hits: list[VectorHit] = []
        for lang in [language, None] if language else [None]:
            filters: list[dict[str, Any]] = [{"namespace": {"$in": namespaces}}] if namespaces else []
            if lang:
                filters.append({"lang": lang})
            dense = await self._vectors.query(vector, max(k, CANDIDATES), where_all(filters))
            words = lexical.search(query, CANDIDATES, namespaces, lang) if self.lexical_weight else {}
            view = current_view()
            if view is not None:  # a replay's what-if: dense only, the staged version in place of the live one
                dense = await view.adjust(dense, vector, max(k, CANDIDATES), where_all(filters), self._staging)
                words = {}
            seen = {h.id for h in dense}
            hits = dense + await self._vectors.with_similarity([i for i in words if i not in seen], vector)
            if hits:
                order = fused_order({h.id: h.similarity for h in hits}, words, self.lexical_weight)
                by_id = {h.id: h for h in hits}
                hits = [by_id[i] for i in order[:k]]
                break
        return [
            Passage(
                text=h.text,
                title=str(h.metadata.get("title", "")),
                section=str(h.metadata.get("section", "")),
                document=str(h.metadata.get("document", "")),
                namespace=str(h.metadata.get("namespace", "")),
                language=str(h.metadata.get("lang", "")),
                similarity=h.similarity,
                code_match=bool(asked & codes(h.text)),
            )
            for h in hits
        ]

    async def is_empty(self) -> bool:
        return await self._vectors.count() == 0


def _passage_text(title: str, chunk: Chunk) -> str:
    """What gets embedded: the section heading carries much of a passage's meaning."""
    heading = f"{title} - {chunk.section}" if chunk.section and chunk.section != title else title
    return f"{heading}\n{chunk.text}"
