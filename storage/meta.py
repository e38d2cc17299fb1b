"""Service-wide markers (`meta`): the knowledge version and the one-time seed of the example knowledge."""

from __future__ import annotations

from pymongo import ReturnDocument

from storage.mongo import Database
from storage.repositories import utcnow

KNOWLEDGE = "knowledge"
SEEDED = "seeded"


class MetaRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.meta

    async def knowledge_version(self) -> int:
        """Raised on every change of the knowledge; cached answers are keyed by it."""
        doc = await self._col.find_one({"_id": KNOWLEDGE})
        return int(doc["version"]) if doc else 0

    async def bump_knowledge_version(self) -> int:
        doc = await self._col.find_one_and_update(
            {"_id": KNOWLEDGE}, {"$inc": {"version": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        assert doc is not None  # upsert with AFTER always returns the document
        return int(doc["version"])

    async def seeded(self) -> bool:
        return await self._col.find_one({"_id": SEEDED}, {"_id": 1}) is not None

    async def mark_seeded(self, folder: str) -> None:
        """An upsert: two replicas that seed at the same start-up both succeed (the second changes nothing)."""
        await self._col.update_one({"_id": SEEDED}, {"$setOnInsert": {"folder": folder, "at": utcnow()}}, upsert=True)
