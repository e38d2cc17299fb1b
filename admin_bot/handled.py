"""Finds the conversation a manager is handling in the chat they write from, before any handler runs.

In a private chat it is the chat the manager took over most recently; in the managers' forum group it
is the topic's conversation, if this manager owns it. Handlers receive it as `handled`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from channels.messages import OutboundMessage
from channels.outbox import Outbox
from channels.ownership import Ownership
from storage.records import Conversation
from storage.repositories import ConversationRepository


class HandledConversation(BaseMiddleware):
    def __init__(self, ownership: Ownership, conversations: ConversationRepository, group_chat_id: int | None) -> None:
        self._ownership = ownership
        self._conversations = conversations
        self._group = group_chat_id

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["handled"] = await self._find(event) if isinstance(event, Message) else None
        return await handler(event, data)

    async def _find(self, message: Message) -> Any:
        if message.from_user is None:
            return None
        manager_id = message.from_user.id
        if self._group is not None and message.chat.id == self._group:
            topic = await self._conversations.by_manager_topic(message.message_thread_id or 0)
            owned = topic is not None and topic.owner == "human" and topic.owner_manager_id == manager_id
            return topic if owned else None
        return await self._ownership.active_for(manager_id)


async def handled_from_button(
    query: CallbackQuery, conversations: ConversationRepository, conversation_id: str
) -> Conversation | None:
    """The chat a button acts on, when the manager who tapped it handles it; otherwise they are told so."""
    handled = await conversations.get(conversation_id)
    if handled is not None and handled.owner == "human" and handled.owner_manager_id == query.from_user.id:
        return handled
    await query.answer(_("You are not handling any chat now. Tap Take over on a card first."), show_alert=True)
    return None


async def send_to_customer(
    outbox: Outbox, ownership: Ownership, handled: Conversation, outbound: OutboundMessage
) -> bool:
    """A manager's message to the customer of the chat they handle; activity postpones the idle release."""
    delivered = await outbox.deliver(handled, outbound, sender="manager")
    await ownership.touch(handled.id)
    return delivered
