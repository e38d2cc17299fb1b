"""Outbound pacing: no more messages per window than the platform allows, per chat and per bot, also when
two replicas send through one Redis; a lone message does not wait."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from channels.pacing import OutboundPacer, PaceLimits
from storage.cache import MemoryCache, RedisCache

LIMITS = {"telegram": PaceLimits(overall=4, per_chat=2, overall_window_s=0.5, chat_window_s=0.5)}


def busiest_window(times: list[float], window_s: float) -> int:
    return max(Counter(int(t // window_s) for t in times).values())


async def send_all(pacer: OutboundPacer, channel: str, recipients: list[str]) -> list[float]:
    sent: list[float] = []

    async def one(recipient: str) -> None:
        await pacer.acquire(channel, recipient)
        sent.append(time.time())

    await asyncio.gather(*(one(r) for r in recipients))
    return sent


async def test_one_chat_gets_no_more_than_its_limit_per_window(redis_url):
    cache = await RedisCache.connect(redis_url)
    try:
        pacer = OutboundPacer(cache, LIMITS)
        assert await pacer.acquire("telegram", "lone-chat") < 0.05  # a lone message does not wait
        # Start just after a window begins: a send is timed when it returns, and one granted at the very end
        # of a window (on a busy machine) would be counted in the next one.
        await asyncio.sleep(0.5 - time.time() % 0.5 + 0.01)
        sent = await send_all(pacer, "telegram", ["chat-1"] * 6)
        assert len(sent) == 6 and busiest_window(sent, 0.5) <= 2
        assert max(sent) - min(sent) >= 0.5  # the burst was spread over later windows, none was dropped
    finally:
        await cache.close()


async def test_two_replicas_share_the_bots_overall_limit_through_redis(redis_url):
    first, second = await RedisCache.connect(redis_url), await RedisCache.connect(redis_url)
    try:
        replicas = [OutboundPacer(first, LIMITS), OutboundPacer(second, LIMITS)]
        chats = [f"shared-{i}" for i in range(12)]  # different chats: only the overall limit applies
        await asyncio.sleep(0.5 - time.time() % 0.5 + 0.01)  # just after a window begins (as above)
        sent = await asyncio.gather(*(send_all(p, "telegram", chats[i::2]) for i, p in enumerate(replicas)))
        every = sent[0] + sent[1]
        assert len(every) == 12 and busiest_window(every, 0.5) <= 4
    finally:
        await first.close()
        await second.close()


async def test_a_business_chat_counts_against_the_same_bot_and_unpaced_channels_never_wait():
    pacer = OutboundPacer(MemoryCache(), {"telegram": PaceLimits(overall=2, overall_window_s=1.0)})
    await asyncio.sleep(1.0 - time.time() % 1.0 + 0.01)  # at the start of a window
    assert await pacer.acquire("telegram", "a") == 0.0 and await pacer.acquire("telegram", "b") == 0.0
    waited = await pacer.acquire("telegram_business", "c")  # the third message of this window, same bot
    assert waited > 0.5
    assert [await pacer.acquire("web", "session") for _ in range(20)] == [0.0] * 20
