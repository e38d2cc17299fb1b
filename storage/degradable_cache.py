"""Redis with a way down: when Redis stops answering, fast state goes to an in-process cache so customers are
still answered (degraded: dedupe marks and limits become per-replica), and Redis is tried again shortly."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

from storage.cache import Cache, MemoryCache

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_AFTER_S = 5.0  # while Redis is down, one call in this interval tries it (the rest do not wait on timeouts)


class DegradableCache:
    def __init__(self, redis: Cache, fallback: MemoryCache | None = None, clock: Callable[[], float] = time.monotonic):
        self._redis = redis
        self._fallback = fallback or MemoryCache()
        self._clock = clock
        self._down_since: float | None = None
        self._next_try = 0.0
        self.outages = 0  # how many times Redis went away (metrics, tests)

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    async def _call(self, redis_op: Callable[[Cache], Awaitable[T]]) -> T:
        if self._down_since is None or self._clock() >= self._next_try:
            try:
                result = await redis_op(self._redis)
            except (RedisError, OSError) as exc:
                self._went_down(exc)
            else:
                if self._down_since is not None:
                    log.warning(
                        "Redis is back after %.0f s: fast state is shared again", self._clock() - self._down_since
                    )
                    self._down_since = None
                return result
        return await redis_op(self._fallback)

    def _went_down(self, exc: Exception) -> None:
        self._next_try = self._clock() + RETRY_AFTER_S
        if self._down_since is None:
            self._down_since = self._clock()
            self.outages += 1
            log.error("Redis is unreachable (%s): answering on in-process state until it is back", type(exc).__name__)

    async def get(self, key: str) -> str | None:
        return await self._call(lambda c: c.get(key))

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        await self._call(lambda c: c.set(key, value, ttl_s))

    async def set_if_absent(self, key: str, value: str, ttl_s: float) -> bool:
        return await self._call(lambda c: c.set_if_absent(key, value, ttl_s))

    async def delete(self, key: str) -> None:
        await self._call(lambda c: c.delete(key))

    async def incr(self, key: str, ttl_s: float) -> int:
        return await self._call(lambda c: c.incr(key, ttl_s))

    async def ping(self) -> bool:
        """Redis itself (for /readyz): False while the fallback serves."""
        up = await self._redis.ping()
        if up and self._down_since is not None:
            self._next_try = 0.0  # let the next call switch back
        return up

    async def close(self) -> None:
        await self._redis.close()
        await self._fallback.close()
