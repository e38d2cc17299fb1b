"""Only people on ADMIN_IDS / MANAGER_IDS may use the admin bot; everyone else is refused and logged."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from admin_bot.i18n import N_, Translator

log = logging.getLogger(__name__)


REFUSAL = N_("Sorry, this is a private bot for the company's team.")


class AccessMiddleware(BaseMiddleware):
    def __init__(self, managers: set[int], admins: set[int], translator: Translator) -> None:
        self._managers = managers | admins
        self._admins = admins
        self._translator = translator

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        if user is None or user.id not in self._managers:
            log.warning("admin bot refused user %s", user.id if user else "unknown")
            refusal = self._translator.for_locale(user.language_code if user else None)(REFUSAL)
            if isinstance(event, Message):
                await event.answer(refusal)
            elif isinstance(event, CallbackQuery):
                await event.answer(refusal, show_alert=True)
            return None
        data["is_admin"] = user.id in self._admins
        return await handler(event, data)
