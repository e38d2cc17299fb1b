"""The shared turn queue when things go wrong: a message queued twice (the orphan sweep re-adds one whose first
entry is still in hand), Redis losing its data, a tool started against a production Redis, a bad result."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack

import httpx
import pytest
import redis.asyncio as redis
from pymongo.errors import AutoReconnect

from app.http import create_app
from channels import storage_retry
from channels.messages import InboundMessage
from channels.recovery import adopt_orphans
from storage.turn_stream import TurnStream
from tests.fakes.servers import free_port, serve_app
from tests.redis_server import start_redis
from tests.test_turn_stream import leases, until


async def answers_in(messages, conversation_id: str) -> int:
    return await messages.count_documents({"conversation_id": conversation_id, "direction": "out"})


async def until_it_holds_every_shard(redis_url: str, db: str, replica) -> None:
    async def holds_all() -> bool:
        return set(await leases(redis_url, db)) == {replica.hub.worker}

    await until(holds_all)


async def test_a_message_queued_again_while_its_turn_runs_is_answered_once(services_factory, redis_url, fake_openai):
    """The orphan sweep adopts a message whose accepting replica is gone, though its entry is still being
    answered by the shard's holder: the second entry must not make the first turn give way to it."""
    llm, base = fake_openai
    llm.call_s = 2.0
    async with services_factory(redis_url=redis_url, openai_base_url=base) as services:
        inbound = InboundMessage("web", "queued-twice", "queued-twice-1", text="Do you deliver to Kharkiv?")
        submitted = await services.hub.submit(inbound)
        await until(lambda: any("Kharkiv" in json.dumps(r) for r in llm.answer_requests()))

        # This replica looks dead to the sweep (it is not among the alive): its message is adopted and re-added.
        assert await adopt_orphans(services.hub, services.stores, alive=[]) == 1

        outcome = await asyncio.wait_for(submitted.outcome, 30)
        assert not outcome.superseded and outcome.replies and outcome.replies[0].text
        messages = services.clients.db.messages
        stream = TurnStream(services.clients.redis, services.settings.mongo.db)

        async def settled() -> bool:
            return await stream.depth() == 0

        await until(settled)
        assert await answers_in(messages, submitted.conversation_id) == 1
        assert len([r for r in llm.answer_requests() if "Kharkiv" in json.dumps(r)]) == 1


async def forget_turn_queue(redis_url: str, db: str) -> None:
    """What a Redis restarted without persistence looks like to the queue: its keys are gone."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = [key async for key in client.scan_iter(f"closer:{db}:turns:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_redis_losing_its_data_loses_no_turn(services_factory, redis_url, tmp_path):
    db = f"t_lost_{uuid.uuid4().hex[:8]}"
    common = {"mongodb_db": db, "redis_url": redis_url, "data_dir": tmp_path, "replica_timeout_s": 3}
    async with AsyncExitStack() as stack:
        web_replica = await stack.enter_async_context(services_factory(turns="accept", **common))
        url = await stack.enter_async_context(serve_app(create_app(web_replica)))
        web = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60))
        stream = TurnStream(web_replica.clients.redis, db)

        async def ask(session: str) -> dict:
            response = await web.post("/api/v1/chat", json={"session_id": session, "text": "What is the warranty?"})
            assert response.status_code == 200
            return response.json()

        # Accepted while no replica answers turns; then Redis loses the entry with everything else.
        first = asyncio.create_task(ask("lost-1"))

        async def queued() -> bool:
            return await stream.depth() == 1

        await until(queued)
        await forget_turn_queue(redis_url, db)
        worker = await stack.enter_async_context(services_factory(turns="answer", **common))
        answered = await asyncio.wait_for(first, 30)
        assert answered["replies"] and answered["replies"][0]["text"]

        # Lost again while the worker holds every shard: it takes them back and reads the new streams.
        await until_it_holds_every_shard(redis_url, db, worker)
        await forget_turn_queue(redis_url, db)
        again = await asyncio.wait_for(ask("lost-2"), 30)
        assert again["replies"] and again["replies"][0]["text"]
        messages = worker.clients.db.messages
        for reply in (answered, again):
            assert await answers_in(messages, reply["conversation_id"]) == 1


async def test_a_tool_started_against_the_shared_redis_takes_no_shards(services_factory, redis_url, tmp_path):
    """`closer chat`, eval or ingest beside running replicas: they answer their own messages, never customers'."""
    db = f"t_tool_{uuid.uuid4().hex[:8]}"
    common = {"mongodb_db": db, "redis_url": redis_url, "data_dir": tmp_path, "replica_timeout_s": 3}
    async with services_factory(turns="answer", **common) as replica, services_factory(turns="local", **common) as tool:
        await until_it_holds_every_shard(redis_url, db, replica)
        inbound = InboundMessage("web", "tool-chat", "tool-chat-1", text="What is the warranty?")
        submitted = await tool.hub.submit(inbound)
        outcome = await asyncio.wait_for(submitted.outcome, 30)
        assert outcome.replies
        await asyncio.sleep(2.0)  # several balance rounds: the tool never takes a share
        assert set(await leases(redis_url, db)) == {replica.hub.worker}


