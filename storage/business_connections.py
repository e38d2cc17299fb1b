"""Telegram Business connections (`business_connections`): the sellers whose own Telegram account the bot
serves, and what each connection lets it do.

The document's `_id` is Telegram's connection id. A connection is looked up by its id (an incoming message
names it) and by its owner (a reply to one of the owner's chats goes through the owner's current connection,
so a reconnect under a new id keeps the same conversations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.mongo import Database
from storage.repositories import utcnow


@dataclass(slots=True)
class BusinessConnectionRecord:
    id: str
    owner_id: int  # the business account's Telegram user id
    user_chat_id: int  # the owner's private chat with the bot
    enabled: bool
    can_reply: bool
    rights: dict[str, bool] = field(default_factory=dict)
    updated_at: datetime | None = None

    @property
    def may_reply(self) -> bool:
        """The bot may write on the owner's behalf: the connection is on and grants the reply right."""
        return self.enabled and self.can_reply


class BusinessConnectionRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.business_connections

    async def save(self, connection: BusinessConnectionRecord) -> None:
        """The connection as Telegram last described it (connected, rights changed, disabled)."""
        await self._col.update_one(
            {"_id": connection.id},
            {
                "$set": {
                    "owner_id": connection.owner_id,
                    "user_chat_id": connection.user_chat_id,
                    "enabled": connection.enabled,
                    "can_reply": connection.can_reply,
                    "rights": connection.rights,
                    "updated_at": utcnow(),
                },
                "$setOnInsert": {"created_at": utcnow()},
            },
            upsert=True,
        )

    async def get(self, connection_id: str) -> BusinessConnectionRecord | None:
        doc = await self._col.find_one({"_id": connection_id})
        return _connection(doc) if doc else None

    async def of_owner(self, owner_id: int) -> BusinessConnectionRecord | None:
        """The owner's connection to write through: an enabled one first, then the most recently updated."""
        doc = await self._col.find_one({"owner_id": owner_id}, sort=[("enabled", -1), ("updated_at", -1)])
        return _connection(doc) if doc else None


def _connection(doc: dict[str, Any]) -> BusinessConnectionRecord:
    return BusinessConnectionRecord(
        id=doc["_id"],
        owner_id=doc["owner_id"],
        user_chat_id=doc.get("user_chat_id", doc["owner_id"]),
        enabled=bool(doc.get("enabled")),
        can_reply=bool(doc.get("can_reply")),
        rights=doc.get("rights") or {},
        updated_at=doc.get("updated_at"),
    )
