"""The daily digest: at `DIGEST_HOUR` in the business's `TIMEZONE`, the last 24 hours' numbers to every
manager in their own language. Claimed per local date, so restarts and replicas send it once; a service
that was down at the hour sends it when it is back, within `CATCH_UP_HOURS`."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from admin_bot.board import CardBoard
from admin_bot.i18n import Translate
from admin_bot.stats import stats_text
from storage.meta import MetaRepository
from storage.repositories import ConversationRepository, utcnow
from storage.stats import StatsRepository

log = logging.getLogger(__name__)
CATCH_UP_HOURS = 6  # later than this, today's digest is skipped: tomorrow's will say more


class DailyDigest:
    def __init__(
        self,
        board: CardBoard,
        stats: StatsRepository,
        meta: MetaRepository,
        conversations: ConversationRepository,
        *,
        timezone: str,
        hour: int,
    ) -> None:
        self._board = board
        self._stats = stats
        self._meta = meta
        self._conversations = conversations
        self._timezone = timezone
        self._hour = hour

    async def run(self, now: datetime | None = None) -> int:
        """How many managers got today's digest (0: not the hour yet, or already sent)."""
        now = now or utcnow()
        local = now.astimezone(ZoneInfo(self._timezone))
        late = (local.hour - self._hour) % 24  # hours past the digest hour, across midnight too
        if late >= CATCH_UP_HOURS:
            return 0
        key = f"digest:{local - timedelta(hours=late):%Y-%m-%d}"  # the date of the hour it is for
        if not await self._meta.claim_once(key):
            return 0
        try:
            return await self._send(key, now)
        except Exception:
            await self._meta.forget(key)  # the next run tries again
            raise

    async def _send(self, key: str, now: datetime) -> int:
        report = await self._stats.report("day", self._timezone, now)
        waiting = len(await self._conversations.waiting_for_human(limit=100))

        def text(_: Translate) -> str:
            lines = ["☀️ " + _("Daily digest"), stats_text(report, _)]
            if waiting:
                lines.append("⏳ " + _("Waiting for a manager now: {n} (/inbox)").format(n=waiting))
            return "\n".join(lines)

        told = await self._board.broadcast(text)
        if not told:
            await self._meta.forget(key)  # nobody could be reached: the next run tries again
        return told
