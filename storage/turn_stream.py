"""Redis Streams under the turn queue of several replicas (`channels.stream_turns`).

Conversations are hashed onto `shards` streams, each read through one consumer group. A shard is read by one
replica at a time, the holder of its lease, so a conversation's turns keep their order; a replica that dies
stops renewing its leases and another takes its shards with the entries it had not acknowledged.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

GROUP = "closer-turns"

# Extend or drop a lease only while this replica still holds it (another may have taken it after a stall).
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

Entry = tuple[int, str, dict[str, str]]  # shard, entry id, fields


class TurnStream:
    def __init__(self, client: aioredis.Redis, namespace: str, shards: int = 16) -> None:
        self._redis = client
        self._prefix = f"closer:{namespace}:turns"  # one deployment's database: another's keys never mix in
        self.shards = shards
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def shard_of(self, key: str) -> int:
        """Stable across processes (Python's own `hash` of a str is salted per process)."""
        return zlib.crc32(key.encode()) % self.shards

    def stream_name(self, shard: int) -> str:
        return f"{self._prefix}:{shard}"

    async def ensure_groups(self) -> None:
        """Create each shard's stream and group; entries added before the group existed are read too."""
        for shard in range(self.shards):
            try:
                await self._redis.xgroup_create(self.stream_name(shard), GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def add_many(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        """Append each entry to the stream of its key's shard, in order, in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, fields in entries:
                pipe.xadd(self.stream_name(self.shard_of(key)), fields)  # type: ignore[arg-type]
            await pipe.execute()

    async def read(self, consumer: str, shards: list[int], count: int, block_ms: int) -> list[Entry]:
        """New entries of the given shards for `consumer`, oldest first per shard."""
        streams = {self.stream_name(shard): ">" for shard in shards}
        try:
            replies = await self._redis.xreadgroup(GROUP, consumer, streams, count=count, block=block_ms)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self.ensure_groups()  # Redis restarted without its data: the streams are new
            return []
        return [(_shard(name), entry_id, fields) for name, entries in replies for entry_id, fields in entries]

    async def epoch(self, candidate: str) -> str:
        """The streams' marker, set to `candidate` when there is none: it changes only when Redis loses its
        data, and with it every entry not yet answered."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._prefix}:epoch", candidate, nx=True)
            pipe.get(f"{self._prefix}:epoch")
            _, marker = await pipe.execute()
        return str(marker)

    def lease_key(self, shard: int) -> str:
        return f"{self._prefix}:lease:{shard}"

    async def claim_pending(self, consumer: str, shard: int, min_idle_ms: int = 0) -> list[Entry]:
        """Take every entry of `shard` delivered but not acknowledged for `min_idle_ms` (its previous holder
        died or left, or a read here was cut short), oldest first."""
        claimed: list[Entry] = []
        start = "0-0"
        while True:
            try:
                reply = await self._redis.xautoclaim(
                    self.stream_name(shard), GROUP, consumer, min_idle_ms, start_id=start, count=100
                )
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                await self.ensure_groups()  # Redis restarted without its data: nothing is pending
                return claimed
            start, entries = reply[0], reply[1]
            claimed.extend((shard, entry_id, fields) for entry_id, fields in entries if fields)
            if start in ("0-0", b"0-0"):
                return claimed

    async def done(self, shard: int, entry_id: str) -> None:
        """Acknowledge and drop an entry (one group per stream: nobody else needs it)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xack(self.stream_name(shard), GROUP, entry_id)
            pipe.xdel(self.stream_name(shard), entry_id)
            await pipe.execute()

    async def depth(self) -> int:
        """Entries not yet acknowledged, over every shard."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for shard in range(self.shards):
                pipe.xlen(self.stream_name(shard))
            return sum(int(n) for n in await pipe.execute())

    async def beat(self, consumer: str, ttl_ms: int) -> list[str]:
        """Say this consumer is alive; returns the consumers alive now (itself included)."""
        now = time.time() * 1000
        key = f"{self._prefix}:consumers"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {consumer: now})
            pipe.zremrangebyscore(key, "-inf", now - ttl_ms)
            pipe.zrange(key, 0, -1)
            *_, alive = await pipe.execute()
        return [str(c) for c in alive]

    async def leave(self, consumer: str) -> None:
        await self._redis.zrem(f"{self._prefix}:consumers", consumer)

    async def acquire(self, shard: int, consumer: str, ttl_ms: int) -> bool:
        return bool(await self._redis.set(self.lease_key(shard), consumer, nx=True, px=ttl_ms))

    async def renew(self, shard: int, consumer: str, ttl_ms: int) -> bool:
        return bool(await self._renew(keys=[self.lease_key(shard)], args=[consumer, ttl_ms]))

    async def release(self, shard: int, consumer: str) -> None:
        await self._release(keys=[self.lease_key(shard)], args=[consumer])

    async def holder(self, shard: int) -> str | None:
        return await self._redis.get(self.lease_key(shard))

    async def publish(self, replica: str, payload: str) -> None:
        """A turn's result for the replica that accepted its message (where its customer may be waiting)."""
        await self._redis.publish(f"{self._prefix}:results:{replica}", payload)

    async def results(self, replica: str) -> AsyncIterator[str]:
        """The results other replicas publish for messages this replica accepted."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(f"{self._prefix}:results:{replica}")
        try:
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None:
                    yield str(message["data"])
        finally:
            await pubsub.aclose()


def _shard(stream: str) -> int:
    return int(str(stream).rsplit(":", 1)[1])
