"""Who owns a conversation: the bot, or the manager who took it over. Changes are atomic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bson import ObjectId

from channels.crm import CrmEvents
from storage.leads import LeadRepository
from storage.mongo import Database
from storage.records import Conversation
from storage.repositories import ConversationRepository, EventLog, utcnow


@dataclass(slots=True)
class TakeResult:
    won: bool
    conversation: Conversation | None
    owner_id: int | None = None


class Ownership:
    def __init__(
        self,
        db: Database,
        conversations: ConversationRepository,
        leads: LeadRepository,
        events: EventLog,
        crm: CrmEvents | None = None,
    ) -> None:
        self._crm = crm
        self._col = db.conversations
        self._conversations = conversations
        self._leads = leads
        self._events = events

    async def take_over(self, conversation_id: str, manager_id: int) -> TakeResult:
        """The first manager to tap wins (compare-and-set from `ai` or `pending_human`)."""
        for expected in ("pending_human", "ai"):
            if await self._conversations.compare_and_set_owner(conversation_id, expected, "human", manager_id):
                await self.touch(conversation_id)
                await self._leads.set_taken(conversation_id, True)
                await self._events.record(
                    "conversation.taken_over", conversation_id=conversation_id, manager_id=manager_id
                )
                if self._crm is not None:
                    await self._crm.emit(
                        "conversation.taken_over", {"conversation_id": conversation_id, "manager_id": manager_id}
                    )
                return TakeResult(True, await self._conversations.get(conversation_id), manager_id)
        current = await self._conversations.get(conversation_id)
        owner = current.owner_manager_id if current is not None and current.owner == "human" else None
        return TakeResult(owner == manager_id, current, owner)

    async def release(self, conversation_id: str, manager_id: int | None, reason: str = "manager") -> bool:
        """Give the chat back to the bot; only its owner may (None = the system, e.g. idle timeout)."""
        query: dict = {"owner": "human"}
        if manager_id is not None:
            query["owner_manager_id"] = manager_id
        conversation = await self._conversations.get(conversation_id)
        if conversation is None or conversation.owner != "human":
            return False
        if manager_id is not None and conversation.owner_manager_id != manager_id:
            return False
        released = await self._conversations.compare_and_set_owner(conversation_id, "human", "ai", None)
        if released and self._crm is not None:
            await self._crm.emit("conversation.released", {"conversation_id": conversation_id, "reason": reason})
        if released:
            await self._events.record(
                "conversation.released",
                conversation_id=conversation_id,
                manager_id=manager_id or conversation.owner_manager_id,
                reason=reason,
            )
        return released

    async def touch(self, conversation_id: str) -> None:
        """Activity in a taken-over chat (either side) postpones the idle release."""
        await self._col.update_one({"_id": ObjectId(conversation_id)}, {"$set": {"human_activity_at": utcnow()}})

    async def active_for(self, manager_id: int) -> Conversation | None:
        """The chat this manager handles (the most recently taken one)."""
        doc = await self._col.find_one(
            {"owner": "human", "owner_manager_id": manager_id}, sort=[("owner_changed_at", -1)]
        )
        return await self._conversations.get(str(doc["_id"])) if doc else None

    async def idle(self, after: timedelta) -> list[Conversation]:
        cutoff = utcnow() - after
        cursor = self._col.find({"owner": "human", "human_activity_at": {"$lt": cutoff}})
        return [c for doc in [d async for d in cursor] if (c := await self._conversations.get(str(doc["_id"])))]
