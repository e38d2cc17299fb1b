"""Repositories for contacts, conversations and the audit trail (messages: `storage.messages`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument

from storage.mongo import Database
from storage.records import Contact, Conversation, Owner


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_object_id(value: str) -> ObjectId | None:
    """An id from outside (a button, a CLI argument); None when it is not an ObjectId at all."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


class ContactRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.contacts

    async def upsert(
        self,
        channel: str,
        channel_user_id: str,
        *,
        name: str | None = None,
        username: str | None = None,
        language: str | None = None,
        phone: str | None = None,
    ) -> Contact:
        now = utcnow()
        updates: dict[str, Any] = {"last_seen_at": now}
        for key, value in (("name", name), ("username", username), ("language", language), ("phone", phone)):
            if value:
                updates[key] = value
        doc = await self._col.find_one_and_update(
            {"channel": channel, "channel_user_id": channel_user_id},
            {"$set": updates, "$setOnInsert": {"created_at": now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None  # upsert with AFTER always returns the document
        return _contact(doc)

    async def get(self, contact_id: str) -> Contact | None:
        doc = await self._col.find_one({"_id": ObjectId(contact_id)})
        return _contact(doc) if doc else None

    async def set_audience(self, contact_id: str, audience: str, source: str) -> None:
        """A partner link or a manager's switch: decides, whatever was read before."""
        await self._col.update_one(
            {"_id": ObjectId(contact_id)}, {"$set": {"audience": audience, "audience_source": source}}
        )

    async def learn_audience(self, contact_id: str, audience: str) -> None:
        """The router's reading: fills an unknown audience, or makes a router-read buyer a partner; never
        overrides a link or a manager, and never turns a partner back into a buyer."""
        replaceable = ["unknown", None] if audience == "buyer" else ["unknown", None, "buyer"]
        await self._col.update_one(
            {
                "_id": ObjectId(contact_id),
                "audience": {"$in": replaceable},
                "audience_source": {"$nin": ["link", "manager"]},
            },
            {"$set": {"audience": audience, "audience_source": "router"}},
        )


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.conversations

    async def open(self, contact: Contact, language: str | None) -> Conversation:
        """The customer's conversation on this channel, created on first contact with owner `ai`."""
        now = utcnow()
        set_fields: dict[str, Any] = {"updated_at": now, "last_customer_message_at": now}
        if language:
            set_fields["language"] = language
        doc = await self._col.find_one_and_update(
            {"channel": contact.channel, "channel_user_id": contact.channel_user_id},
            {
                "$set": set_fields,
                "$setOnInsert": {"contact_id": contact.id, "owner": "ai", "created_at": now},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None
        return _conversation(doc)

    async def get(self, conversation_id: str) -> Conversation | None:
        doc = await self._col.find_one({"_id": ObjectId(conversation_id)})
        return _conversation(doc) if doc else None

    async def compare_and_set_owner(
        self, conversation_id: str, expected: Owner, new: Owner, manager_id: int | None = None
    ) -> bool:
        """Atomically move ownership; False when someone else changed it first."""
        result = await self._col.update_one(
            {"_id": ObjectId(conversation_id), "owner": expected},
            {
                "$set": {"owner": new, "owner_manager_id": manager_id, "owner_changed_at": utcnow()},
                "$unset": {"sla_alerted_at": ""},  # each wait for a person gets its own SLA re-alert
            },
        )
        return result.modified_count == 1

    async def set_manager_topic(self, conversation_id: str, topic_id: int) -> int:
        """Record the conversation's forum topic unless one is already there; returns the one that stands."""
        await self._col.update_one(
            {"_id": ObjectId(conversation_id), "manager_topic_id": None}, {"$set": {"manager_topic_id": topic_id}}
        )
        return await self.manager_topic(conversation_id) or topic_id

    async def manager_topic(self, conversation_id: str) -> int | None:
        doc = await self._col.find_one({"_id": ObjectId(conversation_id)}, {"manager_topic_id": 1})
        return doc.get("manager_topic_id") if doc else None

    async def by_manager_topic(self, topic_id: int) -> Conversation | None:
        doc = await self._col.find_one({"manager_topic_id": topic_id})
        return _conversation(doc) if doc else None

    async def record_turn(self, conversation_id: str, language: str, tokens: int = 0, cost_usd: float = 0.0) -> None:
        """After a reply: the conversation's language, and what the model calls cost (when there were any)."""
        update: dict[str, Any] = {"$set": {"language": language, "last_turn_at": utcnow()}}
        if tokens or cost_usd:
            update["$inc"] = {"usage.tokens": tokens, "usage.cost_usd": cost_usd, "usage.turns": 1}
        await self._col.update_one({"_id": ObjectId(conversation_id)}, update)

    async def touch_human_activity(self, conversation_id: str) -> None:
        """Activity in a taken-over chat (either side) postpones the idle release."""
        await self._col.update_one({"_id": ObjectId(conversation_id)}, {"$set": {"human_activity_at": utcnow()}})

    async def handled_by(self, manager_id: int) -> Conversation | None:
        """The chat this manager handles (the most recently taken one)."""
        doc = await self._col.find_one(
            {"owner": "human", "owner_manager_id": manager_id}, sort=[("owner_changed_at", -1)]
        )
        return _conversation(doc) if doc else None

    async def waiting_for_human(self, limit: int = 20) -> list[Conversation]:
        """Conversations handed over that no manager has taken yet, the longest-waiting first."""
        cursor = self._col.find({"owner": "pending_human"}).sort("owner_changed_at", 1).limit(limit)
        return [_conversation(doc) async for doc in cursor]

    async def waiting_since_before(self, cutoff: datetime, limit: int = 50) -> list[Conversation]:
        """Requests for a person still untaken since before `cutoff`, not yet re-alerted for this wait."""
        query = {"owner": "pending_human", "owner_changed_at": {"$lt": cutoff}, "sla_alerted_at": {"$exists": False}}
        cursor = self._col.find(query).sort("owner_changed_at", 1).limit(limit)
        return [_conversation(doc) async for doc in cursor]

    async def claim_sla_alert(self, conversation_id: str) -> bool:
        """Compare-and-set: one SLA re-alert per wait, across replicas."""
        result = await self._col.update_one(
            {"_id": ObjectId(conversation_id), "sla_alerted_at": {"$exists": False}},
            {"$set": {"sla_alerted_at": utcnow()}},
        )
        return result.modified_count == 1

    async def quiet_since(
        self, window_start: datetime, cutoff: datetime, asked_before: datetime, skip_channels: list[str]
    ) -> list[Conversation]:
        """Bot-owned chats whose last answered turn is between the two instants and that were not asked for
        a rating since `asked_before`, the longest quiet first."""
        query = {
            "owner": "ai",
            "channel": {"$nin": skip_channels},
            "last_turn_at": {"$gte": window_start, "$lt": cutoff},
            "$or": [{"csat_asked_at": {"$exists": False}}, {"csat_asked_at": {"$lt": asked_before}}],
        }
        return [_conversation(doc) async for doc in self._col.find(query).sort("last_turn_at", 1).limit(200)]

    async def claim_csat(self, conversation_id: str, asked_before: datetime) -> bool:
        """Compare-and-set: one rating question per conversation and period, across replicas."""
        result = await self._col.update_one(
            {
                "_id": ObjectId(conversation_id),
                "$or": [{"csat_asked_at": {"$exists": False}}, {"csat_asked_at": {"$lt": asked_before}}],
            },
            {"$set": {"csat_asked_at": utcnow()}},
        )
        return result.modified_count == 1

    async def idle_with_human(self, cutoff: datetime) -> list[Conversation]:
        """Taken-over chats with no activity since `cutoff`."""
        cursor = self._col.find({"owner": "human", "human_activity_at": {"$lt": cutoff}})
        return [_conversation(doc) async for doc in cursor]


class AuditLog:
    """Append-only audit trail (`events`): escalations, takeovers, releases, guard trips."""

    def __init__(self, db: Database) -> None:
        self._col = db.events

    async def record(self, kind: str, **data: Any) -> None:
        await self._col.insert_one({"kind": kind, "created_at": utcnow(), **data})

    async def count(self, kind: str) -> int:
        return await self._col.count_documents({"kind": kind})


def _contact(doc: dict[str, Any]) -> Contact:
    return Contact(
        id=str(doc["_id"]),
        channel=doc["channel"],
        channel_user_id=doc["channel_user_id"],
        name=doc.get("name"),
        username=doc.get("username"),
        language=doc.get("language"),
        phone=doc.get("phone"),
        audience=doc.get("audience", "unknown"),
        email=doc.get("email"),
    )


def _conversation(doc: dict[str, Any]) -> Conversation:
    return Conversation(
        id=str(doc["_id"]),
        contact_id=doc["contact_id"],
        channel=doc["channel"],
        channel_user_id=doc["channel_user_id"],
        owner=doc.get("owner", "ai"),
        owner_manager_id=doc.get("owner_manager_id"),
        language=doc.get("language"),
        created_at=doc.get("created_at"),
        owner_changed_at=doc.get("owner_changed_at"),
    )
