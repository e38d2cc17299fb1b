"""Background jobs (APScheduler). Each run takes a short lock in the shared cache, so with several
replicas (Redis configured) a job runs once, not once per replica."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.admin_runtime import AdminRuntime
from app.container import Services

log = logging.getLogger(__name__)


class Jobs:
    def __init__(self, services: Services, admin: AdminRuntime | None) -> None:
        self._services = services
        self._admin = admin

    async def _once(self, name: str, interval_s: float, job: Callable[[], Awaitable[int]]) -> int:
        if not await self._services.cache.set_if_absent(f"job:{name}", "1", interval_s * 0.9):
            return 0
        done = await job()
        if done:
            log.info("job %s: %d", name, done)
        return done

    async def reannounce_hot_leads(self) -> int:
        if self._admin is None:
            return 0
        qualification = self._services.brain.playbook.qualification
        minutes = qualification.reannounce_after_minutes if qualification else 10
        return await self._admin.notifier.reannounce(timedelta(minutes=minutes))  # type: ignore[attr-defined]

    async def release_idle_takeovers(self) -> int:
        if self._admin is None:
            return 0
        minutes = self._services.settings.takeover_idle_minutes
        released = 0
        for conversation in await self._admin.ownership.idle(timedelta(minutes=minutes)):
            owner = conversation.owner_manager_id
            if await self._admin.ownership.release(conversation.id, None, reason="idle"):
                released += 1
                if owner is not None:
                    await self._admin.notifier.tell(  # type: ignore[attr-defined]
                        owner,
                        f"No activity for {minutes} min: the chat went back to the bot. "
                        "Tap Take over on its card to continue.",
                    )
        return released

    async def decay_leads(self) -> int:
        days = self._services.settings.lead_decay_after_days
        return await self._services.leads.decay(timedelta(days=days), points=10)

    async def flush_crm_events(self) -> int:
        return await self._services.crm.flush()

    async def reload_examples(self) -> None:
        """Pairs approved through another replica's admin bot reach this one within a minute."""
        await self._services.examples.reload()

    def scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler()
        scheduler.add_job(self._once, "interval", seconds=10, args=["crm", 10, self.flush_crm_events])
        scheduler.add_job(self._once, "interval", seconds=60, args=["reannounce", 60, self.reannounce_hot_leads])
        scheduler.add_job(self._once, "interval", seconds=60, args=["idle-release", 60, self.release_idle_takeovers])
        scheduler.add_job(self.reload_examples, "interval", seconds=60)
        scheduler.add_job(self._once, "interval", hours=1, args=["lead-decay", 3600, self.decay_leads])
        return scheduler
