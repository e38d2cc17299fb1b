"""Messages in and out: stored once (a redelivery is a `DuplicateMessage`), their status, and the turns a
dead replica left unanswered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from storage.mongo import Database
from storage.records import Direction, StoredMessage
from storage.repositories import utcnow


class DuplicateMessage(Exception):
    """The platform message id is already stored: a redelivery, not a new message."""


MAX_ADOPTIONS = 3  # a message whose turn kills every replica that takes it must not take them all down


class MessageRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.messages

    async def add(
        self,
        conversation_id: str,
        channel: str,
        direction: Direction,
        text: str,
        *,
        status: str,
        channel_message_id: str | None = None,
        meta: dict[str, Any] | None = None,
        worker: str | None = None,
    ) -> StoredMessage:
        """Store a message; a platform id seen before raises DuplicateMessage. `worker` is the replica that
        answers it (an inbound message whose worker dies unanswered is adopted by another)."""
        doc: dict[str, Any] = {
            "conversation_id": conversation_id,
            "channel": channel,
            "direction": direction,
            "text": text,
            "status": status,
            "created_at": utcnow(),
            "meta": meta or {},
        }
        if channel_message_id is not None:
            doc["channel_message_id"] = channel_message_id
        if worker is not None:
            doc["worker"] = worker
        try:
            result = await self._col.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateMessage(f"{channel}:{channel_message_id}") from exc
        doc["_id"] = result.inserted_id
        return _message(doc)

    async def questions_answered_from(self, document: str, since: datetime, limit: int = 20) -> list[str]:
        """The latest distinct customer questions whose answer came from `document` (newest first)."""
        replies = (
            self._col.find(
                {"direction": "out", "created_at": {"$gte": since}, "meta.sources": document},
                {"meta.reply_to": 1},
            )
            .sort("created_at", -1)
            .limit(limit * 3)
        )
        asked = [
            ObjectId(doc["meta"]["reply_to"]) async for doc in replies if ObjectId.is_valid(doc["meta"].get("reply_to"))
        ]
        texts = {str(doc["_id"]): doc.get("text", "") async for doc in self._col.find({"_id": {"$in": asked}})}
        questions = [texts.get(str(i), "").strip() for i in asked]
        return list(dict.fromkeys(q for q in questions if q))[:limit]

    async def set_status(self, message_id: str, status: str, **fields: Any) -> None:
        await self._col.update_one(
            {"_id": ObjectId(message_id)}, {"$set": {"status": status, "status_at": utcnow(), **fields}}
        )

    async def retryable_failures(self, since: datetime, max_rounds: int, limit: int = 100) -> list[StoredMessage]:
        """Outgoing messages whose delivery failed for a passing reason, newer than `since`, oldest first."""
        query = {
            "direction": "out",
            "status": "failed",
            "retryable": True,
            "created_at": {"$gte": since},
            "rounds": {"$lt": max_rounds},
        }
        return [_message(doc) async for doc in self._col.find(query).sort("created_at", 1).limit(limit)]

    async def claim_retry(self, message_id: str) -> bool:
        """Compare-and-set: one replica takes a failed message for another delivery round."""
        result = await self._col.update_one(
            {"_id": ObjectId(message_id), "status": "failed"},
            {"$set": {"status": "sending", "status_at": utcnow()}, "$inc": {"rounds": 1}},
        )
        return result.modified_count == 1

    async def customer_wrote_since(self, conversation_id: str, since: datetime) -> bool:
        """Whether the customer's last message is newer than `since` (a platform's reply window)."""
        # An Instagram comment is not a Direct message: it opens no window (only its one private reply).
        query = {"conversation_id": conversation_id, "direction": "in", "status": {"$ne": "comment"}}
        doc = await self._col.find_one({**query, "created_at": {"$gte": since}}, {"_id": 1})
        return doc is not None

    async def record_platform_status(
        self, channel: str, platform_message_id: str, status: str, error: str | None = None
    ) -> bool:
        """The platform's news about one of our sends (delivered, read, failed); a failure marks it failed."""
        updates: dict[str, Any] = {"platform_status": status, "platform_status_at": utcnow()}
        if status == "failed":
            updates.update(status="failed", error=error or "failed")
        result = await self._col.update_one(
            {"channel": channel, "direction": "out", "platform_message_id": platform_message_id}, {"$set": updates}
        )
        return result.matched_count == 1

    async def mark_deleted(self, channel: str, channel_message_id: str) -> bool:
        """The customer unsent a message: it stays in the record, marked deleted."""
        result = await self._col.update_one(
            {"channel": channel, "direction": "in", "channel_message_id": channel_message_id},
            {"$set": {"deleted": True, "deleted_at": utcnow()}},
        )
        return result.modified_count == 1

    async def get(self, message_id: str) -> StoredMessage | None:
        if not ObjectId.is_valid(message_id):  # a forged or corrupt queue entry names no message
            return None
        doc = await self._col.find_one({"_id": ObjectId(message_id)})
        return _message(doc) if doc else None

    async def inbound_by_channel_id(self, channel: str, channel_message_id: str) -> StoredMessage | None:
        """The customer message the platform (or the web widget) identified this way."""
        doc = await self._col.find_one(
            {"channel": channel, "direction": "in", "channel_message_id": channel_message_id}
        )
        return _message(doc) if doc else None

    async def replies_to(self, message: StoredMessage) -> list[StoredMessage]:
        """What the bot answered `message` with (an answer split into pieces is several), oldest first."""
        query = {"conversation_id": message.conversation_id, "direction": "out", "meta.reply_to": message.id}
        return [_message(doc) async for doc in self._col.find(query).sort("created_at", 1)]

    async def recent(self, conversation_id: str, limit: int = 12) -> list[StoredMessage]:
        """The last `limit` messages of a conversation, oldest first."""
        cursor = self._col.find({"conversation_id": conversation_id}).sort("created_at", -1).limit(limit)
        docs = [doc async for doc in cursor]
        return [_message(doc) for doc in reversed(docs)]

    async def orphans(self, alive: list[str], newer_than: datetime, limit: int = 100) -> list[StoredMessage]:
        """Inbound messages accepted but never answered whose worker is not among the `alive` replicas (it
        died mid-turn, or stopped before reaching them); oldest first, adopted at most MAX_ADOPTIONS times."""
        unadopted = {"worker": {"$nin": alive}, "adoptions": {"$not": {"$gte": MAX_ADOPTIONS}}}
        return await self._unanswered(unadopted, newer_than, limit)

    async def stuck_of(
        self, worker: str, older_than: datetime, newer_than: datetime, limit: int = 100
    ) -> list[StoredMessage]:
        """Inbound messages `worker` accepted before `older_than` and nobody has answered, tried again fewer than
        MAX_ADOPTIONS times; oldest first."""
        match = {"worker": worker, "adoptions": {"$not": {"$gte": MAX_ADOPTIONS}}}
        return [m for m in await self._unanswered(match, newer_than, limit) if m.created_at < older_than]

    async def unanswered_of(self, worker: str, newer_than: datetime, limit: int = 500) -> list[StoredMessage]:
        """Inbound messages `worker` accepted and nobody has answered yet, oldest first."""
        return await self._unanswered({"worker": worker}, newer_than, limit)

    async def _unanswered(self, match: dict, newer_than: datetime, limit: int) -> list[StoredMessage]:
        query = {"status": "received", "direction": "in", "created_at": {"$gte": newer_than}, **match}
        cursor = self._col.find(query).sort("created_at", 1).limit(limit)
        return [_message(doc) async for doc in cursor]

    async def adopt(self, message: StoredMessage, worker: str) -> bool:
        """Compare-and-set the worker: of replicas racing for one orphan, exactly one gets it."""
        result = await self._col.update_one(
            {"_id": ObjectId(message.id), "status": "received", "worker": message.worker},
            {"$set": {"worker": worker}, "$inc": {"adoptions": 1}},
        )
        return result.modified_count == 1


def _message(doc: dict[str, Any]) -> StoredMessage:
    return StoredMessage(
        id=str(doc["_id"]),
        conversation_id=doc["conversation_id"],
        channel=doc["channel"],
        direction=doc["direction"],
        text=doc.get("text", ""),
        status=doc.get("status", ""),
        created_at=doc["created_at"],
        channel_message_id=doc.get("channel_message_id"),
        meta=doc.get("meta", {}),
        worker=doc.get("worker"),
    )
