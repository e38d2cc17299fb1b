"""In-memory stand-ins for the pipeline's stores and brain, for fast unit tests of the road a message
travels (`channels.ports`). The MongoDB repositories are tested on the real driver elsewhere."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from brain.types import BrainReply, DraftSink, LeadAssessment, Turn
from channels.events import ConversationListener
from channels.messages import ChannelCapabilities, DeliveryError, OutboundMessage
from storage.leads import LeadChange, _lead, apply_update
from storage.messages import MAX_ADOPTIONS, DuplicateMessage
from storage.records import Contact, Conversation, Owner, StoredMessage

_clock = itertools.count()


def now() -> datetime:
    """Strictly increasing timestamps, so ordering by time is deterministic in tests."""
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=next(_clock))


class MemoryContacts:
    def __init__(self) -> None:
        self.items: dict[str, Contact] = {}

    async def upsert(self, channel: str, channel_user_id: str, **fields: Any) -> Contact:
        found = next(
            (c for c in self.items.values() if (c.channel, c.channel_user_id) == (channel, channel_user_id)), None
        )
        contact = found or Contact(str(ObjectId()), channel, channel_user_id)
        for key, value in fields.items():
            if value:
                setattr(contact, key, value)
        self.items[contact.id] = contact
        return replace(contact)

    async def get(self, contact_id: str) -> Contact | None:
        found = self.items.get(contact_id)
        return replace(found) if found else None

    async def set_audience(self, contact_id: str, audience: str, source: str) -> None:
        self.items[contact_id].audience = audience

    async def learn_audience(self, contact_id: str, audience: str) -> None:
        contact = self.items[contact_id]
        if contact.audience == "unknown" or (audience == "partner" and contact.audience == "buyer"):
            contact.audience = audience


class MemoryConversations:
    def __init__(self) -> None:
        self.items: dict[str, Conversation] = {}
        self.turns: list[tuple[str, str]] = []  # (conversation id, language) per recorded turn
        self.human_activity: list[str] = []

    async def open(self, contact: Contact, language: str | None) -> Conversation:
        found = next((c for c in self.items.values() if c.contact_id == contact.id), None)
        if found is None:
            found = Conversation(str(ObjectId()), contact.id, contact.channel, contact.channel_user_id)
            self.items[found.id] = found
        return replace(found)

    async def get(self, conversation_id: str) -> Conversation | None:
        found = self.items.get(conversation_id)
        return replace(found) if found else None

    async def compare_and_set_owner(
        self, conversation_id: str, expected: Owner, new: Owner, manager_id: int | None = None
    ) -> bool:
        found = self.items.get(conversation_id)
        if found is None or found.owner != expected:
            return False
        found.owner, found.owner_manager_id = new, manager_id
        return True

    async def record_turn(self, conversation_id: str, language: str, tokens: int = 0, cost_usd: float = 0.0) -> None:
        self.items[conversation_id].language = language
        self.turns.append((conversation_id, language))

    async def touch_human_activity(self, conversation_id: str) -> None:
        self.human_activity.append(conversation_id)


class MemoryMessages:
    def __init__(self) -> None:
        self.items: list[StoredMessage] = []
        self.adoptions: dict[str, int] = {}

    async def add(
        self,
        conversation_id: str,
        channel: str,
        direction: str,
        text: str,
        *,
        status: str,
        channel_message_id: str | None = None,
        meta: dict[str, Any] | None = None,
        worker: str | None = None,
    ) -> StoredMessage:
        if channel_message_id is not None and any(
            (m.channel, m.direction, m.channel_message_id) == (channel, direction, channel_message_id)
            for m in self.items
        ):
            raise DuplicateMessage(f"{channel}:{channel_message_id}")
        message = StoredMessage(
            str(ObjectId()), conversation_id, channel, direction, text, status, now(), channel_message_id, meta or {}
        )
        message.worker = worker
        self.items.append(message)
        return replace(message)

    async def set_status(self, message_id: str, status: str, **fields: Any) -> None:
        message = next(m for m in self.items if m.id == message_id)
        message.status = status
        message.meta.update(fields)

    async def inbound_by_channel_id(self, channel: str, channel_message_id: str) -> StoredMessage | None:
        found = [
            m
            for m in self.items
            if (m.channel, m.direction, m.channel_message_id) == (channel, "in", channel_message_id)
        ]
        return replace(found[0]) if found else None

    async def replies_to(self, message: StoredMessage) -> list[StoredMessage]:
        return [replace(m) for m in self.items if m.direction == "out" and m.meta.get("reply_to") == message.id]

    async def recent(self, conversation_id: str, limit: int = 12) -> list[StoredMessage]:
        return [replace(m) for m in self.items if m.conversation_id == conversation_id][-limit:]

    async def orphans(self, alive: list[str], newer_than: datetime, limit: int = 100) -> list[StoredMessage]:
        found = [
            m
            for m in self.items
            if m.direction == "in" and m.status == "received" and m.created_at >= newer_than and m.worker not in alive
        ]
        return [replace(m) for m in found[:limit]]

    async def stuck_of(
        self, worker: str, older_than: datetime, newer_than: datetime, limit: int = 100
    ) -> list[StoredMessage]:
        found = [
            m
            for m in self.items
            if m.direction == "in"
            and m.status == "received"
            and newer_than <= m.created_at < older_than
            and m.worker == worker
            and self.adoptions.get(m.id, 0) < MAX_ADOPTIONS
        ]
        return [replace(m) for m in found[:limit]]

    async def adopt(self, message: StoredMessage, worker: str) -> bool:
        for m in self.items:
            if m.id == message.id and m.status == "received" and m.worker == message.worker:
                m.worker = worker
                self.adoptions[m.id] = self.adoptions.get(m.id, 0) + 1
                return True
        return False

    def of(self, conversation_id: str, direction: str | None = None) -> list[StoredMessage]:
        return [m for m in self.items if m.conversation_id == conversation_id and direction in (None, m.direction)]


class MemoryLeads:
    """Same update semantics as the MongoDB repository (it shares `apply_update`)."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def by_conversation(self, conversation_id: str):
        doc = self.docs.get(conversation_id)
        return _lead(doc) if doc else None

    async def record(self, conversation_id: str, contact_id: str, channel: str, **values: Any) -> LeadChange:
        asked, turn, new_turn = values.pop("asked", None), values.pop("turn", None), values.pop("new_turn", True)
        fields = values.pop("fields")
        updates = {**values, "contact_id": contact_id, "channel": channel, "reasons": values["reasons"][:8]}
        updates.update({f"fields.{k}": v for k, v in fields.items()})
        operation: dict[str, Any] = {
            "$set": updates,
            "$setOnInsert": {"created_at": now()},
            "$inc": {"turns": 1 if new_turn else 0},
        }
        if asked is not None:
            operation["$addToSet"] = {"asked": asked}
            updates["asked_turn"] = turn
        previous = self.docs.get(conversation_id)
        after = apply_update(
            previous or {"_id": ObjectId(), "conversation_id": conversation_id}, operation, not previous
        )
        self.docs[conversation_id] = after
        before = previous.get("temperature") if previous else None
        became_hot = values["temperature"] == "hot" and before != "hot"
        return LeadChange(_lead(after), previous is None, before, became_hot)


