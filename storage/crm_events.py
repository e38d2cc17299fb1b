"""Outgoing CRM events (`crm_events`): stored first, sent later, so none is lost on a restart."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from storage.mongo import Database
from storage.repositories import utcnow


class CrmEventRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.crm_events

    async def ensure_indexes(self) -> None:
        await self._col.create_indexes([IndexModel([("status", ASCENDING), ("next_at", ASCENDING)])])

    async def enqueue(self, event_type: str, data: dict[str, Any]) -> str:
        now = utcnow()
        result = await self._col.insert_one(
            {"type": event_type, "data": data, "status": "pending", "attempts": 0, "next_at": now, "created_at": now}
        )
        return str(result.inserted_id)

    async def due(self, limit: int = 50) -> list[dict[str, Any]]:
        cursor = self._col.find({"status": "pending", "next_at": {"$lte": utcnow()}}).sort("next_at", 1).limit(limit)
        return [doc async for doc in cursor]

    async def sent(self, event_id: ObjectId) -> None:
        await self._col.update_one({"_id": event_id}, {"$set": {"status": "sent", "sent_at": utcnow()}})

    async def failed_attempt(self, event_id: ObjectId, attempts: int, retry_in: timedelta | None, error: str) -> None:
        """Schedule the next try, or give up (`failed`) when `retry_in` is None."""
        update: dict[str, Any] = {"attempts": attempts, "error": error[:300]}
        if retry_in is None:
            update["status"] = "failed"
        else:
            update["next_at"] = utcnow() + retry_in
        await self._col.update_one({"_id": event_id}, {"$set": update})

    async def count(self, status: str) -> int:
        return await self._col.count_documents({"status": status})

    async def next_attempt_at(self, event_id: str) -> datetime | None:
        doc = await self._col.find_one({"_id": ObjectId(event_id)})
        return doc.get("next_at") if doc else None
