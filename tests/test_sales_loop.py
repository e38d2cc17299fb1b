"""The sales loop end to end through the local Bot API server: a buyer turns Hot, managers are alerted
once, one takes over, messages flow both ways, the chat goes back to the bot; races and restarts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.bots import AdminBot, build_admin_bot, build_customer_bot
from app.container import Services, open_services
from bot.transport import TelegramRuntime
from tests.fakes.telegram_api import FakeTelegram

CUSTOMER_TOKEN = "111111:customer-bot-token-for-the-local-server"
ADMIN_TOKEN = "222222:admin-bot-token-for-the-local-server"
MANAGER_A, MANAGER_B, STRANGER = 9001, 9002, 6666
HOT_TEXT = "Хотим арендовать две Barista Pro с понедельника, выставьте счёт"


def loop_settings(base: str) -> dict:
    return {
        "telegram_bot_token": CUSTOMER_TOKEN,
        "admin_bot_token": ADMIN_TOKEN,
        "telegram_api_base": base,
        "manager_ids": [MANAGER_A, MANAGER_B],
    }


@asynccontextmanager
async def bots(services: Services) -> AsyncIterator[tuple[TelegramRuntime, AdminBot]]:
    customer = build_customer_bot(services.settings, services)
    admin = build_admin_bot(services.settings, services, customer)
    assert customer is not None and admin is not None
    await customer.start()
    await admin.telegram.start()
    try:
        yield customer, admin
    finally:
        await admin.telegram.stop()
        await customer.stop()


def take_button(call) -> str:
    return call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]


async def make_hot(fake: FakeTelegram, customer_id: int) -> str:
    await fake.inject(fake.message_update(customer_id, HOT_TEXT, language="ru"), token=CUSTOMER_TOKEN)
    [alert] = await fake.wait_for("sendMessage", chat_id=MANAGER_A)
    text = alert.params["text"]
    assert text.startswith("🔥 HOT") and "wants to buy: asked for an invoice" in text and "выставьте счёт" in text
    return take_button(alert)


async def test_hot_alert_takeover_relay_and_return_to_bot(services_factory, fake_telegram):
    fake, base = fake_telegram
    buyer = 7001
    async with services_factory(**loop_settings(base)) as services, bots(services):
        take = await make_hot(fake, buyer)
        await fake.wait_for("sendMessage", chat_id=MANAGER_B)
        await fake.wait_for("sendMessage", chat_id=buyer)  # the bot answered the buyer too
        # Still hot on the next message: no second alert.
        await fake.inject(
            fake.message_update(buyer, "И ещё гриндер G64, пожалуйста", language="ru"), token=CUSTOMER_TOKEN
        )
        await fake.wait_for("sendMessage", count=2, chat_id=buyer)
        assert len(fake.sent(MANAGER_A)) == 1 and len(fake.sent(MANAGER_B)) == 1

        await fake.inject(fake.callback_update(MANAGER_A, take), token=ADMIN_TOKEN)
        confirmations = await fake.wait_for("sendMessage", count=2, chat_id=MANAGER_A)
        assert "You now handle this chat" in confirmations[-1].params["text"]

        answered_by_bot = len(fake.sent(buyer))
        await fake.inject(fake.message_update(buyer, "А можно дешевле?", language="ru"), token=CUSTOMER_TOKEN)
        relayed = await fake.wait_for("sendMessage", count=3, chat_id=MANAGER_A)
        assert "А можно дешевле?" in relayed[-1].params["text"]
        await asyncio.sleep(0.3)
        assert len(fake.sent(buyer)) == answered_by_bot  # the brain stayed silent

        await fake.inject(
            fake.message_update(MANAGER_A, "Добрый день! Подготовлю счёт за 10 минут."), token=ADMIN_TOKEN
        )
        to_buyer = await fake.wait_for("sendMessage", count=answered_by_bot + 1, chat_id=buyer)
        assert to_buyer[-1].params["text"] == "Добрый день! Подготовлю счёт за 10 минут."
        assert (
            "Sent to the customer"
            in (await fake.wait_for("sendMessage", count=4, chat_id=MANAGER_A))[-1].params["text"]
        )

        await fake.inject(fake.callback_update(MANAGER_A, take.replace("take:", "release:")), token=ADMIN_TOKEN)
        await fake.wait_for("sendMessage", count=5, chat_id=MANAGER_A)
        csat = await fake.wait_for("sendMessage", count=answered_by_bot + 2, chat_id=buyer)
        assert "Оцените разговор" in csat[-1].params["text"]  # handed back: the buyer is asked to rate it
        buttons = [b["callback_data"] for row in csat[-1].params["reply_markup"]["inline_keyboard"] for b in row]
        assert [b.rsplit("|", 1)[-1] for b in buttons] == [f"csat:{n}" for n in range(1, 6)]
        await fake.inject(
            fake.message_update(buyer, "Какие сроки доставки во Львов?", language="ru"), token=CUSTOMER_TOKEN
        )
        back = await fake.wait_for("sendMessage", count=answered_by_bot + 3, chat_id=buyer)
        assert "Новой почтой" in back[-1].params["text"]  # the bot answers again, from the knowledge base


async def test_two_managers_tap_at_once_one_wins(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**loop_settings(base)) as services, bots(services):
        take = await make_hot(fake, 7002)
        await fake.wait_for("sendMessage", chat_id=MANAGER_B)
        await asyncio.gather(
            fake.inject(fake.callback_update(MANAGER_A, take), token=ADMIN_TOKEN),
            fake.inject(fake.callback_update(MANAGER_B, take), token=ADMIN_TOKEN),
        )
        answers = await fake.wait_for("answerCallbackQuery", count=2)
        texts = sorted(a.params.get("text", "") for a in answers)
        assert texts[0].startswith("Already taken by manager") and texts[1] == "The chat is yours."

        def winners() -> list[int]:
            return [m for m in (MANAGER_A, MANAGER_B) if any("You now handle" in t for t in fake.texts(m))]

        await fake.wait_until(lambda: bool(winners()))
        await asyncio.sleep(0.3)  # a second confirmation, if there were one, would have arrived by now
        assert len(winners()) == 1


async def test_ownership_survives_a_restart(make_settings, fake_telegram, shared_embedder):
    fake, base = fake_telegram
    settings = make_settings(**loop_settings(base))
    buyer = 7003
    async with open_services(settings, embedder=shared_embedder) as services, bots(services):
        take = await make_hot(fake, buyer)
        await fake.inject(fake.callback_update(MANAGER_A, take), token=ADMIN_TOKEN)
        await fake.wait_for("sendMessage", count=2, chat_id=MANAGER_A)
    before = len(fake.sent(buyer))
    async with open_services(settings, embedder=shared_embedder) as services, bots(services):
        await fake.inject(fake.message_update(buyer, "Вы тут?", language="ru"), token=CUSTOMER_TOKEN)
        relayed = await fake.wait_for("sendMessage", count=3, chat_id=MANAGER_A)
        assert "Вы тут?" in relayed[-1].params["text"]
        await asyncio.sleep(0.3)
        assert len(fake.sent(buyer)) == before
        await services.clients.mongo.drop_database(settings.mongo.db)


async def test_stranger_is_refused_and_commands_work(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**loop_settings(base)) as services, bots(services):
        await fake.inject(fake.message_update(STRANGER, "/leads"), token=ADMIN_TOKEN)
        [refusal] = await fake.wait_for("sendMessage", chat_id=STRANGER)
        assert "private bot" in refusal.params["text"]

        await make_hot(fake, 7004)
        await fake.wait_for("sendMessage", chat_id=MANAGER_B)  # B's card, before B's own commands
        # One command at a time: updates are handled concurrently, so two at once may answer in either order.
        await fake.inject(fake.message_update(MANAGER_B, "/whoami"), token=ADMIN_TOKEN)
        replies = await fake.wait_for("sendMessage", count=2, chat_id=MANAGER_B)
        assert f"You are {MANAGER_B}, manager" in replies[1].params["text"]
        await fake.inject(fake.message_update(MANAGER_B, "/leads hot"), token=ADMIN_TOKEN)
        replies = await fake.wait_for("sendMessage", count=3, chat_id=MANAGER_B)
        assert "/lead " in replies[2].params["text"]
        lead_id = replies[2].params["text"].split("/lead ")[1].split()[0]
        await fake.inject(fake.message_update(MANAGER_B, f"/lead {lead_id}"), token=ADMIN_TOKEN)
        card = (await fake.wait_for("sendMessage", count=4, chat_id=MANAGER_B))[-1]
        assert "/100" in card.params["text"] and lead_id in card.params["text"]
        await fake.inject(fake.message_update(MANAGER_B, "/export"), token=ADMIN_TOKEN)
        documents = await fake.wait_for("sendDocument", count=2, chat_id=MANAGER_B)
        assert documents[0].files and b"temperature" in next(iter(documents[0].files.values()))
        await fake.inject(fake.message_update(MANAGER_B, "hello?"), token=ADMIN_TOKEN)
        nudge = (await fake.wait_for("sendMessage", count=5, chat_id=MANAGER_B))[-1]
        assert "not handling any chat" in nudge.params["text"]
        # A tampered or outdated button is answered, never left spinning.
        await fake.inject(fake.callback_update(MANAGER_B, f"mark:{lead_id}:lukewarm"), token=ADMIN_TOKEN)
        [stale] = await fake.wait_for("answerCallbackQuery")
        assert stale.params["text"] == "This button is no longer valid."


async def test_mark_cold_teaches_the_qualifier(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**loop_settings(base)) as services, bots(services):
        take = await make_hot(fake, 7005)
        [card] = fake.sent(MANAGER_A)
        mark_cold = card.params["reply_markup"]["inline_keyboard"][1][2]["callback_data"]
        assert mark_cold.endswith(":cold") and take.startswith("take:")
        assert (await services.brain.qualifier.assess([HOT_TEXT])).temperature == "hot"
        await fake.inject(fake.callback_update(MANAGER_A, mark_cold), token=ADMIN_TOKEN)
        await fake.wait_for("answerCallbackQuery")
        assessment = await services.brain.qualifier.assess([HOT_TEXT])
        assert assessment.temperature == "cold"
        assert "manager marked" in assessment.reasons[0]
        lead = await services.repos.leads.get(mark_cold.split(":")[1])
        assert lead is not None and lead.temperature == "cold" and lead.manual
        # Every manager's card now shows the corrected temperature.
        await fake.wait_until(
            lambda: fake.card_text(MANAGER_B, fake.sent(MANAGER_B)[0].result["message_id"]).startswith("❄️ COLD")
        )


async def test_untaken_hot_lead_is_reannounced_once_and_idle_takeover_is_released(services_factory, fake_telegram):
    from datetime import timedelta

    from app.scheduler import Jobs

    fake, base = fake_telegram
    async with (
        services_factory(**loop_settings(base), takeover_idle_minutes=0) as services,
        bots(services) as (_, admin),
    ):
        take = await make_hot(fake, 7006)
        assert await admin.notifier.reannounce(timedelta(minutes=10)) == 0  # too early
        assert await admin.notifier.reannounce(timedelta(0)) == 1
        assert await admin.notifier.reannounce(timedelta(0)) == 0  # once only
        card, ping = await fake.wait_for("sendMessage", count=2, chat_id=MANAGER_A)
        # The SLA re-alert is a notification replying to the one card, which now says why.
        assert ping.params["text"] == "🔔 still waiting after 0 min"
        reply_to = ping.params["reply_parameters"]
        reply_to = json.loads(reply_to) if isinstance(reply_to, str) else reply_to
        assert reply_to["message_id"] == card.result["message_id"]
        assert "still waiting after 0 min" in fake.card_text(MANAGER_A, card.result["message_id"])

        await fake.inject(fake.callback_update(MANAGER_A, take), token=ADMIN_TOKEN)
        await fake.wait_for("sendMessage", count=3, chat_id=MANAGER_A)
        jobs = Jobs(services, admin.notifier)
        assert await jobs.release_idle_takeovers() == 1
        told = await fake.wait_for("sendMessage", count=4, chat_id=MANAGER_A)
        assert "went back to the bot" in told[-1].params["text"]
        conversation_id = take.split(":", 1)[1]
        conversation = await services.repos.conversations.get(conversation_id)
        assert conversation is not None and conversation.owner == "ai"
        assert await services.repos.audit.count("conversation.released") == 1


async def test_forum_group_gets_a_topic_per_conversation(services_factory, fake_telegram):
    import time

    fake, base = fake_telegram
    group = -1001234567890
    buyer = 7007
    async with services_factory(**loop_settings(base), manager_chat_id=group) as services, bots(services):
        await fake.inject(fake.message_update(buyer, HOT_TEXT, language="ru"), token=CUSTOMER_TOKEN)
        [topic] = await fake.wait_for("createForumTopic")
        [card] = await fake.wait_for("sendMessage", chat_id=group)
        thread = int(card.params["message_thread_id"])
        assert "HOT" in card.params["text"] and not fake.sent(MANAGER_A)  # the group, not private chats
        conversation_id = take_button(card).split(":", 1)[1]

        def in_group(update_id_source: dict, text: str | None = None, data: str | None = None) -> dict:
            message = {
                "message_id": int(time.time() * 1000) % 10**6,
                "date": int(time.time()),
                "chat": {"id": group, "type": "supergroup", "is_forum": True},
                "from": fake.user(MANAGER_A),
                "message_thread_id": thread,
                "is_topic_message": True,
            }
            if data is not None:
                update_id_source["callback_query"]["message"] = {
                    **message,
                    "from": {"id": 4242, "is_bot": True, "first_name": "Closer"},
                }
                return update_id_source
            update_id_source["message"] = {**message, "text": text}
            return update_id_source

        take = fake.callback_update(MANAGER_A, f"take:{conversation_id}")
        await fake.inject(in_group(take, data="take"), token=ADMIN_TOKEN)
        await fake.wait_for("sendMessage", count=2, chat_id=group)
        await fake.inject(fake.message_update(buyer, "Вы тут?", language="ru"), token=CUSTOMER_TOKEN)
        relayed = await fake.wait_for("sendMessage", count=3, chat_id=group)
        assert "Вы тут?" in relayed[-1].params["text"] and int(relayed[-1].params["message_thread_id"]) == thread
        before = len(fake.sent(buyer))
        reply = fake.message_update(MANAGER_A, "Да, я здесь!")
        await fake.inject(in_group(reply, text="Да, я здесь!"), token=ADMIN_TOKEN)
        to_buyer = await fake.wait_for("sendMessage", count=before + 1, chat_id=buyer)
        assert to_buyer[-1].params["text"] == "Да, я здесь!"
        assert topic.params["chat_id"] in (str(group), group)


async def test_customer_asking_for_a_human_reaches_the_managers(services_factory, fake_telegram):
    fake, base = fake_telegram
    buyer = 7008
    async with services_factory(**loop_settings(base)) as services, bots(services):
        await fake.inject(
            fake.message_update(buyer, "Позовите, пожалуйста, менеджера", language="ru"), token=CUSTOMER_TOKEN
        )
        [card] = await fake.wait_for("sendMessage", chat_id=MANAGER_B)
        assert "Needs a manager: asked for a person" in card.params["text"]
        await fake.inject(fake.callback_update(MANAGER_B, take_button(card)), token=ADMIN_TOKEN)
        confirmations = await fake.wait_for("sendMessage", count=2, chat_id=MANAGER_B)
        assert "You now handle this chat" in confirmations[-1].params["text"]


async def test_admin_uploads_a_document_and_the_bot_answers_from_it(services_factory, fake_telegram):
    from tests.fakes.files import text_pdf

    fake, base = fake_telegram
    admin_id, buyer = 9100, 7009
    settings = {**loop_settings(base), "admin_ids": [admin_id]}
    async with services_factory(**settings) as services, bots(services):
        pdf = text_pdf("BrewPoint leasing for start-ups requires a 6 month minimum term")
        file_id = fake.add_file(pdf, "leasing.pdf")
        document = {
            "document": {
                "file_id": file_id,
                "file_unique_id": "u1",
                "file_name": "leasing.pdf",
                "mime_type": "application/pdf",
                "file_size": len(pdf),
            }
        }
        await fake.inject(fake.message_update(admin_id, None, extra=document), token=ADMIN_TOKEN)
        await fake.wait_until(
            lambda: any("Added" in c.params.get("text", "") for c in fake.sent(admin_id, "editMessageText"))
        )
        edits = [c.params["text"] for c in fake.sent(admin_id, "editMessageText")]
        assert edits[0].startswith("🔎 Parsing") and any(e.startswith("🧠 Embedding 1/1") for e in edits)
        assert "Pages: 1 · chunks: 1" in edits[-1]
        assert fake.sent(admin_id)[0].params["text"].startswith("📥 Downloading leasing.pdf")

        await fake.inject(
            fake.message_update(buyer, "What is the minimum leasing term for start-ups?"), token=CUSTOMER_TOKEN
        )
        [answer] = await fake.wait_for("sendMessage", chat_id=buyer)
        assert "6 month minimum term" in answer.params["text"]

        # A manager who is not an admin cannot teach the bot; a file over 20 MB is sent to the CLI.
        await fake.inject(fake.message_update(MANAGER_A, None, extra=document), token=ADMIN_TOKEN)
        [refused] = await fake.wait_for("sendMessage", chat_id=MANAGER_A)
        assert "Only admins" in refused.params["text"]
        big = {"document": {**document["document"], "file_size": 25 * 1024 * 1024}}
        await fake.inject(fake.message_update(admin_id, None, extra=big), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("closer ingest" in t for t in fake.texts(admin_id)))
        broken_id = fake.add_file(b"%PDF-1.4 broken", "broken.pdf")
        broken = {
            "document": {"file_id": broken_id, "file_unique_id": "u2", "file_name": "broken.pdf", "file_size": 15}
        }
        await fake.inject(fake.message_update(admin_id, None, extra=broken), token=ADMIN_TOKEN)
        await fake.wait_until(
            lambda: any("❌ Not added" in c.params.get("text", "") for c in fake.sent(admin_id, "editMessageText"))
        )
        await fake.inject(fake.message_update(admin_id, "/docs"), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any(t.startswith("leasing.pdf · kb") for t in fake.texts(admin_id)))
