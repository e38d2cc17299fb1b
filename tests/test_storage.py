"""Storage against real servers: Redis, MongoDB through the driver, and the in-process fallback."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.logging import PersonalDataFilter, mask_personal_data
from app.routes.health import readiness
from storage.cache import MemoryCache, RedisCache
from storage.messages import DuplicateMessage
from tests.conftest import unique_id


@pytest.fixture(params=["redis", "memory"])
async def cache(request, redis_url):
    if request.param == "redis":
        built = await RedisCache.connect(redis_url)
    else:
        built = MemoryCache()
    yield built
    await built.close()


async def test_cache_set_if_absent_and_expiry(cache):
    key = f"k:{unique_id()}"
    assert await cache.set_if_absent(key, "1", ttl_s=0.3) is True
    assert await cache.set_if_absent(key, "2", ttl_s=0.3) is False
    assert await cache.get(key) == "1"
    await asyncio.sleep(0.4)
    assert await cache.get(key) is None
    assert await cache.set_if_absent(key, "3", ttl_s=5) is True


async def test_cache_counter_keeps_its_window(cache):
    key = f"rl:{unique_id()}"
    counts = [await cache.incr(key, ttl_s=0.3) for _ in range(3)]
    assert counts == [1, 2, 3]
    await asyncio.sleep(0.4)
    assert await cache.incr(key, ttl_s=0.3) == 1


async def test_concurrent_set_if_absent_has_one_winner(cache):
    key = f"lock:{unique_id()}"
    results = await asyncio.gather(*[cache.set_if_absent(key, str(i), ttl_s=5) for i in range(20)])
    assert results.count(True) == 1


async def test_unreachable_redis_is_a_clear_error():
    from storage.mongo import StorageUnavailable

    with pytest.raises(StorageUnavailable, match="Redis is unreachable"):
        await RedisCache.connect("redis://127.0.0.1:1/0")


async def test_services_with_redis_report_ready_and_dedupe(services_factory, redis_url):
    from channels.messages import InboundMessage

    async with services_factory(redis_url=redis_url) as services:
        assert await readiness(services) == {"mongodb": "ok", "redis": "ok", "chroma": "ok"}
        message = InboundMessage("web", "redis-user", "same-id", text="What is the warranty?")
        first = await services.hub.handle(message)
        second = await services.hub.handle(message)
        assert first.replies and second.duplicate
        assert await services.clients.cache.get("dedupe:web:same-id") == "1"


async def test_platform_message_id_is_stored_once(services):
    conversation_id = unique_id()
    await services.repos.messages.add(
        conversation_id, "telegram", "in", "a", status="received", channel_message_id="1:1"
    )
    with pytest.raises(DuplicateMessage):
        await services.repos.messages.add(
            conversation_id, "telegram", "in", "a", status="received", channel_message_id="1:1"
        )
    # Outbound messages without a platform id never collide.
    await services.repos.messages.add(conversation_id, "telegram", "out", "x", status="sent")
    await services.repos.messages.add(conversation_id, "telegram", "out", "y", status="sent")


async def test_ownership_compare_and_set_has_one_winner_under_a_race(services):
    contact = await services.repos.contacts.upsert("web", f"race-{unique_id()}")
    conversation = await services.repos.conversations.open(contact, "en")
    assert conversation.owner == "ai"
    results = await asyncio.gather(
        *[
            services.repos.conversations.compare_and_set_owner(conversation.id, "ai", "human", manager_id=i)
            for i in range(20)
        ]
    )
    assert results.count(True) == 1
    after = await services.repos.conversations.get(conversation.id)
    assert after is not None and after.owner == "human" and after.owner_manager_id == results.index(True)


async def test_bot_sends_nothing_while_a_human_owns_the_chat(services):
    from channels.messages import InboundMessage

    user = f"owned-{unique_id()}"
    first = await services.hub.handle(InboundMessage("web", user, unique_id(), text="hello"))
    assert await services.repos.conversations.compare_and_set_owner(first.conversation_id, "ai", "human", 7)
    second = await services.hub.handle(InboundMessage("web", user, unique_id(), text="What is the warranty?"))
    assert second.replies == []
    history = await services.repos.messages.recent(first.conversation_id)
    assert history[-1].direction == "in" and history[-1].status == "for_human"


def test_logs_mask_phones_emails_and_tokens(caplog):
    text = "call +380 67 123 45 67 or mail olena.k@example.com, bot 123456789:AAHk2JvX0123456789abcdefghijklmnopq"
    masked = mask_personal_data(text)
    assert "123 45 67" not in masked and "olena.k@" not in masked and "AAHk2" not in masked
    assert "o***@example.com" in masked and "***67" in masked
    assert mask_personal_data("listening on 127.0.0.1:8000") == "listening on 127.0.0.1:8000"
    logger = logging.getLogger("closer.test")
    logger.addFilter(PersonalDataFilter())
    with caplog.at_level(logging.INFO, logger="closer.test"):
        logger.info("customer wrote %s", "my number is 0671234567")
    assert "0671234567" not in caplog.text


def test_json_logs_are_one_masked_object_per_line(capsys):
    import json

    from app.logging import configure_logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("INFO", "json")
    try:
        logging.getLogger("closer.json").info("lead from %s", "olena.k@example.com +380 67 123 45 67")
        logging.getLogger("apscheduler.executors.default").info("Running job every minute")  # quiet by default
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        [entry] = [json.loads(line) for line in lines]
        assert entry["level"] == "INFO" and entry["logger"] == "closer.json"
        assert "olena.k@" not in entry["message"] and "123 45 67" not in entry["message"]
    finally:
        root.handlers[:], root.level = handlers, level


async def test_query_memo_embeds_a_repeated_message_once():
    import numpy as np

    from storage.embeddings import LocalEmbedder, QueryMemo

    local = LocalEmbedder()
    calls: list[list[str]] = []
    original = local.embed_queries

    async def counting(texts):
        calls.append(list(texts))
        return await original(texts)

    local.embed_queries = counting  # type: ignore[method-assign]
    memo = QueryMemo(local, capacity=2)
    first = await memo.embed_queries(["how much is it", "when does it arrive"])
    again = await memo.embed_queries(["when does it arrive", "how much is it", "how much is it"])
    assert calls == [["how much is it", "when does it arrive"]]  # the second call was served from memory
    assert np.allclose(again[0], first[1]) and np.allclose(again[1], first[0]) and np.allclose(again[2], first[0])
    await memo.embed_queries(["a third message"])  # capacity 2: the oldest entry goes
    await memo.embed_queries(["when does it arrive"])
    assert calls[-1] == ["when does it arrive"]
