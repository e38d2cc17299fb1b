"""The turn queue shared by replicas through Redis Streams: a customer whose messages land on two replicas
(a load balancer) still gets one answer in order, a queue entry delivered again is not answered again, and
the shards are shared out between the live replicas."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
import uuid
from contextlib import AsyncExitStack

import httpx
import redis.asyncio as aioredis
from bson import ObjectId

from app.http import create_app
from channels.messages import InboundMessage
from storage.turn_stream import TurnStream
from tests.fakes.servers import serve_app


async def leases(redis_url: str, db: str, shards: int = 16) -> list[str | None]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        stream = TurnStream(client, db, shards)
        return [await stream.holder(shard) for shard in range(shards)]
    finally:
        await client.aclose()


async def until(condition, timeout_s: float = 30.0) -> None:
    """Wait until `condition()` (a plain or an async function) holds."""
    for _ in range(int(timeout_s / 0.1)):
        held = condition()
        if await held if inspect.isawaitable(held) else held:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the condition never held")


async def two_replicas(stack: AsyncExitStack, services_factory, redis_url: str, tmp_path, **settings):
    """Two instances on one database and one Redis (as two `closer serve` behind a load balancer)."""
    db = f"t_stream_{uuid.uuid4().hex[:8]}"
    common = {"mongodb_db": db, "redis_url": redis_url, "data_dir": tmp_path, "replica_timeout_s": 3, **settings}
    replicas = [await stack.enter_async_context(services_factory(**common)) for _ in range(2)]
    urls = [await stack.enter_async_context(serve_app(create_app(s))) for s in replicas]
    webs = [await stack.enter_async_context(httpx.AsyncClient(base_url=u, timeout=60)) for u in urls]

    async def shared_out() -> bool:  # each holds half the shards
        holders = await leases(redis_url, db)
        return None not in holders and {holders.count(r.hub.worker) for r in replicas} == {8}

    await until(shared_out)
    return db, replicas, webs


async def test_a_burst_split_over_two_replicas_gets_one_answer_in_order(
    services_factory, redis_url, tmp_path, fake_openai
):
    llm, base = fake_openai
    llm.call_s = 1.0  # the next messages arrive while the first answer is written
    async with AsyncExitStack() as stack:
        _, (first_replica, _), webs = await two_replicas(
            stack, services_factory, redis_url, tmp_path, openai_base_url=base
        )

        async def say(web: httpx.AsyncClient, text: str, delay: float) -> dict:
            await asyncio.sleep(delay)
            response = await web.post("/api/v1/chat", json={"session_id": "split-burst", "text": text})
            assert response.status_code == 200
            return response.json()

        first, second, third = await asyncio.gather(
            say(webs[0], "Do you deliver to Lviv?", 0.0),
            say(webs[1], "and to Odesa", 0.3),
            say(webs[0], "how much is it?", 0.6),
        )
        assert first["superseded"] and second["superseded"] and not third["superseded"]
        assert len(third["replies"]) == 1 and third["replies"][0]["text"]
        last_prompt = llm.answer_requests()[-1]["messages"][-1]["content"]
        assert "Do you deliver to Lviv?\nand to Odesa\nhow much is it?" in last_prompt
        messages = first_replica.clients.db.messages
        conversation = third["conversation_id"]
        assert await messages.count_documents({"conversation_id": conversation, "direction": "out"}) == 1


async def test_an_entry_delivered_again_is_not_answered_again(services_factory, redis_url, tmp_path):
    async with AsyncExitStack() as stack:
        db, replicas, webs = await two_replicas(stack, services_factory, redis_url, tmp_path)
        answered = await webs[1].post("/api/v1/chat", json={"session_id": "again-1", "text": "What is the warranty?"})
        conversation = answered.json()["conversation_id"]
        messages = replicas[0].clients.db.messages
        inbound = await messages.find_one({"conversation_id": conversation, "direction": "in"})
        assert inbound["status"] == "answered"

        # A replica died after answering and before acknowledging: the next holder gets the entry again.
        stream = TurnStream(replicas[0].clients.redis, db)
        fields = {"m": str(inbound["_id"]), "k": conversation, "o": replicas[0].hub.worker}
        await stream.add_many([(conversation, fields)])

        async def consumed() -> bool:
            return await stream.depth() == 0

        await until(consumed)
        await asyncio.sleep(0.5)
        assert await messages.count_documents({"conversation_id": conversation, "direction": "out"}) == 1


async def test_a_replica_that_stops_hands_its_shards_to_the_other_at_once(services_factory, redis_url, tmp_path):
    async with AsyncExitStack() as stack:
        db, replicas, webs = await two_replicas(stack, services_factory, redis_url, tmp_path)
        assert await replicas[1].hub.drain(5.0)  # SIGTERM: finish, then give the shards up

        async def all_taken() -> bool:
            return set(await leases(redis_url, db)) == {replicas[0].hub.worker}

        await until(all_taken, timeout_s=2.5)  # sooner than its 3 s leases would lapse
        reply = await webs[0].post("/api/v1/chat", json={"session_id": "after-stop", "text": "Do you ship to Kyiv?"})
        assert reply.status_code == 200 and reply.json()["replies"]
        assert "closer_turn_shards_owned 16.0" in (await webs[0].get("/metrics")).text


async def test_entries_with_the_same_id_in_two_shards_are_both_answered(services_factory, redis_url, fake_openai):
    """Stream entry ids are per stream: adds in one millisecond give two shards the same id, and the second
    must not be taken for the first, still being answered."""
    llm, base = fake_openai
    llm.call_s = 3.0  # the first turn is still in hand when the second entry arrives
    async with services_factory(redis_url=redis_url, openai_base_url=base) as services:
        stream = TurnStream(services.clients.redis, services.settings.mongo.db)
        accepted = []
        for i in range(40):  # two conversations whose shards differ
            inbound = InboundMessage("web", f"same-id-{i}", f"same-id-{i}", text="What is the warranty period?")
            candidate = await services.hub.accept(inbound)
            shards = {stream.shard_of(one.conversation.id) for one in accepted}
            if stream.shard_of(candidate.conversation.id) not in shards:
                accepted.append(candidate)
            if len(accepted) == 2:
                break
        entry_id = f"{int(time.time() * 1000) + 5000}-0"  # one id, later than anything in either stream
        for n, one in enumerate(accepted):
            fields = {"m": one.message.id, "k": one.conversation.id, "o": "another-replica"}
            shard = stream.shard_of(one.conversation.id)
            await services.clients.redis.xadd(stream.stream_name(shard), fields, id=entry_id)
            if n == 0:
                await until(lambda: bool(llm.answer_requests()))
        messages = services.clients.db.messages

        async def both_answered() -> bool:
            ids = [ObjectId(one.message.id) for one in accepted]
            return await messages.count_documents({"_id": {"$in": ids}, "status": "answered"}) == 2

        await until(both_answered, timeout_s=20)  # not left for the 60 s sweep of unfinished entries


async def test_a_stopping_replica_keeps_its_leases_until_its_running_turns_are_done(
    services_factory, redis_url, tmp_path, fake_openai
):
    """SIGTERM while the model is writing an answer, with leases shorter than the answer takes: the other
    replica must not take the shard (and answer the same message) before the stopping one has finished."""
    llm, base = fake_openai
    async with AsyncExitStack() as stack:
        db, replicas, _ = await two_replicas(
            stack, services_factory, redis_url, tmp_path, openai_base_url=base, replica_timeout_s=1
        )
        stopping = replicas[1]
        stream = TurnStream(stopping.clients.redis, db)
        llm.call_s = 4.0  # four leases long
        for i in range(40):  # a conversation on a shard the stopping replica reads
            inbound = InboundMessage("web", f"stop-{i}", f"stop-{i}", text=f"Do you deliver to Lviv, house {i}?")
            submitted = await asyncio.wait_for(stopping.hub.submit(inbound), 20)
            if await stream.holder(stream.shard_of(submitted.conversation_id)) == stopping.hub.worker:
                break
        marker = f"house {i}"
        await until(lambda: any(marker in json.dumps(r) for r in llm.answer_requests()))
        assert await asyncio.wait_for(stopping.hub.drain(10.0), 30)
        assert (await asyncio.wait_for(submitted.outcome, 30)).replies
        await asyncio.sleep(2.0)  # the other replica has taken the shards by now
        messages = replicas[0].clients.db.messages
        conversation = submitted.conversation_id
        assert await messages.count_documents({"conversation_id": conversation, "direction": "out"}) == 1
