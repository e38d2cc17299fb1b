"""The customer bot end to end: aiogram talks HTTP to the local Bot API test server."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from aiogram.methods import SendMessage
from pymongo.errors import AutoReconnect

from app.bots import build_customer_bot
from app.container import Services, open_services
from app.http import create_app
from bot.factory import create_bot
from bot.transport import TelegramRuntime
from storage.mongo import EmbeddedMongo
from storage.repositories import utcnow
from tests.fakes.openai_api import Scripted
from tests.fakes.servers import serve_app

TOKEN = "123456:TEST-token-for-the-local-bot-api-server"


def bot_settings(api_base: str, **extra) -> dict:
    return {"telegram_bot_token": TOKEN, "telegram_api_base": api_base, **extra}


@asynccontextmanager
async def running_bot(services: Services) -> AsyncIterator[TelegramRuntime]:
    runtime = build_customer_bot(services.settings, services)
    assert runtime is not None
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def test_start_greets_in_the_users_language(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        await fake.inject(fake.message_update(501, "/start", language="uk"))
        [call] = await fake.wait_for("sendMessage", chat_id=501)
        assert call.params["text"].startswith("Вітаю")


async def test_question_is_answered_with_typing_action(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        await fake.inject(fake.message_update(502, "Сколько стоит Office 200?", language="ru"))
        [call] = await fake.wait_for("sendMessage", chat_id=502)
        assert "1 450 EUR" in call.params["text"]
        assert any(c.params.get("action") == "typing" for c in fake.sent(502, "sendChatAction"))


async def test_same_update_delivered_twice_gets_one_answer(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        update = fake.message_update(503, "What is the warranty?", message_id=77)
        await fake.inject(update)
        await fake.wait_for("sendMessage", chat_id=503)
        # Telegram redelivers the same message under a new update id (e.g. after a crash).
        await fake.inject(fake.message_update(503, "What is the warranty?", message_id=77))
        await fake.inject(fake.message_update(503, "How often to descale?"))
        await fake.wait_for("sendMessage", count=2, chat_id=503)
        texts = fake.texts(503)
        assert len(texts) == 2
        assert "24-month" in texts[0] and "3 months" in texts[1]


async def test_sticker_and_voice_get_a_polite_reply(services_factory, fake_telegram):
    fake, base = fake_telegram
    sticker = {
        "sticker": {
            "file_id": "st1",
            "file_unique_id": "u1",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    }
    voice = {"voice": {"file_id": "v1", "file_unique_id": "u2", "duration": 2}}
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        await fake.inject(fake.message_update(504, None, extra=sticker))
        await fake.inject(fake.message_update(514, None, extra=voice, language="ru"))
        [english] = await fake.wait_for("sendMessage", chat_id=504)
        [russian] = await fake.wait_for("sendMessage", chat_id=514)
        assert "only read text" in english.params["text"]
        assert "Извините" in russian.params["text"]


async def test_manager_button_escalates(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        await fake.inject(fake.message_update(505, "Who won the football match?"))
        [offer] = await fake.wait_for("sendMessage", chat_id=505)
        button = offer.params["reply_markup"]["inline_keyboard"][0][0]
        assert button == {"text": "Talk to a manager", "callback_data": "b|human"}
        await fake.inject(fake.callback_update(505, button["callback_data"]))
        await fake.wait_for("sendMessage", count=2, chat_id=505)
        assert "asked a manager" in fake.texts(505)[1]
        assert fake.sent(None, "answerCallbackQuery")
        # A button sent before callback data was typed carries the bare payload: it still works.
        await fake.inject(fake.callback_update(515, "human"))
        [legacy] = await fake.wait_for("sendMessage", chat_id=515)
        assert "asked a manager" in legacy.params["text"]


async def test_long_reply_is_split_under_4096(services_factory, fake_telegram, fake_openai):
    fake, base = fake_telegram
    llm, llm_base = fake_openai
    long_answer = ("The Office 200 suits an office of thirty people. " * 200).strip()  # ~9,800 characters
    llm.push(Scripted(content=long_answer))
    async with services_factory(**bot_settings(base, openai_base_url=llm_base)) as services, running_bot(services):
        await fake.inject(fake.message_update(506, "Which machine for an office of 30 people?"))
        calls = await fake.wait_for("sendMessage", count=3, chat_id=506)
        assert all(len(c.params["text"]) <= 4096 for c in calls)
        words = " ".join(c.params["text"] for c in calls).split()
        assert words[: len(long_answer.split())] == long_answer.split()  # nothing lost or reordered


async def test_rate_limited_send_is_retried(services_factory, fake_telegram):
    fake, base = fake_telegram
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        await fake.inject(fake.message_update(507, "Do you deliver to Lviv?"))
        calls = await fake.wait_for("sendMessage", count=2, chat_id=507)
        assert "Delivery" in calls[-1].params["text"] or "delivered" in calls[-1].params["text"]


async def test_webhook_mode_checks_secret_and_dedupes(services_factory, fake_telegram):
    fake, base = fake_telegram
    webhook = bot_settings(base, public_base_url="https://closer.example", telegram_webhook_secret="s3cret-Token_1")
    async with services_factory(**webhook) as services, running_bot(services) as runtime:
        assert fake.webhook is not None
        assert fake.webhook["url"] == "https://closer.example/webhooks/telegram"
        assert fake.webhook["secret_token"] == "s3cret-Token_1"
        app = create_app(services, [runtime.webhook_router()])
        async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as http:
            update = fake.message_update(508, "How much is the Compact 80?")
            forged = await http.post(
                "/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            )
            missing = await http.post("/webhooks/telegram", json=update)
            assert forged.status_code == 403 and missing.status_code == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
            junk = await http.post("/webhooks/telegram", content=b"\xff{not json", headers=headers)
            assert junk.status_code == 400
            first = await http.post("/webhooks/telegram", json=update, headers=headers)
            again = await http.post("/webhooks/telegram", json=update, headers=headers)
            assert first.status_code == 200 and again.status_code == 200
            await fake.wait_for("sendMessage", chat_id=508)
            await asyncio.sleep(0.3)  # a second answer, if any, would have been sent by now
            assert len(fake.texts(508)) == 1 and "690 EUR" in fake.texts(508)[0]


async def test_webhook_burst_is_acknowledged_then_each_customer_answered_once(services_factory, fake_telegram):
    fake, base = fake_telegram
    webhook = bot_settings(base, public_base_url="https://closer.example", telegram_webhook_secret="burst")
    async with services_factory(**webhook) as services, running_bot(services) as runtime:
        app = create_app(services, [runtime.webhook_router()])
        updates = [fake.message_update(520 + n, "Do you deliver to Lviv?") for n in range(8)]
        deliveries = updates + updates[:3]  # Telegram delivers again what it did not see acknowledged in time
        headers = {"X-Telegram-Bot-Api-Secret-Token": "burst"}
        async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as http:
            acks = await asyncio.gather(*(http.post("/webhooks/telegram", json=u, headers=headers) for u in deliveries))
            assert [ack.status_code for ack in acks] == [200] * len(deliveries)
            await fake.wait_until(lambda: all(fake.texts(520 + n) for n in range(8)))
            await asyncio.sleep(0.3)  # a second answer, if any, would have been sent by now
            assert all(len(fake.texts(520 + n)) == 1 for n in range(8))


async def test_an_update_acknowledged_before_a_crash_or_a_storage_hiccup_is_still_answered(
    services_factory, fake_telegram
):
    fake, base = fake_telegram
    webhook = bot_settings(base, public_base_url="https://closer.example", telegram_webhook_secret="later")
    async with services_factory(**webhook) as services:
        # Stored and acknowledged by a process that was killed before it handled it; and one a live replica
        # (beating) is handling right now, which is left to it.
        inbox = services.repos.inbox
        await inbox.store("telegram", "9001", fake.message_update(530, "Do you deliver to Lviv?"), "killed-replica")
        long_ago = utcnow() - timedelta(minutes=5)  # nobody has held it since: taken at start, not a sweep later
        await services.clients.db.inbox.update_one({"key": "9001"}, {"$set": {"held_at": long_ago}})
        await services.repos.replicas.beat("live-replica")
        await inbox.store("telegram", "9002", fake.message_update(532, "And to Odesa?"), "live-replica")
        async with running_bot(services) as runtime:
            await fake.wait_for("sendMessage", chat_id=530)  # handled at start

            refusals = [AutoReconnect("MongoDB went away for a moment")]

            async def storage_hiccup(handler, event, data):
                if refusals:
                    raise refusals.pop()
                return await handler(event, data)

            runtime.dispatcher.update.outer_middleware(storage_hiccup)
            app = create_app(services, [runtime.webhook_router()])
            headers = {"X-Telegram-Bot-Api-Secret-Token": "later"}
            async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as http:
                update = fake.message_update(531, "How much is the Compact 80?")
                assert (await http.post("/webhooks/telegram", json=update, headers=headers)).status_code == 200
                await fake.wait_for("sendMessage", chat_id=531)  # retried after the hiccup, not dropped
            assert not refusals and len(fake.texts(530)) == 1 and len(fake.texts(531)) == 1
            assert fake.texts(532) == []
        statuses = {doc["key"]: doc["status"] async for doc in services.clients.db.inbox.find({"source": "telegram"})}
        assert statuses["9001"] == "done" and statuses[str(update["update_id"])] == "done"
        assert statuses["9002"] == "pending"


async def test_webhook_that_cannot_be_persisted_answers_5xx(make_settings, fake_telegram, tmp_path, shared_embedder):
    fake, base = fake_telegram
    doomed = EmbeddedMongo(tmp_path / "doomed-mongo")
    settings = make_settings(
        mongodb_uri=doomed.start(),
        mongodb_timeout_ms=500,
        **bot_settings(base, public_base_url="https://closer.example", telegram_webhook_secret="abc"),
    )
    async with open_services(settings, embedder=shared_embedder) as services, running_bot(services) as runtime:
        app = create_app(services, [runtime.webhook_router()])
        async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as http:
            doomed.stop()  # the database goes away
            response = await http.post(
                "/webhooks/telegram",
                json=fake.message_update(509, "hello"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "abc"},
            )
            assert response.status_code == 503
            assert fake.texts(509) == []


def test_bot_api_response_models_survive_garbage_collection():
    """A rebuilt response model costs the event loop milliseconds per Bot API call (bot/session.py)."""
    bot = create_bot("42:token", "http://127.0.0.1:9")
    answer = json.dumps({"ok": True, "result": {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}}})
    method = SendMessage(chat_id=5, text="hi")
    model = weakref.ref(type(bot.session.check_response(bot, method, 200, answer)))
    gc.collect()
    assert model() is not None  # not collected, so not built again
    again = bot.session.check_response(bot, method, 200, answer)
    assert type(again) is model() and again.result.chat.id == 5
