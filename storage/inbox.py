"""Raw webhook payloads persisted before the platform is acknowledged (the `inbox` collection)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from storage.mongo import Database
from storage.repositories import utcnow


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.inbox

    async def store(self, source: str, key: str, payload: dict[str, Any]) -> bool:
        """False when this (source, key) was stored before: a redelivery. The storing process holds it
        (`held_at`) until it is marked or another process reclaims it as stale."""
        now = utcnow()
        try:
            await self._col.insert_one(
                {
                    "source": source,
                    "key": key,
                    "payload": payload,
                    "status": "pending",
                    "created_at": now,
                    "held_at": now,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def mark(self, source: str, key: str, status: str, error: str | None = None) -> None:
        await self._col.update_one(
            {"source": source, "key": key}, {"$set": {"status": status, "error": error, "done_at": utcnow()}}
        )

    async def pending(self, source: str, limit: int = 500) -> list[tuple[str, dict[str, Any]]]:
        """Payloads stored but not handled, oldest first."""
        cursor = self._col.find({"source": source, "status": "pending"}).sort("created_at", 1).limit(limit)
        return [(doc["key"], doc["payload"]) async for doc in cursor]

    async def stale(self, source: str, held_for_s: float, limit: int = 500) -> list[tuple[str, dict[str, Any], Any]]:
        """Pending payloads nobody has held for `held_for_s` (key, payload, held_at), oldest first."""
        query = {"source": source, "status": "pending", "held_at": {"$lte": utcnow() - timedelta(seconds=held_for_s)}}
        cursor = self._col.find(query).sort("created_at", 1).limit(limit)
        return [(doc["key"], doc["payload"], doc["held_at"]) async for doc in cursor]

    async def reclaim(self, source: str, key: str, held_at: Any) -> bool:
        """Hold a stale payload; True for the one process (of several racing) that got it."""
        taken = await self._col.update_one(
            {"source": source, "key": key, "status": "pending", "held_at": held_at}, {"$set": {"held_at": utcnow()}}
        )
        return taken.modified_count == 1
