"""Bursts: a customer who sends several short messages before the answer is out gets one answer that covers
them all; on the synchronous web API the earlier requests say `superseded`. A lone message is not held."""

from __future__ import annotations

import asyncio

import httpx

from app.http import create_app
from channels.messages import InboundMessage
from tests.fakes.servers import serve_app


async def test_a_burst_gets_one_answer_covering_every_message(services_factory, fake_openai):
    llm, base = fake_openai
    llm.call_s = 1.0  # the model takes a second: the next messages arrive while the first answer is written
    async with (
        services_factory(openai_base_url=base) as services,
        serve_app(create_app(services)) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as web,
    ):

        async def say(text: str, delay: float) -> dict:
            await asyncio.sleep(delay)
            response = await web.post("/api/v1/chat", json={"session_id": "burst-1", "text": text})
            assert response.status_code == 200
            return response.json()

        first, second, third = await asyncio.gather(
            say("Do you deliver to Lviv?", 0.0), say("and to Odesa", 0.3), say("how much is it?", 0.6)
        )
        assert first["superseded"] and first["replies"] == []
        assert second["superseded"] and second["replies"] == []
        assert not third["superseded"] and len(third["replies"]) == 1
        # The one answer was written for all three messages, in order.
        last_prompt = llm.answer_requests()[-1]["messages"][-1]["content"]
        assert "Do you deliver to Lviv?\nand to Odesa\nhow much is it?" in last_prompt
        conversation = third["conversation_id"]
        statuses = [
            (m["direction"], m["status"])
            async for m in services.clients.db.messages.find({"conversation_id": conversation}).sort("created_at")
        ]
        assert [s for d, s in statuses if d == "in"][:2] == ["superseded", "superseded"]
        assert sum(d == "out" for d, _ in statuses) == 1

        lone = await say("What is the warranty on the Barista Pro?", 0.0)  # nothing else queued: answered
        assert not lone["superseded"] and lone["replies"]


async def test_an_older_message_queued_after_a_newer_one_answers_both(services_factory, fake_openai):
    """Out of order (Redis lost its streams and an older message was queued again behind a newer one): the
    newer turn gives way, and the older one's answer covers the newer message too, so neither goes unanswered."""
    llm, base = fake_openai
    async with services_factory(openai_base_url=base) as services:
        hub = services.hub
        older = await hub.accept(InboundMessage("web", "out-of-order", "ooo-1", text="Do you deliver to Lviv?"))
        newer = await hub.accept(InboundMessage("web", "out-of-order", "ooo-2", text="and to Uzhhorod"))
        assert older is not None and newer is not None
        hub.requeue(newer)
        hub.requeue(older)
        assert await hub.drain(30)
        prompt = llm.answer_requests()[-1]["messages"][-1]["content"]
        assert "Lviv" in prompt and "Uzhhorod" in prompt
        messages = services.clients.db.messages
        conversation = older.conversation.id
        assert await messages.count_documents({"conversation_id": conversation, "direction": "out"}) == 1
        inbound = {
            m["text"]: m["status"] async for m in messages.find({"conversation_id": conversation, "direction": "in"})
        }
        assert inbound == {"Do you deliver to Lviv?": "answered", "and to Uzhhorod": "superseded"}
