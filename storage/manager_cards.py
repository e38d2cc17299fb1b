"""Manager cards (`manager_cards`): the one card per conversation managers see, and where it was posted.

The document's `_id` is the conversation id, so creating a card is an insert that exactly one process
wins, across restarts and replicas; the winner posts the card and records the Telegram messages, every
other writer edits them. Reasons (why a manager must act) accumulate here, not in the chat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from storage.mongo import Database
from storage.repositories import utcnow


@dataclass(slots=True)
class CardPost:
    """One Telegram message showing the card (one per manager in private mode, one in a forum topic)."""

    chat_id: int
    message_id: int
    thread_id: int | None = None


@dataclass(slots=True)
class CardReason:
    kind: str  # hot, human, guard, callback, agent, sla
    text: str
    at: datetime | None = None


@dataclass(slots=True)
class ManagerCard:
    conversation_id: str
    posts: list[CardPost] = field(default_factory=list)
    reasons: list[CardReason] = field(default_factory=list)
    pinged_at: datetime | None = None
    created_at: datetime | None = None


class ManagerCardRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.manager_cards

    async def claim(self, conversation_id: str, reason: CardReason) -> bool:
        """True for the one caller that creates the card (and must post it)."""
        now = utcnow()
        try:
            await self._col.insert_one(
                {
                    "_id": conversation_id,
                    "posts": [],
                    "reasons": [_reason_doc(reason, now)],
                    "pinged_at": now,
                    "created_at": now,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def get(self, conversation_id: str) -> ManagerCard | None:
        doc = await self._col.find_one({"_id": conversation_id})
        return _card(doc) if doc else None

    async def add_posts(self, conversation_id: str, posts: list[CardPost]) -> None:
        docs = [{"chat_id": p.chat_id, "message_id": p.message_id, "thread_id": p.thread_id} for p in posts]
        await self._col.update_one({"_id": conversation_id}, {"$push": {"posts": {"$each": docs}}})

    async def add_reason(self, conversation_id: str, reason: CardReason) -> ManagerCard | None:
        """Record why a manager must act (a repeated reason of the same kind replaces the older text)."""
        now = utcnow()
        await self._col.update_one({"_id": conversation_id}, {"$pull": {"reasons": {"kind": reason.kind}}})
        doc = await self._col.find_one_and_update(
            {"_id": conversation_id},
            {"$push": {"reasons": _reason_doc(reason, now)}},
            return_document=ReturnDocument.AFTER,
        )
        return _card(doc) if doc else None

    async def claim_ping(self, conversation_id: str, quiet: timedelta) -> bool:
        """True when no notification went out for this card within `quiet` (one act, one ping)."""
        now = utcnow()
        doc = await self._col.find_one_and_update(
            {"_id": conversation_id, "pinged_at": {"$lt": now - quiet}},
            {"$set": {"pinged_at": now}},
        )
        return doc is not None

    async def clear_reasons(self, conversation_id: str) -> None:
        """The bot has the conversation again: nothing is waiting for a manager."""
        await self._col.update_one({"_id": conversation_id}, {"$set": {"reasons": []}})


def _reason_doc(reason: CardReason, now: datetime) -> dict[str, Any]:
    return {"kind": reason.kind, "text": reason.text, "at": reason.at or now}


def _card(doc: dict[str, Any]) -> ManagerCard:
    return ManagerCard(
        conversation_id=str(doc["_id"]),
        posts=[CardPost(p["chat_id"], p["message_id"], p.get("thread_id")) for p in doc.get("posts", [])],
        reasons=[CardReason(r["kind"], r["text"], r.get("at")) for r in doc.get("reasons", [])],
        pinged_at=doc.get("pinged_at"),
        created_at=doc.get("created_at"),
    )
