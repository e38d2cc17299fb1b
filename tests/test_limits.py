"""Limits against abuse: a request body cap on every route (declared or streamed), and a per-customer flood
limit on the messaging channels (one polite notice in the customer's language, then silence, nothing lost)."""

from __future__ import annotations

from tests.meta_support import messenger_text, meta_app, post_signed


async def test_oversized_bodies_get_413_on_every_route_declared_or_streamed(services_factory):
    async with meta_app(services_factory, max_body_bytes=4096) as meta:
        huge = {"session_id": "big-1", "text": "x" * 10_000}
        declared = await meta.web.post("/api/v1/chat", json=huge)
        assert declared.status_code == 413 and "too large" in declared.json()["detail"]

        async def stream():
            for _ in range(10):
                yield b"{" + b" " * 1000

        streamed = await meta.web.post(
            "/webhooks/messenger", content=stream(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        classify = await meta.web.post("/api/v1/leads/classify", content=b"[" * 5000)
        assert classify.status_code == 413
        small = await post_signed(meta.web, "messenger", messenger_text("psid-small", "m_small", "Hi"))
        assert small.status_code == 200  # an ordinary webhook is untouched


async def test_a_flooding_messenger_customer_gets_one_notice_then_silence(services_factory):
    async with meta_app(services_factory, flood_limit=2, flood_window_s=60) as meta:
        texts = ["Привет", "Сколько стоит доставка в Киев?", "Алло, вы тут?", "Ответьте уже!"]
        for i, text in enumerate(texts):
            response = await post_signed(meta.web, "messenger", messenger_text("psid-flood", f"m_flood_{i}", text))
            assert response.status_code == 200
            if i < 3:
                await meta.graph.wait_for("psid-flood", count=i + 1)
        await meta.handled()  # a webhook is handled after its 200
        await meta.services.hub.drain(10)
        sent = meta.graph.texts("psid-flood")
        assert len(sent) == 3 and "быстрее" in sent[2]  # two answers, one notice, then nothing
        stored = [m async for m in meta.services.clients.db.messages.find({"direction": "in"}).sort("created_at", 1)]
        assert [m["text"] for m in stored] == texts
        assert [m["status"] for m in stored] == ["answered", "answered", "flooded", "flooded"]
        metrics = (await meta.web.get("/metrics")).text
        assert 'closer_flood_limited_total{channel="messenger"} 2.0' in metrics
        assert 'closer_outbound_messages_total{channel="messenger",result="sent"} 2.0' in metrics
        assert 'closer_turn_queue_wait_seconds_count{channel="messenger"} 2.0' in metrics
