"""Dependencies going away under a running service: Redis down keeps customers answered (degraded: /readyz
says so, 503 until Redis is back); MongoDB down answers webhooks 503 so the platform redelivers, and nothing
is half-written; MongoDB going away in the middle of a turn delays its answer, and a turn it failed is tried
again."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
from pymongo.errors import AutoReconnect

from app.http import create_app
from channels import storage_retry
from channels.recovery import retry_stuck
from storage.mongo import EmbeddedMongo
from tests.conftest import eventually
from tests.fakes.servers import free_port, serve_app
from tests.meta_support import messenger_text, meta_app, post_signed
from tests.redis_server import start_redis


async def chat(web: httpx.AsyncClient, text: str) -> httpx.Response:
    return await web.post("/api/v1/chat", json={"session_id": "outage-1", "text": text})


async def test_customers_are_still_answered_while_redis_is_down_and_readyz_says_degraded(services_factory, tmp_path):
    port = free_port()
    redis_proc = start_redis(tmp_path, port)
    try:
        async with (
            services_factory(redis_url=f"redis://127.0.0.1:{port}/0") as services,
            serve_app(create_app(services)) as base,
            httpx.AsyncClient(base_url=base, timeout=30) as web,
        ):
            assert (await chat(web, "What is the warranty period?")).json()["replies"]
            redis_proc.kill()
            redis_proc.wait()

            during = await chat(web, "How often should I descale the machine?")
            assert during.status_code == 200 and during.json()["replies"][0]["text"]
            ready = await web.get("/readyz")
            assert ready.status_code == 503 and ready.json()["ready"] is False  # CONTRACT: Redis must answer
            assert ready.json()["degraded"] == ["redis"] and ready.json()["redis"].startswith("degraded")
            assert "closer_redis_degraded 1.0" in (await web.get("/metrics")).text

            redis_proc = start_redis(tmp_path, port)
            back = await web.get("/readyz")
            assert back.status_code == 200 and back.json()["redis"] == "ok" and back.json()["degraded"] == []
            assert (await chat(web, "Do you deliver to Kyiv?")).json()["replies"]
            assert not services.clients.cache.degraded  # the call after Redis came back went to Redis
    finally:
        redis_proc.kill()
        redis_proc.wait()


async def test_webhooks_answer_503_while_mongodb_is_down_and_the_redelivery_is_answered_once(
    services_factory, tmp_path
):
    port = free_port()
    mongo = EmbeddedMongo(tmp_path / "mongo", port=port)
    uri = mongo.start()
    try:
        async with meta_app(services_factory, mongodb_uri=uri, mongodb_timeout_ms=1500) as meta:
            body = messenger_text("psid-outage", "m_outage_1", "What is the warranty period?")
            mongo.stop()
            refused = await post_signed(meta.web, "messenger", body)
            assert refused.status_code == 503  # Meta redelivers what was not acknowledged
            assert "retry" in refused.json()["detail"]
            assert 'closer_errors_total{kind="storage"} 1.0' in (await meta.web.get("/metrics")).text

            uri = mongo.start()
            accepted = await post_signed(meta.web, "messenger", body)  # the platform's redelivery
            assert accepted.status_code == 200
            await meta.graph.wait_for("psid-outage")
            again = await post_signed(meta.web, "messenger", body)  # and one more: a duplicate now
            assert again.status_code == 200
            await meta.services.hub.drain(10)  # the turn records its outcome after the send
            stored = [m async for m in meta.services.clients.db.messages.find({}).sort("created_at", 1)]
            assert [(m["direction"], m["status"]) for m in stored] == [("in", "answered"), ("out", "sent")]
            assert len(meta.graph.texts("psid-outage")) == 1
    finally:
        mongo.stop()


async def test_mongodb_going_away_while_a_turn_writes_delays_the_answer_and_it_is_sent_once(
    services_factory, tmp_path, fake_openai
):
    """The webhook was acknowledged and the model is writing the answer when MongoDB stops; it is back a few
    seconds later. The turn's writes wait for it: the customer gets the answer once, and nothing is half-written."""
    llm, base = fake_openai
    llm.call_s = 1.0
    port = free_port()
    mongo = EmbeddedMongo(tmp_path / "mongo", port=port)
    uri = mongo.start()
    try:
        async with meta_app(services_factory, mongodb_uri=uri, mongodb_timeout_ms=1000, openai_base_url=base) as meta:
            body = messenger_text("psid-blip", "m_blip_1", "Do you deliver to Lviv?")
            assert (await post_signed(meta.web, "messenger", body)).status_code == 200
            await eventually(lambda: any("Lviv" in json.dumps(r) for r in llm.answer_requests()))
            mongo.stop()  # while the model writes: what the turn writes next meets the outage
            await asyncio.sleep(3)
            assert meta.graph.texts("psid-blip") == []
            uri = mongo.start()
            await meta.graph.wait_for("psid-blip")
            await meta.services.hub.drain(30)
            stored = [m async for m in meta.services.clients.db.messages.find({}).sort("created_at", 1)]
            assert [(m["direction"], m["status"]) for m in stored] == [("in", "answered"), ("out", "sent")]
            assert len(meta.graph.texts("psid-blip")) == 1
    finally:
        mongo.stop()


async def test_a_message_whose_turn_mongodb_failed_is_answered_once_by_the_replicas_next_sweep(
    services_factory, monkeypatch
):
    """MongoDB refuses the turn for longer than it waits: the customer is told to retry (503); the message stays
    stored, and the replica's sweep queues it again once it has been stuck for a while."""
    monkeypatch.setattr(storage_retry, "RETRY_DELAYS_S", (0.01,))
    async with services_factory() as services:
        leads, refusals = services.stores.leads, [AutoReconnect("connection refused")] * 2
        real = leads.by_conversation

        async def away(*args, **kwargs):
            if refusals:
                raise refusals.pop()
            return await real(*args, **kwargs)

        monkeypatch.setattr(leads, "by_conversation", away)
        async with serve_app(create_app(services)) as base, httpx.AsyncClient(base_url=base, timeout=30) as web:
            failed = await web.post("/api/v1/chat", json={"session_id": "stuck-1", "text": "Do you deliver to Lviv?"})
            assert failed.status_code == 503 and "retry" in failed.json()["detail"]
        messages = services.clients.db.messages
        [stored] = [m async for m in messages.find({"direction": "in"})]
        assert stored["status"] == "received"
        assert await retry_stuck(services.hub, services.stores) == 0  # just failed: left for a while
        five_minutes_ago = datetime.now(UTC) - timedelta(minutes=5)
        await messages.update_one({"_id": stored["_id"]}, {"$set": {"created_at": five_minutes_ago}})
        assert await retry_stuck(services.hub, services.stores) == 1
        assert await services.hub.drain(30)
        replies = [m async for m in messages.find({"conversation_id": stored["conversation_id"], "direction": "out"})]
        assert len(replies) == 1 and replies[0]["text"]
        assert (await messages.find_one({"_id": stored["_id"]}))["status"] == "answered"
        assert await retry_stuck(services.hub, services.stores) == 0
