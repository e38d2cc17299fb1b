"""This process as one replica among several: it beats, adopts what dead replicas left unanswered, and on a
clean stop finishes its turns and leaves, so whatever it could not finish is taken over at once."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from channels.hub import Hub
from channels.left_behind import AliveReplicas
from channels.recovery import adopt_orphans, retry_stuck
from channels.stores import Stores
from storage.replicas import ReplicaRegistry

log = logging.getLogger(__name__)


def alive_replicas(registry: ReplicaRegistry, timeout_s: float) -> AliveReplicas:
    """The replicas that beat within the timeout, for whoever must tell a dead holder from a live one."""
    within = timedelta(seconds=timeout_s)

    async def alive() -> list[str]:
        return await registry.alive(within)

    return alive


class ReplicaLife:
    def __init__(self, hub: Hub, stores: Stores, registry: ReplicaRegistry, timeout_s: float) -> None:
        self._hub = hub
        self._stores = stores
        self._registry = registry
        self._timeout = timedelta(seconds=timeout_s)

    @property
    def replica_id(self) -> str:
        return self._hub.worker

    async def join(self) -> None:
        """Beat once before accepting anything: a message this replica stores must never look orphaned."""
        await self._registry.beat(self.replica_id)

    async def run(self) -> None:
        """Beat every third of the timeout and sweep for orphans (a small indexed query; adopted turns run in
        the queue, so a long recovery never delays the next beat)."""
        period = self._timeout.total_seconds() / 3
        while True:
            try:
                await self._registry.beat(self.replica_id)
                await self.sweep()
            except Exception:  # the database is down: keep beating when it is back, the turns report their own
                log.exception("replica heartbeat or recovery sweep failed")
            await asyncio.sleep(period)

    async def sweep(self) -> int:
        alive = await self._registry.alive(self._timeout)
        adopted = await adopt_orphans(self._hub, self._stores, alive)
        if adopted:
            log.info("adopted %d messages left unanswered by a replica that is gone", adopted)
        if not self._hub.shares_turns:  # a shared queue keeps the entry of a turn MongoDB failed, to read again
            retried = await retry_stuck(self._hub, self._stores)
            if retried:
                log.warning("queued again %d messages whose turns failed here", retried)
        await self._registry.forget_dead(self._timeout * 10)
        return adopted

    async def finish(self, grace_s: float) -> None:
        """SIGTERM: let running turns finish within `grace_s`."""
        if not await self._hub.drain(grace_s):
            log.warning("stopping with turns still running: the other replicas (or the next start) answer them")

    async def leave(self) -> None:
        """Hand what is left to the other replicas at once (not after the registry's timeout)."""
        await self._registry.leave(self.replica_id)
