"""Fast state: Redis when REDIS_URL is set, otherwise an in-process store with the same interface."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from storage.mongo import StorageUnavailable


class Cache(Protocol):
    """The small key-value surface Closer needs: dedupe marks, counters, cached answers."""

    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None: ...
    async def set_if_absent(self, key: str, value: str, ttl_s: float) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, ttl_s: float) -> int: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class RedisCache:
    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    @classmethod
    async def connect(cls, url: str) -> RedisCache:
        client = aioredis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
        try:
            await client.ping()
        except (RedisError, OSError) as exc:
            await client.aclose()
            raise StorageUnavailable(f"Redis is unreachable ({type(exc).__name__}): {exc}") from exc
        return cls(client)

    @property
    def client(self) -> aioredis.Redis:
        return self._redis

    async def get(self, key: str) -> str | None:
        return await self._redis.get(key)

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        await self._redis.set(key, value, px=int(ttl_s * 1000) if ttl_s else None)

    async def set_if_absent(self, key: str, value: str, ttl_s: float) -> bool:
        return bool(await self._redis.set(key, value, nx=True, px=int(ttl_s * 1000)))

    async def delete(self, key: str) -> None:
        await self._redis.delete(key)

    async def incr(self, key: str, ttl_s: float) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.pexpire(key, int(ttl_s * 1000), nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()


class MemoryCache:
    """Single-process stand-in for Redis: correct for one process, lost on restart by design."""

    def __init__(self, clock: callable = time.monotonic) -> None:  # type: ignore[valid-type]
        self._data: dict[str, tuple[str, float | None]] = {}
        self._lock = asyncio.Lock()
        self._clock = clock

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._clock():
            del self._data[key]
            return None
        return value

    def _expiry(self, ttl_s: float | None) -> float | None:
        return self._clock() + ttl_s if ttl_s else None

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def set(self, key: str, value: str, ttl_s: float | None = None) -> None:
        self._data[key] = (value, self._expiry(ttl_s))

    async def set_if_absent(self, key: str, value: str, ttl_s: float) -> bool:
        async with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (value, self._expiry(ttl_s))
            return True

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str, ttl_s: float) -> int:
        async with self._lock:
            current = self._live(key)
            count = int(current or 0) + 1
            expires = self._data[key][1] if current is not None else self._expiry(ttl_s)
            self._data[key] = (str(count), expires)
            return count

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()