async def test_a_malformed_result_from_another_replica_does_not_stop_results(services_factory, redis_url, tmp_path):
    db = f"t_badresult_{uuid.uuid4().hex[:8]}"
    common = {"mongodb_db": db, "redis_url": redis_url, "data_dir": tmp_path, "replica_timeout_s": 3}
    async with AsyncExitStack() as stack:
        web_replica = await stack.enter_async_context(services_factory(turns="accept", **common))
        stream = TurnStream(web_replica.clients.redis, db)
        await asyncio.sleep(0.5)  # subscribed
        await stream.publish(web_replica.hub.worker, "{not json")
        await stream.publish(web_replica.hub.worker, json.dumps({"stage": "outcome"}))
        await stack.enter_async_context(services_factory(turns="answer", **common))
        inbound = InboundMessage("web", "after-bad", "after-bad-1", text="What is the warranty?")
        submitted = await web_replica.hub.submit(inbound)
        outcome = await asyncio.wait_for(submitted.outcome, 30)  # the result came back over pub/sub
        assert outcome.replies


async def test_an_entry_whose_read_was_cut_short_is_read_again(services_factory, redis_url, tmp_path, monkeypatch):
    """Redis delivered the entry but the reply never reached the replica (a dropped connection): the entry is
    pending and in nobody's hand, so the shard's holder reads it again once it has been idle long enough."""
    monkeypatch.setattr("channels.stream_turns.STALE_MS", 1_000)
    real_read = TurnStream.read
    cut: list[str] = []

    async def cut_short(self, consumer, shards, count, block_ms):
        entries = await real_read(self, consumer, shards, count, block_ms)
        if entries and not cut:
            cut.append(entries[0][1])
            raise redis.ConnectionError("connection dropped before the reply arrived")
        return entries

    monkeypatch.setattr(TurnStream, "read", cut_short)
    db = f"t_cut_{uuid.uuid4().hex[:8]}"
    common = {"mongodb_db": db, "redis_url": redis_url, "data_dir": tmp_path, "replica_timeout_s": 3}
    async with AsyncExitStack() as stack:
        web_replica = await stack.enter_async_context(services_factory(turns="accept", **common))
        worker = await stack.enter_async_context(services_factory(turns="answer", **common))
        await until_it_holds_every_shard(redis_url, db, worker)
        inbound = InboundMessage("web", "cut-short", "cut-short-1", text="What is the warranty?")
        submitted = await web_replica.hub.submit(inbound)
        outcome = await asyncio.wait_for(submitted.outcome, 30)
        assert cut and outcome.replies and outcome.replies[0].text
        assert await answers_in(worker.clients.db.messages, submitted.conversation_id) == 1


