"""Only people on ADMIN_IDS / MANAGER_IDS may use the admin bot; everyone else is refused and logged."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

log = logging.getLogger(__name__)

REFUSAL = "Sorry, this is a private bot for the company's team."


class AccessMiddleware(BaseMiddleware):
    def __init__(self, managers: set[int], admins: set[int]) -> None:
        self._managers = managers | admins
        self._admins = admins

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        if user is None or user.id not in self._managers:
            log.warning("admin bot refused user %s", user.id if user else "unknown")
            if isinstance(event, Message):
                await event.answer(REFUSAL)
            elif isinstance(event, CallbackQuery):
                await event.answer(REFUSAL, show_alert=True)
            return None
        data["is_admin"] = user.id in self._admins
        return await handler(event, data)
