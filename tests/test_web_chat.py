"""The web chat over real HTTP: answers with sources in the customer's language, and bad input."""

from __future__ import annotations

import asyncio
import json

import httpx

from app.container import Services
from app.http import create_app
from tests.conftest import eventually
from tests.fakes.servers import serve_app


async def chat(web: httpx.AsyncClient, session_id: str, text: str, **extra) -> httpx.Response:
    return await web.post("/api/v1/chat", json={"session_id": session_id, "text": text, **extra})


async def sse_chat(web: httpx.AsyncClient, session_id: str, text: str, message_id: str) -> dict[str, dict]:
    """The events of a streamed chat answer, by name (the last of each)."""
    body = {"session_id": session_id, "text": text, "message_id": message_id}
    response = await web.post("/api/v1/chat", json=body, headers={"Accept": "text/event-stream"})
    events = {}
    for block in response.text.split("\n\n"):
        if block.startswith("event: "):
            name, data = block.split("\n", 1)
            events[name.removeprefix("event: ")] = json.loads(data.removeprefix("data: "))
    return events


async def test_answers_from_knowledge_with_source_in_each_language(web, session_id):
    cases = [
        ("How much does the Office 200 cost?", "1,450 EUR", "Source:"),
        ("сколько стоит аренда Barista Pro в месяц?", "149 EUR", "Источник:"),
        ("Скільки триває доставка по Україні?", "2-4 робочі дні", "Джерело:"),
    ]
    for text, fact, source_label in cases:
        response = await chat(web, session_id, text)
        assert response.status_code == 200
        reply = response.json()["replies"][0]["text"]
        assert fact in reply, reply
        assert source_label in reply


async def test_language_follows_each_message(web, session_id):
    first = (await chat(web, session_id, "What is the warranty period?")).json()["replies"][0]["text"]
    second = (await chat(web, session_id, "А какая гарантия?")).json()["replies"][0]["text"]
    assert "24-month" in first
    assert "24 месяца" in second


async def test_unknown_question_offers_a_manager_instead_of_guessing(web, session_id):
    body = (await chat(web, session_id, "Who won the football match yesterday?")).json()
    reply = body["replies"][0]
    assert "manager" in reply["text"].lower()
    assert reply["buttons"] == [{"title": "Talk to a manager", "payload": "human"}]


async def test_asking_for_a_human_escalates_the_conversation(web, services: Services, session_id):
    body = (await chat(web, session_id, "позовите, пожалуйста, менеджера")).json()
    assert "менеджер" in body["replies"][0]["text"]
    conversation = await services.repos.conversations.get(body["conversation_id"])
    assert conversation is not None and conversation.owner == "pending_human"


async def test_greeting_on_start_payload(web, session_id):
    body = (await chat(web, session_id, "", payload="start", language="uk")).json()
    assert body["replies"][0]["text"].startswith("Вітаю")


async def test_empty_and_whitespace_text_get_a_clear_answer(web, session_id):
    for text in ("", "   \n\t "):
        response = await chat(web, session_id, text)
        assert response.status_code == 200
        assert "empty" in response.json()["replies"][0]["text"].lower()


async def test_very_long_text_is_answered_not_crashed(web, session_id):
    response = await chat(web, session_id, "coffee " * 3000)  # ~21,000 characters
    assert response.status_code == 200
    assert "too long" in response.json()["replies"][0]["text"].lower()


async def test_oversized_body_is_refused_with_4xx(web, session_id):
    response = await chat(web, session_id, "x" * 100_001)
    assert response.status_code == 422


