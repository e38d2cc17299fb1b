"""Which turn shards this replica reads: an even share among the live replicas, held by leases it keeps
renewing. A replica that joins makes the others hand their surplus over (after the turns they read from it
finish); one that dies stops renewing, and its shards are taken with what it had read and not finished."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable

from storage.turn_stream import TurnStream

log = logging.getLogger(__name__)


class ShardShare:
    def __init__(
        self,
        stream: TurnStream,
        replica: str,
        lease_ms: int,
        take: Callable[[int], Awaitable[None]],
        settle: Callable[[int], Awaitable[None]],
    ) -> None:
        self._stream = stream
        self._replica = replica
        self._lease_ms = lease_ms
        self._take = take  # claims a newly held shard's unfinished entries and starts their turns
        self._settle = settle  # returns when no turn read from that shard is still running here
        self.owned: set[int] = set()  # shards this replica reads
        self._leaving: set[int] = set()  # being handed over: no new reads, the running turns finish
        self._handing: set[asyncio.Task[None]] = set()

    async def balance(self, *, share: bool = True) -> None:
        """One round: beat, renew, hand the surplus over or take a fair share of the free shards (not while
        stopping, `share` False: the leases are only kept until the running turns are done)."""
        alive = sorted(await self._stream.beat(self._replica, self._lease_ms))
        for shard in sorted(self.held):
            if not await self._stream.renew(shard, self._replica, self._lease_ms):
                log.warning("lost the lease of turn shard %d (a stall longer than the lease)", shard)
                self.owned.discard(shard)
                self._leaving.discard(shard)
        if not share:
            return
        fair = math.ceil(self._stream.shards / max(1, len(alive)))
        for shard in sorted(self.owned)[fair:]:  # a replica joined
            self.owned.discard(shard)
            self._leaving.add(shard)
            task = asyncio.create_task(self._hand_over(shard))
            self._handing.add(task)
            task.add_done_callback(self._handing.discard)
        if len(self.owned) >= fair:
            return
        start = alive.index(self._replica) * fair if self._replica in alive else 0  # newcomers spread out
        for step in range(self._stream.shards):
            shard = (start + step) % self._stream.shards
            if shard in self.owned or shard in self._leaving:
                continue
            if await self._stream.acquire(shard, self._replica, self._lease_ms):
                await self._take(shard)  # before anything newer of that shard is read
                self.owned.add(shard)
                if len(self.owned) >= fair:
                    return

    async def _hand_over(self, shard: int) -> None:
        await self._settle(shard)
        self._leaving.discard(shard)
        await self._stream.release(shard, self._replica)

    @property
    def held(self) -> set[int]:
        """Every shard whose lease this replica holds (read, or being handed over)."""
        return self.owned | self._leaving

    async def give_up(self, keep: frozenset[int] | set[int] = frozenset()) -> None:
        """A clean stop: release the shards (but `keep`, whose leases lapse) and leave, so the others take
        them now, not when leases lapse."""
        for task in self._handing:
            task.cancel()
        held, self.owned, self._leaving = self.held, set(), set()
        for shard in sorted(held - keep):
            await self._stream.release(shard, self._replica)
        await self._stream.leave(self._replica)
