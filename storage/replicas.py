"""Which `closer serve` processes are alive (`replicas`): each beats every few seconds; the messages a dead one
accepted but never answered are adopted by a live one."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from storage.mongo import Database
from storage.repositories import utcnow


def new_replica_id() -> str:
    """Unique per process start: a restarted process is a new replica, and the old one's work is orphaned."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class ReplicaRegistry:
    def __init__(self, db: Database) -> None:
        self._col = db.replicas

    async def beat(self, replica_id: str) -> None:
        await self._col.update_one({"_id": replica_id}, {"$set": {"seen_at": utcnow()}}, upsert=True)

    async def alive(self, within: timedelta) -> list[str]:
        """The replicas that beat within `within`."""
        cursor = self._col.find({"seen_at": {"$gte": utcnow() - within}}, {"_id": 1})
        return [str(doc["_id"]) async for doc in cursor]

    async def leave(self, replica_id: str) -> None:
        """A clean stop: what this replica still holds is taken over at once, not after the timeout."""
        await self._col.delete_one({"_id": replica_id})

    async def forget_dead(self, older_than: timedelta) -> int:
        result = await self._col.delete_many({"seen_at": {"$lt": utcnow() - older_than}})
        return result.deleted_count
