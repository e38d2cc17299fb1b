"""Knowledge documents (`documents`): what was indexed, which version, and in what state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from storage.mongo import Database
from storage.repositories import parse_object_id, utcnow


@dataclass(slots=True)
class DocumentRecord:
    id: str
    name: str
    sha256: str
    namespace: str
    version: int
    status: str
    chunk_count: int
    language: str | None
    title: str | None
    error: str | None = None
    replaces: str | None = None  # the serving version this one was indexed to replace


class DocumentRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.documents

    async def by_name(self, name: str, namespace: str) -> DocumentRecord | None:
        """The version serving now (a staged one awaiting Publish is not it)."""
        doc = await self._col.find_one({"name": name, "namespace": namespace, "status": "ready"})
        return _record(doc) if doc else None

    async def get(self, document_id: str) -> DocumentRecord | None:
        oid = parse_object_id(document_id)
        doc = await self._col.find_one({"_id": oid}) if oid else None
        return _record(doc) if doc else None

    async def start(self, name: str, sha256: str, namespace: str, size: int, kind: str, uploader: str | None) -> str:
        """Create the record of a new version in state `indexing`."""
        previous = await self.by_name(name, namespace)
        version = previous.version + 1 if previous else 1
        result = await self._col.insert_one(
            {
                "name": name,
                "sha256": sha256,
                "namespace": namespace,
                "size": size,
                "type": kind,
                "uploader": uploader,
                "version": version,
                "status": "indexing",
                "chunk_count": 0,
                "created_at": utcnow(),
                "replaces": previous.id if previous else None,
            }
        )
        return str(result.inserted_id)

    async def finish(
        self, document_id: str, *, chunk_count: int, language: str | None, title: str | None, status: str = "ready"
    ) -> None:
        """Indexed: `ready` (serving) or `staged` (waiting for an admin's Publish)."""
        await self._col.update_one(
            {"_id": ObjectId(document_id)},
            {
                "$set": {
                    "status": status,
                    "chunk_count": chunk_count,
                    "language": language,
                    "title": title,
                    "ready_at": utcnow(),
                }
            },
        )

    async def transition(self, document_id: str, current: str, new: str) -> bool:
        """Compare-and-set of a version's status (staged -> publishing -> ready, staged -> deleted): one admin's
        tap decides, a second one finds it decided."""
        change: dict[str, Any] = {"status": new, f"{new}_at": utcnow()}
        result = await self._col.update_one({"_id": ObjectId(document_id), "status": current}, {"$set": change})
        return result.modified_count == 1

    async def staged_of(self, name: str, namespace: str) -> list[DocumentRecord]:
        query = {"name": name, "namespace": namespace, "status": "staged"}
        return [_record(doc) async for doc in self._col.find(query)]

    async def fail(self, document_id: str, error: str) -> None:
        await self._col.update_one({"_id": ObjectId(document_id)}, {"$set": {"status": "failed", "error": error[:500]}})

    async def mark_deleted(self, document_id: str) -> None:
        await self._col.update_one(
            {"_id": ObjectId(document_id)}, {"$set": {"status": "deleted", "deleted_at": utcnow()}}
        )

    async def list(self) -> list[DocumentRecord]:
        """Every document that was not deleted, oldest first."""
        query: dict[str, Any] = {"status": {"$ne": "deleted"}}
        return [_record(doc) async for doc in self._col.find(query).sort("created_at", 1)]

    async def ready_sha(self, sha256: str, namespace: str) -> DocumentRecord | None:
        doc = await self._col.find_one({"sha256": sha256, "namespace": namespace, "status": "ready"})
        return _record(doc) if doc else None


def _record(doc: dict[str, Any]) -> DocumentRecord:
    return DocumentRecord(
        id=str(doc["_id"]),
        name=doc["name"],
        sha256=doc["sha256"],
        namespace=doc["namespace"],
        version=doc.get("version", 1),
        status=doc.get("status", ""),
        chunk_count=doc.get("chunk_count", 0),
        language=doc.get("language"),
        title=doc.get("title"),
        error=doc.get("error"),
        replaces=doc.get("replaces"),
    )
