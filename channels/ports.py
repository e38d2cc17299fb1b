"""What the omnichannel core needs from storage and from the brain, as small protocols.

The MongoDB repositories in `storage/` implement the stores; `brain.service.Brain` implements
`Decider`. The pipeline's unit tests run on in-memory fakes of the same protocols.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from brain.types import BrainReply, DraftSink, LeadAssessment, Turn
from storage.leads import Lead, LeadChange
from storage.records import Contact, Conversation, Direction, Owner, StoredMessage


class ContactStore(Protocol):
    async def upsert(
        self,
        channel: str,
        channel_user_id: str,
        *,
        name: str | None = None,
        username: str | None = None,
        language: str | None = None,
        phone: str | None = None,
    ) -> Contact: ...

    async def get(self, contact_id: str) -> Contact | None: ...

    async def set_audience(self, contact_id: str, audience: str, source: str) -> None: ...

    async def learn_audience(self, contact_id: str, audience: str) -> None: ...


class ConversationStore(Protocol):
    async def open(self, contact: Contact, language: str | None) -> Conversation: ...
    async def get(self, conversation_id: str) -> Conversation | None: ...
    async def compare_and_set_owner(
        self, conversation_id: str, expected: Owner, new: Owner, manager_id: int | None = None
    ) -> bool: ...
    async def record_turn(
        self, conversation_id: str, language: str, tokens: int = 0, cost_usd: float = 0.0
    ) -> None: ...
    async def touch_human_activity(self, conversation_id: str) -> None: ...


class MessageStore(Protocol):
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
    ) -> StoredMessage: ...

    async def set_status(self, message_id: str, status: str, **fields: Any) -> None: ...
    async def get(self, message_id: str) -> StoredMessage | None: ...
    async def recent(self, conversation_id: str, limit: int = 12) -> list[StoredMessage]: ...
    async def inbound_by_channel_id(self, channel: str, channel_message_id: str) -> StoredMessage | None: ...
    async def replies_to(self, message: StoredMessage) -> list[StoredMessage]: ...
    async def orphans(self, alive: list[str], newer_than: datetime, limit: int = 100) -> list[StoredMessage]: ...
    async def stuck_of(
        self, worker: str, older_than: datetime, newer_than: datetime, limit: int = 100
    ) -> list[StoredMessage]: ...
    async def adopt(self, message: StoredMessage, worker: str) -> bool: ...


class LeadStore(Protocol):
    async def by_conversation(self, conversation_id: str) -> Lead | None: ...

    async def record(
        self,
        conversation_id: str,
        contact_id: str,
        channel: str,
        *,
        temperature: str,
        score: int,
        reasons: list[str],
        fields: dict[str, Any],
        name: str | None,
        asked: str | None = None,
        turn: int | None = None,
        new_turn: bool = True,
    ) -> LeadChange: ...


class DedupeMarks(Protocol):
    """The fast "seen this platform message id" check in front of the unique index (Redis or memory)."""

    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None: ...


class FastState(DedupeMarks, Protocol):
    """Expiring marks and counters (flood limits)."""

    async def incr(self, key: str, ttl_s: float) -> int: ...


class Decider(Protocol):
    """The brain as the hub sees it."""

    async def reply(self, turn: Turn, drafts: DraftSink | None = None) -> BrainReply: ...
    async def qualify(self, turn: Turn) -> LeadAssessment: ...
    async def refine_lead(self, turn: Turn, reply: BrainReply) -> LeadAssessment | None: ...


class HeldInbox(Protocol):
    """Raw webhook payloads, stored before acknowledging and held by the replica handling them
    (`storage.inbox.InboxRepository`); what a replica left behind is reclaimed by one other."""

    async def store(self, source: str, key: str, payload: dict[str, Any], holder: str | None = None) -> bool: ...
    async def mark(self, source: str, key: str, status: str, error: str | None = None) -> None: ...
    async def held(self, source: str, limit: int = 500) -> list[tuple[str, Any, str | None]]: ...
    async def reclaim(
        self, source: str, key: str, held_at: Any, holder: str | None = None
    ) -> dict[str, Any] | None: ...
