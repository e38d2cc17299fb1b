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
        """False when this (source, key) was stored before: a redelivery."""
        try:
            await self._col.insert_one(
                {"source": source, "key": key, "payload": payload, "status": "pending", "created_at": utcnow()}
            )
        except DuplicateKeyError:
            return False
        return True

    async def mark(self, source: str, key: str, status: str, error: str | None = None) -> None:
        await self._col.update_one(
            {"source": source, "key": key}, {"$set": {"status": status, "error": error, "done_at": utcnow()}}
        )

    async def pending(
        self, source: str, limit: int = 500, older_than_s: float | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """Payloads stored but not handled, oldest first (only those stored `older_than_s` ago or more)."""
        query: dict[str, Any] = {"source": source, "status": "pending"}
        if older_than_s is not None:
            query["created_at"] = {"$lte": utcnow() - timedelta(seconds=older_than_s)}
        cursor = self._col.find(query).sort("created_at", 1).limit(limit)
        return [(doc["key"], doc["payload"]) async for doc in cursor]
