"""Service-wide markers (`meta`): the knowledge version and the one-time seed of the example knowledge."""

from __future__ import annotations

from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from storage.mongo import Database
from storage.repositories import utcnow

KNOWLEDGE = "knowledge"
SEEDED = "seeded"
STALE_SEED = timedelta(minutes=10)


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

    async def claim_once(self, key: str) -> bool:
        """True for the one caller, across restarts and replicas, that claims `key` first (a daily job's date)."""
        try:
            await self._col.insert_one({"_id": key, "at": utcnow()})
        except DuplicateKeyError:
            return False
        return True

    async def forget(self, key: str) -> None:
        await self._col.delete_one({"_id": key})

    async def claim_seed(self, folder: str) -> bool:
        """True for the one process that seeds the example knowledge: replicas starting together race on
        an insert, and the losers go on without seeding (a claim left by a process that died is retaken)."""
        try:
            await self._col.insert_one({"_id": SEEDED, "folder": folder, "status": "seeding", "at": utcnow()})
        except DuplicateKeyError:
            stale = {"_id": SEEDED, "status": "seeding", "at": {"$lt": utcnow() - STALE_SEED}}
            retaken = await self._col.update_one(stale, {"$set": {"at": utcnow()}})
            return retaken.modified_count == 1
        return True

    async def mark_seeded(self, folder: str) -> None:
        await self._col.update_one(
            {"_id": SEEDED}, {"$set": {"folder": folder, "status": "done", "at": utcnow()}}, upsert=True
        )
