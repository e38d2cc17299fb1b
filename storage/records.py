"""Plain records the repositories return (no driver types leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Owner = Literal["ai", "pending_human", "human"]
Direction = Literal["in", "out"]


@dataclass(slots=True)
class Contact:
    id: str
    channel: str
    channel_user_id: str
    name: str | None = None
    username: str | None = None
    language: str | None = None
    phone: str | None = None
    email: str | None = None
    audience: str = "unknown"  # buyer | partner | unknown: who they are to the business (partner-only media)


@dataclass(slots=True)
class Conversation:
    id: str
    contact_id: str
    channel: str
    channel_user_id: str
    owner: Owner = "ai"
    owner_manager_id: int | None = None
    language: str | None = None
    created_at: datetime | None = None
    owner_changed_at: datetime | None = None


@dataclass(slots=True)
class StoredMessage:
    id: str
    conversation_id: str
    channel: str
    direction: Direction
    text: str
    status: str
    created_at: datetime
    channel_message_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    worker: str | None = None  # the replica answering it (inbound)
