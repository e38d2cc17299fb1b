"""Webhook payloads stored before the platform's 200, and the ones their replica left behind.

The replica that stores a payload holds it (`held_by`, `held_at`) while it handles it. One live replica takes
it up again (compare-and-set on `held_at`) once its holder is gone, that is no longer beating in the replica
registry (killed, or stopped before it finished), or once nobody has held it for STUCK_AFTER_S (storage
stayed away longer than the retries). A live replica's payloads are never taken from it, and a crash costs a
customer the registry's timeout, not STUCK_AFTER_S.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Container
from datetime import timedelta
from typing import Any

from channels.ports import HeldInbox
from storage.repositories import utcnow

log = logging.getLogger(__name__)

STUCK_AFTER_S = 90.0  # held this long without being handled: longer than the retries and the burst hold together
SWEEP_EVERY_S = 10.0  # as often as the replicas beat: a dead holder's payloads wait about the registry's timeout
AliveReplicas = Callable[[], Awaitable[Collection[str]]]


class LeftBehind:
    def __init__(
        self,
        inbox: HeldInbox,
        holder: str | None = None,
        alive: AliveReplicas | None = None,
        *,
        stuck_after_s: float = STUCK_AFTER_S,
        sweep_every_s: float = SWEEP_EVERY_S,
    ) -> None:
        """`holder`: this replica's id; `alive`: the replicas beating now (without it, only STUCK_AFTER_S)."""
        self._inbox = inbox
        self._holder = holder
        self._alive = alive
        self._stuck_after = timedelta(seconds=stuck_after_s)
        self._sweep_every_s = sweep_every_s

    async def store(self, source: str, key: str, payload: dict[str, Any]) -> bool:
        """False for a payload stored before (a redelivery)."""
        return await self._inbox.store(source, key, payload, holder=self._holder)

    async def mark(self, source: str, key: str, status: str, error: str | None = None) -> None:
        await self._inbox.mark(source, key, status, error=error)

    async def take(self, source: str, busy: Container[str]) -> list[tuple[str, dict[str, Any]]]:
        """The payloads left behind that this replica now holds (keys in `busy` are in hand here already)."""
        alive = set(await self._alive()) if self._alive is not None else None
        stuck_before = utcnow() - self._stuck_after
        taken = []
        for key, payload, held_at, held_by in await self._inbox.held(source):
            gone = alive is not None and held_by != self._holder and held_by not in alive
            if key in busy or not (gone or held_at <= stuck_before):
                continue
            if await self._inbox.reclaim(source, key, held_at, holder=self._holder):
                taken.append((key, payload))
        return taken

    def sweep(self, recover: Callable[[], Awaitable[object]], what: str) -> asyncio.Task[None]:
        """Run `recover` every SWEEP_EVERY_S until cancelled; a failure is logged and the next sweep tries again."""

        async def sweeping() -> None:
            while True:
                await asyncio.sleep(self._sweep_every_s)
                try:
                    await recover()
                except Exception:  # storage away, or a bug: logged, and the next sweep tries again
                    log.exception("%s sweep failed", what)

        return asyncio.create_task(sweeping())
