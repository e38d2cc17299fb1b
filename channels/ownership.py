"""Who owns a conversation: the bot, or the manager who took it over. Changes are compare-and-set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from channels.events import ConversationListener
from storage.leads import LeadRepository
from storage.records import Conversation
from storage.repositories import ConversationRepository, utcnow


@dataclass(slots=True)
class TakeResult:
    won: bool
    conversation: Conversation | None
    owner_id: int | None = None


class Ownership:
    def __init__(
        self, conversations: ConversationRepository, leads: LeadRepository, events: ConversationListener
    ) -> None:
        self._conversations = conversations
        self._leads = leads
        self._events = events

    async def take_over(self, conversation_id: str, manager_id: int) -> TakeResult:
        """The first manager to tap wins (compare-and-set from `pending_human` or `ai`)."""
        for expected in ("pending_human", "ai"):
            if await self._conversations.compare_and_set_owner(conversation_id, expected, "human", manager_id):
                await self._conversations.touch_human_activity(conversation_id)
                await self._leads.set_taken(conversation_id, True)
                taken = await self._conversations.get(conversation_id)
                if taken is not None:
                    await self._events.taken_over(taken, manager_id)
                return TakeResult(True, taken, manager_id)
        current = await self._conversations.get(conversation_id)
        owner = current.owner_manager_id if current is not None and current.owner == "human" else None
        return TakeResult(owner == manager_id, current, owner)

    async def release(self, conversation_id: str, manager_id: int | None, reason: str = "manager") -> bool:
        """Give the chat back to the bot; only its owner may (None = the system, e.g. idle timeout)."""
        conversation = await self._conversations.get(conversation_id)
        if conversation is None or conversation.owner != "human":
            return False
        if manager_id is not None and conversation.owner_manager_id != manager_id:
            return False
        if not await self._conversations.compare_and_set_owner(conversation_id, "human", "ai", None):
            return False
        await self._events.released(conversation, manager_id or conversation.owner_manager_id, reason)
        return True

    async def touch(self, conversation_id: str) -> None:
        """Activity in a taken-over chat (either side) postpones the idle release."""
        await self._conversations.touch_human_activity(conversation_id)

    async def active_for(self, manager_id: int) -> Conversation | None:
        """The chat this manager handles (the most recently taken one)."""
        return await self._conversations.handled_by(manager_id)

    async def idle(self, after: timedelta) -> list[Conversation]:
        return await self._conversations.idle_with_human(utcnow() - after)
