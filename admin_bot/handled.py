"""Finds the conversation a manager is handling in the chat they write from, before any handler runs.

In a private chat it is the chat the manager took over most recently; in the managers' forum group it
is the topic's conversation, if this manager owns it. Handlers receive it as `handled`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject

from channels.ownership import Ownership
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
