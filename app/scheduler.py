"""Background jobs (APScheduler). Each run takes a short lock in the shared cache, so with several
replicas (Redis configured) a job runs once, not once per replica."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.container import Services
from channels.follow_ups import FollowUps

if TYPE_CHECKING:
    from admin_bot.notifier import ManagerNotifier

log = logging.getLogger(__name__)


class Jobs:
    def __init__(self, services: Services, notifier: ManagerNotifier | None) -> None:
        self._services = services
        self._notifier = notifier

    async def _once(self, name: str, interval_s: float, job: Callable[[], Awaitable[int]]) -> int:
        if not await self._services.clients.cache.set_if_absent(f"job:{name}", "1", interval_s * 0.9):
            return 0
        done = await job()
        if done:
            log.info("job %s: %d", name, done)
        return done

    async def reannounce_hot_leads(self) -> int:
        if self._notifier is None:
            return 0
        qualification = self._services.brain.playbook.qualification
        minutes = qualification.reannounce_after_minutes if qualification else None
        minutes = minutes or self._services.settings.automation.sla_minutes
        return await self._notifier.reannounce(timedelta(minutes=minutes))

    async def release_idle_takeovers(self) -> int:
        if self._notifier is None:
            return 0
        minutes = self._services.settings.managers.takeover_idle_minutes
        ownership = self._services.ownership
        released = 0
        for conversation in await ownership.idle(timedelta(minutes=minutes)):
            owner = conversation.owner_manager_id
            if await ownership.release(conversation.id, None, reason="idle"):
                released += 1
                if owner is not None:
                    try:
                        await self._notifier.idle_released(owner, minutes)
                    except Exception:  # a manager who blocked the admin bot must not stop the others' release
                        log.warning("could not tell manager %s about an idle release", owner, exc_info=True)
        return released

    async def decay_leads(self) -> int:
        days = self._services.settings.leads.decay_after_days
        return await self._services.repos.leads.decay(timedelta(days=days), points=10)

    async def retry_failed_deliveries(self) -> int:
        sent = await self._services.outbox.retry_failed()
        if sent:
            log.info("job outbox-retry: %d", sent)
        return sent

    async def flush_crm_events(self) -> int:
        return await self._services.crm.flush()

    async def follow_up_silent_leads(self) -> int:
        services = self._services
        follow_ups = FollowUps(
            services.repos.leads,
            services.repos.conversations,
            services.repos.messages,
            services.outbox,
            lambda: services.brain.playbook,
            services.settings.automation.follow_up_after_hours,
        )
        return await follow_ups.run()

    async def ask_quiet_chats_for_a_rating(self) -> int:
        hours = self._services.settings.automation.csat_after_quiet_hours
        if not hours:
            return 0
        return await self._services.csat.ask_quiet(self._services.repos.leads, hours)

    async def send_daily_digest(self) -> int:
        hour = self._services.settings.automation.digest_hour
        if self._notifier is None or hour is None:
            return 0
        from admin_bot.digest import DailyDigest  # the admin bot's side, like the notifier

        repos = self._services.repos
        digest = DailyDigest(
            self._notifier.board,
            repos.stats,
            repos.meta,
            repos.conversations,
            timezone=self._services.settings.timezone,
            hour=hour,
        )
        return await digest.run()

    async def reload_learned_answers(self) -> None:
        """Pairs approved through another replica's admin bot reach this one within a minute."""
        await self._services.learned.reload()

    def scheduler(self, cluster_jobs: bool = True) -> AsyncIOScheduler:
        """Every replica refreshes its own state; `cluster_jobs` (the scheduler role) adds the jobs that act on
        shared data, each run claimed in the cache so it happens once across replicas."""
        scheduler = AsyncIOScheduler()
        scheduler.add_job(self.reload_learned_answers, "interval", seconds=60)
        # On every replica: only one with a sender for the message's channel can deliver it (each message is
        # claimed by compare-and-set, so none goes twice).
        scheduler.add_job(self.retry_failed_deliveries, "interval", seconds=30)
        if cluster_jobs:
            scheduler.add_job(self._once, "interval", seconds=10, args=["crm", 10, self.flush_crm_events])
            scheduler.add_job(self._once, "interval", seconds=60, args=["reannounce", 60, self.reannounce_hot_leads])
            scheduler.add_job(
                self._once, "interval", seconds=60, args=["idle-release", 60, self.release_idle_takeovers]
            )
            scheduler.add_job(self._once, "interval", hours=1, args=["lead-decay", 3600, self.decay_leads])
            scheduler.add_job(self._once, "interval", minutes=5, args=["follow-ups", 300, self.follow_up_silent_leads])
            scheduler.add_job(self._once, "interval", minutes=5, args=["digest", 300, self.send_daily_digest])
            scheduler.add_job(
                self._once, "interval", minutes=5, args=["csat-quiet", 300, self.ask_quiet_chats_for_a_rating]
            )
        return scheduler