async def test_a_turn_answered_while_redis_was_down_is_not_queued_again_when_it_returns_empty(
    services_factory, tmp_path, fake_openai
):
    """Accepted while Redis is down, the turn runs in this replica's lanes; Redis comes back without its data
    in the middle of it. Queued again, its entry would wait behind the running turn and make it give way."""
    llm, base = fake_openai
    llm.call_s = 5.0
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    try:
        async with services_factory(redis_url=f"redis://127.0.0.1:{port}/0", openai_base_url=base) as services:
            await asyncio.sleep(1.5)  # the replica has seen the streams' marker
            redis_proc.kill()
            redis_proc.wait()
            inbound = InboundMessage("web", "down-then-empty", "down-then-empty-1", text="Do you deliver to Poltava?")
            submitted = await services.hub.submit(inbound)
            await until(lambda: any("Poltava" in json.dumps(r) for r in llm.answer_requests()))
            redis_proc = start_redis(tmp_path, port)  # back, empty: a new marker
            outcome = await asyncio.wait_for(submitted.outcome, 30)
            assert not outcome.superseded and outcome.replies and outcome.replies[0].text
            await asyncio.sleep(2.0)  # any entry queued again would have been read by now
            assert await answers_in(services.clients.db.messages, submitted.conversation_id) == 1
    finally:
        redis_proc.kill()
        redis_proc.wait()


async def test_an_entry_naming_no_valid_message_is_dropped_at_once(services_factory, redis_url, tmp_path):
    db = f"t_badid_{uuid.uuid4().hex[:8]}"
    common = {"mongodb_db": db, "redis_url": redis_url, "data_dir": tmp_path, "replica_timeout_s": 3}
    async with services_factory(turns="answer", **common) as replica:
        stream = TurnStream(replica.clients.redis, db)
        await stream.add_many([("forged", {"m": "not-an-object-id", "k": "forged", "o": "elsewhere"})])

        async def dropped() -> bool:
            return await stream.depth() == 0

        await until(dropped, timeout_s=10)  # not retried for half a minute, not left for the 60 s sweep
        inbound = InboundMessage("web", "after-forged", "after-forged-1", text="What is the warranty?")
        submitted = await replica.hub.submit(inbound)
        assert (await asyncio.wait_for(submitted.outcome, 30)).replies


async def test_a_turn_mongodb_failed_keeps_its_entry_and_is_answered_when_read_again(
    services_factory, redis_url, tmp_path, monkeypatch
):
    """MongoDB refuses the turn for longer than it waits: its entry is left pending (not acknowledged as done),
    so the shard's holder reads it again and the message is answered once."""
    monkeypatch.setattr("channels.stream_turns.STALE_MS", 1_000)
    monkeypatch.setattr(storage_retry, "RETRY_DELAYS_S", (0.01,))
    db = f"t_refused_{uuid.uuid4().hex[:8]}"
    common = {"mongodb_db": db, "redis_url": redis_url, "data_dir": tmp_path, "replica_timeout_s": 3}
    async with AsyncExitStack() as stack:
        web_replica = await stack.enter_async_context(services_factory(turns="accept", **common))
        worker = await stack.enter_async_context(services_factory(turns="answer", **common))
        await until_it_holds_every_shard(redis_url, db, worker)
        leads, refusals = worker.stores.leads, [AutoReconnect("connection refused")] * 2
        real = leads.by_conversation

        async def away(*args, **kwargs):
            if refusals:
                raise refusals.pop()
            return await real(*args, **kwargs)

        monkeypatch.setattr(leads, "by_conversation", away)
        inbound = InboundMessage("web", "refused", "refused-1", text="What is the warranty?")
        submitted = await web_replica.hub.submit(inbound)
        with pytest.raises(Exception, match=r"AutoReconnect|connection refused"):  # the customer here is told
            await asyncio.wait_for(submitted.outcome, 30)
        messages = worker.clients.db.messages

        async def answered() -> bool:
            return await answers_in(messages, submitted.conversation_id) >= 1

        await until(answered)
        assert not refusals and await answers_in(messages, submitted.conversation_id) == 1
        stored = await messages.find_one({"conversation_id": submitted.conversation_id, "direction": "in"})
        assert stored["status"] == "answered"
