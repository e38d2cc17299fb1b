"""Webhook payloads stored before the platform's 200, and the ones their replica left behind.

The replica that stores a payload holds it (`held_by`, `held_at`) while it handles it. One live replica takes
it up again (compare-and-set on `held_at`) once its holder is gone, that is missing from the replica registry
at two sweeps a beat apart (killed, or stopped before it finished: one look could catch a live replica whose
beat a storage outage delayed, or one that joined after the look), or once nobody has held it for
STUCK_AFTER_S (its holder alive but not taking it up, or none recorded). A replica's own payloads that it has
in no hand (left pending when storage stayed away longer than the retries) it takes up again at its next
sweep. A crash costs a customer the registry's timeout and a sweep, not STUCK_AFTER_S. A payload stored by a
version that did not record its holder waits for STUCK_AFTER_S.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Container
from datetime import timedelta
from typing import Any

from channels.ports import HeldInbox
from storage.repositories import utcnow

log = logging.getLogger(__name__)

STUCK_AFTER_S = 150.0  # longer than the retries (about a minute of sleeps, each try up to the server timeout)
SWEEP_EVERY_S = 10.0  # as often as the replicas beat: a dead holder's payloads wait about the registry's timeout
FORGET_AFTER_S = 3600.0
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
        self._missing_since: dict[str, float] = {}  # holders missing from the registry, since that sweep

    async def store(self, source: str, key: str, payload: dict[str, Any]) -> bool:
        """False for a payload stored before (a redelivery)."""
        return await self._inbox.store(source, key, payload, holder=self._holder)

    async def mark(self, source: str, key: str, status: str, error: str | None = None) -> None:
        await self._inbox.mark(source, key, status, error=error)

    async def take(self, source: str, busy: Container[str]) -> list[tuple[str, dict[str, Any]]]:
        """The payloads left behind that this replica now holds (keys in `busy` are in hand here already)."""
        held = await self._inbox.held(source)  # before the registry: a replica joining meanwhile is not missed
        gone = await self._gone({held_by for *_, held_by in held if held_by is not None})
        stuck_before = utcnow() - self._stuck_after
        taken = []
        for key, held_at, held_by in held:
            if key in busy:
                continue
            # Its own, and in no hand here: left pending after storage stayed away longer than the retries.
            own = self._holder is not None and held_by == self._holder
            if not (own or held_by in gone or held_at <= stuck_before):
                continue
            payload = await self._inbox.reclaim(source, key, held_at, holder=self._holder)
            if payload is not None:
                taken.append((key, payload))
        return taken

    async def _gone(self, holders: set[str]) -> set[str]:
        """The holders missing from the registry now and at a sweep at least a beat ago."""
        if self._alive is None or not holders:
            return set()
        alive = set(await self._alive())
        now = time.monotonic()
        missing = holders - alive - {self._holder}
        for holder, since in list(self._missing_since.items()):
            if holder in alive or now - since > FORGET_AFTER_S:  # back (it was a hiccup), or long gone
                del self._missing_since[holder]
        for holder in missing:
            self._missing_since.setdefault(holder, now)
        return {holder for holder in missing if now - self._missing_since[holder] >= self._sweep_every_s * 0.9}

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