class MemoryMarks:
    def __init__(self) -> None:
        self.marks: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.marks.get(key)

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        self.marks[key] = value

    async def incr(self, key: str, ttl_s: float) -> int:  # no expiry: a test's window never closes
        self.marks[key] = str(int(self.marks.get(key, "0")) + 1)
        return int(self.marks[key])


Script = Callable[[Turn], Awaitable[BrainReply] | BrainReply]


class ScriptedBrain:
    """A brain whose decisions the test writes: `decide(turn)` returns the reply; every turn is kept."""

    def __init__(self, decide: Script | None = None, assessment: LeadAssessment | None = None) -> None:
        self.turns: list[Turn] = []
        self._decide = decide or (lambda turn: BrainReply(f"re: {turn.text}", "en", "question", "offline"))
        self.assessment = assessment
        self.refined: LeadAssessment | None = None
        self.drafts: DraftSink | None = None  # what the hub handed the last reply for streaming

    async def reply(self, turn: Turn, drafts: DraftSink | None = None) -> BrainReply:
        self.turns.append(turn)
        self.drafts = drafts
        reply = self._decide(turn)
        if asyncio.iscoroutine(reply):
            reply = await reply
        assert isinstance(reply, BrainReply)
        if self.assessment is not None and reply.lead is None and turn.message_text:
            reply.lead = self._copy(self.assessment)
        return reply

    async def refine_lead(self, turn: Turn, reply: BrainReply) -> LeadAssessment | None:
        """`refined`, when the test set one: the model's second opinion after the reply has left."""
        return self._copy(self.refined) if self.refined is not None and reply.lead is not None else None

    async def qualify(self, turn: Turn) -> LeadAssessment:
        self.turns.append(turn)
        assert self.assessment is not None, "the test gave this brain no lead assessment"
        return self._copy(self.assessment)

    @staticmethod
    def _copy(assessment: LeadAssessment) -> LeadAssessment:
        return replace(assessment, reasons=list(assessment.reasons), fields=dict(assessment.fields))


class CollectingChannel:
    """An outbound channel that records what it was asked to send; `fail_with` makes sends fail."""

    def __init__(self, name: str = "test", capabilities: ChannelCapabilities | None = None) -> None:
        self.name = name
        self.capabilities = capabilities or ChannelCapabilities(max_text=200, max_buttons=3)
        self.sent: list[tuple[str, OutboundMessage]] = []
        self.fail_with: DeliveryError | None = None

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((recipient_id, message))
        return f"p{len(self.sent)}"


class RecordingListener(ConversationListener):
    """Keeps every event it receives as (name, arguments)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []

    def __getattribute__(self, name: str) -> Any:
        if name in ConversationListener.__dict__ and not name.startswith("_"):
            events = object.__getattribute__(self, "events")

            async def record(*args: Any) -> None:
                events.append((name, args))

            return record
        return object.__getattribute__(self, name)

    def names(self) -> list[str]:
        return [name for name, _ in self.events]
