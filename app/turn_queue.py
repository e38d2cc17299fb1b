"""Which turn queue a replica uses: its own lanes only, or Redis Streams shared with the other replicas."""

from __future__ import annotations

from functools import partial
from typing import Literal

import redis.asyncio as aioredis

from app.settings import Settings
from channels.context import Accepted
from channels.messages import TurnResult
from channels.recovery import restore, unanswered
from channels.stores import Stores
from channels.stream_turns import StreamTurnQueue
from channels.turns import InProcessTurnQueue
from storage.turn_stream import TurnStream

TurnRole = Literal["local", "accept", "answer"]  # what a process does with the replicas' shared turn queue


class SharedTurns:
    """The hub's `distribute`: puts a `StreamTurnQueue` in front of the replica's lanes and keeps it to start."""

    def __init__(self, stream: TurnStream, stores: Stores, replica: str, lease_s: float) -> None:
        self._stream = stream
        self._stores = stores
        self._replica = replica
        self._lease_s = lease_s
        self.queue: StreamTurnQueue | None = None

    def __call__(self, lanes: InProcessTurnQueue[Accepted, TurnResult]) -> StreamTurnQueue:
        self.queue = StreamTurnQueue(
            self._stream,
            lanes,
            partial(restore, self._stores),
            partial(unanswered, self._stores, self._replica),
            self._replica,
            self._lease_s,
        )
        return self.queue

    async def start(self, consume: bool) -> None:
        if self.queue is None:
            raise RuntimeError("the hub was not built with this queue")
        await self.queue.start(consume)


def shared_turns(settings: Settings, redis: aioredis.Redis | None, stores: Stores, replica: str) -> SharedTurns | None:
    """None: turns stay in the replica that accepted them (no Redis, or TURN_QUEUE=local)."""
    limits = settings.reliability
    if limits.turn_queue == "local" or (limits.turn_queue == "auto" and redis is None):
        return None
    if redis is None:
        raise ValueError("TURN_QUEUE=redis needs REDIS_URL")
    stream = TurnStream(redis, settings.mongo.db, limits.turn_shards)
    return SharedTurns(stream, stores, replica, limits.replica_timeout_s)
