"""Raw webhook payloads persisted before the platform is acknowledged (the `inbox` collection)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from storage.mongo import Database
from storage.repositories import utcnow


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.inbox

    async def store(self, source: str, key: str, payload: dict[str, Any], holder: str | None = None) -> bool:
        """False when this (source, key) was stored before: a redelivery. The storing process (`holder`, a
        replica id) holds it (`held_at`, `held_by`) until it is marked or another process reclaims it."""
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
                    "held_by": holder,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def mark(self, source: str, key: str, status: str, error: str | None = None) -> None:
        await self._col.update_one(
            {"source": source, "key": key}, {"$set": {"status": status, "error": error, "done_at": utcnow()}}
        )

    async def held(self, source: str, limit: int = 500) -> list[tuple[str, Any, str | None]]:
        """Pending payloads (key, held_at, held_by), oldest first, without their bodies: the ones being handled
        and the ones left behind, a few at any time (the partial `pending` index)."""
        query = {"source": source, "status": "pending", "held_at": {"$lte": utcnow()}}
        fields = {"_id": 0, "key": 1, "held_at": 1, "held_by": 1}
        cursor = self._col.find(query, fields).sort("created_at", 1).limit(limit)
        return [(doc["key"], doc["held_at"], doc.get("held_by")) async for doc in cursor]

    async def reclaim(self, source: str, key: str, held_at: Any, holder: str | None = None) -> dict[str, Any] | None:
        """Hold a payload left behind: its body for the one process (of several racing) that got it, else None."""
        taken = await self._col.find_one_and_update(
            {"source": source, "key": key, "status": "pending", "held_at": held_at},
            {"$set": {"held_at": utcnow(), "held_by": holder}},
            projection={"_id": 0, "payload": 1},
        )
        return taken["payload"] if taken else None