async def test_non_utf8_junk_is_a_4xx_not_a_500(web):
    response = await web.post(
        "/api/v1/chat",
        content=b'{"session_id": "\xff\xfe\xfa", "text": "\xc3\x28"}',
        headers={"content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    response = await web.post("/api/v1/chat", content=b"\x00\x01garbage", headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500


async def test_bad_session_id_is_refused(web):
    response = await chat(web, "../../etc/passwd", "hi")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "session_id"


async def test_same_message_id_twice_is_answered_once_and_the_retry_gets_that_answer(web, services, session_id):
    first = await chat(web, session_id, "What payment methods do you accept?", message_id="m-1")
    second = await chat(web, session_id, "What payment methods do you accept?", message_id="m-1")
    assert first.json()["replies"] and not first.json()["duplicate"]
    assert second.status_code == 200 and second.json()["duplicate"] is True  # a client's retry...
    assert [r["text"] for r in second.json()["replies"]] == [r["text"] for r in first.json()["replies"]]
    assert second.json()["conversation_id"] == first.json()["conversation_id"]  # ...gets the answer it missed
    streamed = await sse_chat(web, session_id, "What payment methods do you accept?", "m-1")
    assert streamed["reply"]["replies"] == second.json()["replies"] and streamed["reply"]["duplicate"]
    history = await services.repos.messages.recent(first.json()["conversation_id"])
    assert [m.direction for m in history] == ["in", "out"]  # answered once


async def test_a_retry_while_the_first_delivery_is_being_answered_waits_for_that_answer(
    services_factory, fake_openai, session_id
):
    llm, base = fake_openai
    llm.call_s = 2.0
    async with (
        services_factory(openai_base_url=base) as services,
        serve_app(create_app(services)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as web,
    ):
        first = asyncio.create_task(chat(web, session_id, "Do you deliver to Lviv?", message_id="m-slow"))
        await eventually(lambda: any("Lviv" in json.dumps(r) for r in llm.answer_requests()))
        retry = await chat(web, session_id, "Do you deliver to Lviv?", message_id="m-slow")  # the client gave up
        assert retry.status_code == 200 and retry.json()["duplicate"] and retry.json()["replies"]
        assert retry.json()["replies"] == (await first).json()["replies"]
        assert len([r for r in llm.answer_requests() if "Lviv" in json.dumps(r["messages"][-1])]) == 1


async def test_a_stopping_replica_tells_a_waiting_request_to_retry_and_the_retry_gets_the_answer(
    services_factory, fake_openai, session_id
):
    """A deploy: the replica begins to stop while a model call runs. The request gets a 503 with Retry-After
    before the server would cut it; the same message sent again (here, once the replica that took over has
    answered it) gets the answer."""
    llm, base = fake_openai
    llm.call_s = 2.0
    async with (
        services_factory(openai_base_url=base) as services,
        serve_app(create_app(services)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as web,
    ):
        services.stopping.answer_within_s = 0.3
        waiting = asyncio.create_task(chat(web, session_id, "Do you deliver to Lviv?", message_id="m-deploy"))
        await eventually(lambda: any("Lviv" in json.dumps(r) for r in llm.answer_requests()))
        services.stopping.event.set()
        told = await waiting
        assert told.status_code == 503 and told.headers["retry-after"] == "3"
        assert "same message_id" in told.json()["detail"]
        assert "Retry-After" in told.headers["access-control-expose-headers"]  # the widget may read it
        streamed = await sse_chat(web, f"{session_id}-b", "And to Kyiv?", "m-deploy-2")  # the widget streams
        assert streamed["error"]["retry"] is True and "reply" not in streamed
        assert await services.hub.drain(30)  # the turns went on: answered and stored
        services.stopping.event.clear()  # the next replica
        again = await chat(web, session_id, "Do you deliver to Lviv?", message_id="m-deploy")
        assert again.status_code == 200 and again.json()["duplicate"] and again.json()["replies"][0]["text"]
        assert (await sse_chat(web, f"{session_id}-b", "And to Kyiv?", "m-deploy-2"))["reply"]["replies"][0]["text"]
        assert len([r for r in llm.answer_requests() if "Lviv" in json.dumps(r["messages"][-1])]) == 1


async def test_replies_are_stored_with_delivery_status(web, services: Services, session_id):
    body = (await chat(web, session_id, "Do you deliver to the EU?")).json()
    history = await services.repos.messages.recent(body["conversation_id"])
    inbound, outbound = history[-2], history[-1]
    assert inbound.status == "answered"
    assert outbound.direction == "out" and outbound.status == "sent"
    assert outbound.meta["mode"] == "offline" and outbound.meta["sources"]


async def test_chat_page_health_readiness_and_metrics(web):
    page = await web.get("/")
    assert page.status_code == 200 and "/api/v1/chat" in page.text
    assert (await web.get("/healthz")).json() == {"status": "ok"}
    ready = await web.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "degraded": [], "mongodb": "ok", "redis": "not configured", "chroma": "ok"}
    metrics = await web.get("/metrics")
    assert "closer_inbound_messages_total" in metrics.text


async def test_web_chat_is_rate_limited_per_session(services_factory):
    from app.http import create_app
    from tests.fakes.servers import serve_app

    async with (
        services_factory(web_chat_rate_per_minute=3) as services,
        serve_app(create_app(services)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        codes = [(await chat(http, "flood", "hi")).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        assert (await chat(http, "someone-else", "hi")).status_code == 200
