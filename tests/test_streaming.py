"""Streamed answers: Server-Sent Events in the web chat, drafts in Telegram; the guard withdraws a bad draft."""

from __future__ import annotations

import json

import httpx

from app.http import create_app
from tests.fakes.openai_api import Scripted
from tests.fakes.servers import serve_app
from tests.test_telegram_bot import bot_settings, running_bot

ANSWER = "The Office 200 costs 1,450 EUR and suits an office of about thirty people."


async def events(http: httpx.AsyncClient, session: str, text: str) -> list[tuple[str, dict]]:
    """POST with Accept: text/event-stream and collect (event, data) pairs as they arrive."""
    found: list[tuple[str, dict]] = []
    headers = {"Accept": "text/event-stream"}
    async with http.stream("POST", "/api/v1/chat", json={"session_id": session, "text": text}, headers=headers) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event = None
        async for line in r.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                found.append((event or "", json.loads(line.removeprefix("data: "))))
    return found


async def test_web_chat_streams_the_answer_and_ends_with_the_usual_json(services_factory, fake_openai):
    llm, base = fake_openai
    llm.push(Scripted(content=ANSWER, chunks=5, chunk_delay_s=0.05))
    async with (
        services_factory(openai_base_url=base) as services,
        serve_app(create_app(services)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        found = await events(http, "sse-1", "How much does the Office 200 cost?")
        drafts = [data["text"] for name, data in found if name == "draft"]
        assert len(drafts) >= 2 and all(ANSWER.startswith(d) for d in drafts)  # growing, whole words
        assert drafts == sorted(drafts, key=len)
        name, final = found[-1]
        assert name == "reply" and final["replies"][0]["text"].startswith(ANSWER)
        assert set(final) == {"replies", "conversation_id", "duplicate", "superseded", "limited"}
        assert llm.answer_requests()[0]["stream"] is True
        # Without the header the same API answers with JSON, as before.
        plain = await http.post("/api/v1/chat", json={"session_id": "sse-2", "text": "What is the warranty?"})
        assert plain.headers["content-type"].startswith("application/json") and plain.json()["replies"]


async def test_a_draft_the_guard_would_stop_is_withdrawn(services_factory, fake_openai):
    llm, base = fake_openai
    invented = "Good news: for you the Office 200 is only 999 EUR today, and the installation is free of charge."
    llm.push(Scripted(content=invented, chunks=6, chunk_delay_s=0.05))
    async with (
        services_factory(openai_base_url=base) as services,
        serve_app(create_app(services)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        found = await events(http, "sse-3", "How much does the Office 200 cost?")
        names = [name for name, _ in found]
        assert "withdraw" in names and names[-1] == "reply"
        shown = [data["text"] for name, data in found if name == "draft"]
        assert not any("999" in text for text in shown)  # the invented price never reached the screen
        assert names.index("withdraw") > names.index("draft")  # it was showing, then taken back
        final = found[-1][1]["replies"][0]["text"]
        assert "999" not in final  # the guard's safe reply stands


async def test_offline_web_chat_stream_has_just_the_reply(web):
    found = await events(web, "sse-offline", "What is the warranty?")
    assert [name for name, _ in found] == ["reply"] and "24-month" in found[0][1]["replies"][0]["text"]


async def test_telegram_shows_drafts_then_the_final_message(services_factory, fake_telegram, fake_openai):
    fake, base = fake_telegram
    llm, llm_base = fake_openai
    llm.push(Scripted(content=ANSWER, chunks=5, chunk_delay_s=0.5))
    async with services_factory(**bot_settings(base, openai_base_url=llm_base)) as services, running_bot(services):
        await fake.inject(fake.message_update(611, "How much does the Office 200 cost?"))
        [final] = await fake.wait_for("sendMessage", chat_id=611)
        drafts = fake.sent(611, "sendMessageDraft")
        assert len(drafts) >= 2 and drafts[0].params["text"] and final.params["text"].startswith(ANSWER)
        assert len({d.params["draft_id"] for d in drafts}) == 1  # one animated draft, replaced by the message
        assert all(ANSWER.startswith(d.params["text"]) for d in drafts)
