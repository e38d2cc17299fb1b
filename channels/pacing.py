"""Outbound pacing within the platforms' limits, shared by every replica through the cache (Redis when
configured): Telegram about one message a second per chat (short bursts allowed) and 30 a second per bot;
Messenger, Instagram and WhatsApp per-channel ceilings. A send over a limit waits for the next window
instead of being refused by the platform (a 429 would stall the whole chat for its retry-after)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from storage.cache import Cache

log = logging.getLogger(__name__)
MAX_WAIT_S = 60.0  # past this the message goes anyway: the platform's own retry-after then paces it


@dataclass(frozen=True, slots=True)
class PaceLimits:
    overall: int  # messages per `overall_window_s` per bot / page / number
    per_chat: int = 0  # messages per `chat_window_s` to one recipient (0: the platform sets none we pace)
    overall_window_s: float = 1.0
    chat_window_s: float = 3.0


# Telegram's FAQ: ~1 message/s in one chat, ~30/s in all; a business chat goes through the same bot.
# WhatsApp Cloud API: 80 messages/s per number (its per-recipient pace is the adapter's). Messenger and
# Instagram: a conservative ceiling under the Send API's per-page rate.
LIMITS: dict[str, PaceLimits] = {
    "telegram": PaceLimits(overall=30, per_chat=3),
    "whatsapp": PaceLimits(overall=80),
    "messenger": PaceLimits(overall=40),
    "instagram": PaceLimits(overall=40),
}
SAME_SENDER = {"telegram_business": "telegram"}


class OutboundPacer:
    def __init__(self, cache: Cache, limits: dict[str, PaceLimits] | None = None) -> None:
        self._cache = cache
        self._limits = LIMITS if limits is None else limits

    async def acquire(self, channel: str, recipient: str) -> float:
        """Wait until one more message to `recipient` fits; returns the seconds slept for it (0.0: none)."""
        sender = SAME_SENDER.get(channel, channel)
        limits = self._limits.get(sender)
        if limits is None:
            return 0.0
        slept = 0.0
        chat_slot = None  # the chat window this message already holds a place in
        while True:
            # The chat first: a message its chat holds back must not use up a slot of the bot's overall limit,
            # and one the overall limit holds back keeps its place in the chat's window.
            wait = 0.0
            if limits.per_chat and chat_slot != int(time.time() // limits.chat_window_s):
                wait = await self._over(f"pace:{sender}:{recipient}", limits.per_chat, limits.chat_window_s)
                chat_slot = None if wait else int(time.time() // limits.chat_window_s)
            if not wait:
                wait = await self._over(f"pace:{sender}", limits.overall, limits.overall_window_s)
            if not wait:
                return slept
            if slept + wait > MAX_WAIT_S:
                log.warning("outbound pacing for %s waited %.0f s; sending anyway", sender, slept)
                return slept
            await asyncio.sleep(wait)
            slept += wait

    async def _over(self, key: str, limit: int, window_s: float) -> float:
        """0 when this send fits in the current window; otherwise the seconds until the next one."""
        now = time.time()
        slot = int(now // window_s)
        if await self._cache.incr(f"{key}:{slot}", window_s * 2) <= limit:
            return 0.0
        return (slot + 1) * window_s - now + 0.001
