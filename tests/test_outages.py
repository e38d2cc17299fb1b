"""Dependencies going away under a running service: Redis down keeps customers answered (degraded: /readyz
says so, 503 until Redis is back); MongoDB down answers webhooks 503 so the platform redelivers, and nothing
is half-written."""

from __future__ import annotations

import httpx

from app.http import create_app
from storage.mongo import EmbeddedMongo
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
