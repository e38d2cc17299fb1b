"""One card per conversation, edited in place; notifications only when a manager must act; the admin bot in
the manager's language; /inbox, /reply and a customer's voice message, through the local Bot API server."""

from __future__ import annotations

import asyncio

from app.container import open_services
from tests.fakes.telegram_api import FakeTelegram
from tests.test_sales_loop import ADMIN_TOKEN, CUSTOMER_TOKEN, MANAGER_A, MANAGER_B, bots, loop_settings, take_button

FIRST = "Добрий день! Хочемо замовити 30 штук цього тижня, бюджет погоджений"
SECOND = "Виставте рахунок на ТОВ «Світанок», оплатимо сьогодні. Мій телефон +380671234567"


def card_id(call) -> int:
    return int(call.result["message_id"])


async def say(fake: FakeTelegram, buyer: int, text: str, count: int, language: str = "uk") -> None:
    """The buyer writes; waits for the bot's `count`-th message to them (the turn is over)."""
    await fake.inject(fake.message_update(buyer, text, language=language), token=CUSTOMER_TOKEN)
    await fake.wait_for("sendMessage", count=count, chat_id=buyer)


async def test_one_card_per_buyer_edited_as_the_conversation_goes_on(services_factory, fake_telegram):
    fake, base = fake_telegram
    buyer = 7101
    async with services_factory(**loop_settings(base)) as services, bots(services):
        await say(fake, buyer, FIRST, 1)
        [card] = await fake.wait_for("sendMessage", chat_id=MANAGER_A)
        assert card.params["text"].startswith("🔥 HOT")
        await say(fake, buyer, SECOND, 2)
        await fake.wait_until(lambda: "+380671234567" in fake.card_text(MANAGER_A, card_id(card)))
        await asyncio.sleep(0.5)  # a second card or a ping, if there were one, would be here by now
        assert len(fake.sent(MANAGER_A)) == 1 and len(fake.sent(MANAGER_B)) == 1  # one card, one notification
        shown = fake.card_text(MANAGER_A, card_id(card))
        assert "wants to buy" in shown and "asked for a person" not in shown
        assert "⏳" in shown or "🤖" in shown

        # Taking over edits the same card: it now says who handles the chat and offers Return to bot.
        await fake.inject(fake.callback_update(MANAGER_B, take_button(card)), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: "👤" in fake.card_text(MANAGER_A, card_id(card)))
        [edit] = [c for c in fake.sent(MANAGER_A, "editMessageText") if "👤" in c.params["text"]][-1:]
        assert edit.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith("release:")


async def test_a_request_for_a_person_pings_the_existing_card(services_factory, fake_telegram):
    fake, base = fake_telegram
    buyer = 7102
    async with services_factory(**loop_settings(base)) as services, bots(services):
        await say(fake, buyer, "Скільки коштує оренда Office 200 на рік?", 1)
        await say(fake, buyer, FIRST, 2)
        [card] = await fake.wait_for("sendMessage", chat_id=MANAGER_A)
        # One act, one ping: pings within 90 s of the card are folded into it, so age the card's last one.
        await services.clients.db.manager_cards.update_many({}, {"$set": {"pinged_at": card_time()}})
        await say(fake, buyer, "Покличте, будь ласка, живу людину", 3)
        _, ping = await fake.wait_for("sendMessage", count=2, chat_id=MANAGER_A)
        assert ping.params["text"] == "🔔 asked for a person"
        await fake.wait_until(lambda: "asked for a person" in fake.card_text(MANAGER_A, card_id(card)))


def card_time():
    from datetime import timedelta

    from storage.repositories import utcnow

    return utcnow() - timedelta(minutes=5)


async def test_exactly_one_card_across_a_restart(make_settings, fake_telegram, shared_embedder):
    fake, base = fake_telegram
    settings = make_settings(**loop_settings(base))
    buyer = 7103
    async with open_services(settings, embedder=shared_embedder) as services, bots(services):
        await say(fake, buyer, FIRST, 1)
        [card] = await fake.wait_for("sendMessage", chat_id=MANAGER_A)
    async with open_services(settings, embedder=shared_embedder) as services, bots(services):
        await say(fake, buyer, SECOND, 2)
        await fake.wait_until(lambda: "+380671234567" in fake.card_text(MANAGER_A, card_id(card)))
        assert len(fake.sent(MANAGER_A)) == 1
        await services.clients.mongo.drop_database(settings.mongo.db)


async def test_cards_and_commands_speak_the_managers_language(services_factory, fake_telegram):
    fake, base = fake_telegram
    buyer = 7104
    async with services_factory(**loop_settings(base)) as services, bots(services):
        await fake.inject(fake.message_update(MANAGER_A, "/help", language="uk"), token=ADMIN_TOKEN)
        [help_uk] = await fake.wait_for("sendMessage", chat_id=MANAGER_A)
        assert "діалог" in help_uk.params["text"] or "чат" in help_uk.params["text"]
        await say(fake, buyer, FIRST, 1)
        card_uk = (await fake.wait_for("sendMessage", count=2, chat_id=MANAGER_A))[-1]
        card_en = (await fake.wait_for("sendMessage", chat_id=MANAGER_B))[-1]
        assert card_uk.params["text"].startswith("🔥 ГАРЯЧИЙ") and card_en.params["text"].startswith("🔥 HOT")
        assert card_uk.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Взяти діалог"

        # /lang switches the bot to Russian for this manager, whatever Telegram says.
        await fake.inject(fake.message_update(MANAGER_A, "/lang", language="uk"), token=ADMIN_TOKEN)
        menu = (await fake.wait_for("sendMessage", count=3, chat_id=MANAGER_A))[-1]
        russian = next(b for b in menu.params["reply_markup"]["inline_keyboard"][0] if b["text"] == "Русский")
        await fake.inject(fake.callback_update(MANAGER_A, russian["callback_data"], language="uk"), token=ADMIN_TOKEN)
        [chosen] = await fake.wait_for("answerCallbackQuery")
        assert chosen.params["text"] == "Язык: русский"
        await fake.inject(fake.message_update(MANAGER_A, "/whoami", language="uk"), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any(t.startswith(f"Ваш id: {MANAGER_A}") for t in fake.texts(MANAGER_A)))


async def test_inbox_canned_reply_and_a_voice_message(services_factory, fake_telegram):
    fake, base = fake_telegram
    buyer = 7105
    async with services_factory(**loop_settings(base)) as services, bots(services):
        await fake.inject(fake.message_update(MANAGER_B, "/inbox"), token=ADMIN_TOKEN)
        [empty] = await fake.wait_for("sendMessage", chat_id=MANAGER_B)
        assert empty.params["text"] == "Nobody is waiting for a manager."
        await say(fake, buyer, "Позовіть, будь ласка, менеджера", 1)
        await fake.wait_for("sendMessage", count=2, chat_id=MANAGER_B)  # the card
        await fake.inject(fake.message_update(MANAGER_B, "/inbox"), token=ADMIN_TOKEN)
        inbox = (await fake.wait_for("sendMessage", count=3, chat_id=MANAGER_B))[-1]
        assert "1. " in inbox.params["text"] and "waiting" in inbox.params["text"]
        await fake.inject(fake.callback_update(MANAGER_B, take_button(inbox)), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("You now handle" in t for t in fake.texts(MANAGER_B)))

        await fake.inject(fake.message_update(MANAGER_B, "/reply"), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any(t == "Send a ready reply:" for t in fake.texts(MANAGER_B)))
        menu = [c for c in fake.sent(MANAGER_B) if c.params.get("text") == "Send a ready reply:"][-1]
        invoice = menu.params["reply_markup"]["inline_keyboard"][0][0]
        before = len(fake.sent(buyer))
        await fake.inject(fake.callback_update(MANAGER_B, invoice["callback_data"]), token=ADMIN_TOKEN)
        to_buyer = await fake.wait_for("sendMessage", count=before + 1, chat_id=buyer)
        assert to_buyer[-1].params["text"] == "Дякую! Готую рахунок і надішлю його протягом 30 хвилин."

        voice_id = fake.add_file(b"OggS-voice-bytes", "voice.ogg")
        voice = {"voice": {"file_id": voice_id, "file_unique_id": "v1", "duration": 3, "mime_type": "audio/ogg"}}
        await fake.inject(fake.message_update(buyer, None, extra=voice, language="uk"), token=CUSTOMER_TOKEN)
        [relayed] = await fake.wait_for("sendVoice", chat_id=MANAGER_B)
        assert relayed.files and b"OggS-voice-bytes" in next(iter(relayed.files.values()))


async def test_two_replicas_racing_post_one_card(services_factory, fake_telegram):
    from app.bots import build_admin_bot
    from storage.manager_cards import CardReason

    fake, base = fake_telegram
    async with services_factory(**loop_settings(base)) as services, bots(services) as (_, admin):
        await say(fake, 7106, "Скільки коштує Office 200?", 1)  # a warm conversation: no card yet
        assert not fake.sent(MANAGER_A)
        [lead] = await services.repos.leads.list(limit=1)
        # A second replica's notifier on the same database; both must act on the conversation at once.
        other = build_admin_bot(services.settings, services, None)
        assert other is not None
        try:
            await asyncio.gather(
                admin.notifier.act(lead.conversation_id, CardReason("human", "asked for a person"), notify=True),
                other.notifier.act(lead.conversation_id, CardReason("hot", "invoice"), notify=True),
            )
            await asyncio.sleep(0.3)
            assert len(fake.sent(MANAGER_A)) == 1 and len(fake.sent(MANAGER_B)) == 1
            [card] = fake.sent(MANAGER_A)

            def both_reasons() -> bool:
                shown = fake.card_text(MANAGER_A, card_id(card))
                return "asked for a person" in shown and "asked for an invoice" in shown

            await fake.wait_until(both_reasons)
        finally:
            await other.telegram.bot.session.close()


def button(call, prefix: str) -> str:
    """The callback data of the card's button whose data starts with `prefix`."""
    rows = call.params["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["callback_data"].startswith(prefix))


async def test_a_request_for_a_person_waiting_past_the_sla_is_re_alerted_once(services_factory, fake_telegram):
    from datetime import timedelta

    from storage.repositories import utcnow

    fake, base = fake_telegram
    buyer = 7106
    async with services_factory(**loop_settings(base)) as services, bots(services) as (_, admin):
        await say(fake, buyer, "Покличте, будь ласка, живу людину", 1)
        [card] = await fake.wait_for("sendMessage", chat_id=MANAGER_A)
        sla = timedelta(minutes=services.settings.automation.sla_minutes)
        assert await admin.notifier.reannounce(sla) == 0  # it has waited less than SLA_MINUTES
        waited = utcnow() - sla - timedelta(minutes=1)
        await services.clients.db.conversations.update_many({}, {"$set": {"owner_changed_at": waited}})
        assert await admin.notifier.reannounce(sla) == 1
        assert await admin.notifier.reannounce(sla) == 0  # once per wait
        _, ping = await fake.wait_for("sendMessage", count=2, chat_id=MANAGER_A)
        assert ping.params["text"] == "🔔 still waiting after 15 min"
        assert "still waiting after 15 min" in fake.card_text(MANAGER_A, card_id(card))

        # Taken and handed back, then asked again: a new wait gets its own re-alert.
        conversation_id = button(card, "take:").split(":", 1)[1]
        assert (await services.ownership.take_over(conversation_id, MANAGER_B)).won
        assert await services.ownership.release(conversation_id, MANAGER_B)
        assert await services.repos.conversations.compare_and_set_owner(conversation_id, "ai", "pending_human")
        await services.clients.db.conversations.update_many({}, {"$set": {"owner_changed_at": waited}})
        assert await admin.notifier.reannounce(sla) == 1


async def test_a_manager_marks_a_lead_won_and_the_funnel_counts_it(services_factory, fake_telegram):
    fake, base = fake_telegram
    buyer = 7107
    async with services_factory(**loop_settings(base)) as services, bots(services):
        await say(fake, buyer, FIRST, 1)
        [card] = await fake.wait_for("sendMessage", chat_id=MANAGER_A)
        from datetime import timedelta

        assert len(await services.repos.leads.hot_unanswered(timedelta(0))) == 1  # due for the SLA re-alert
        await fake.inject(fake.callback_update(MANAGER_A, button(card, "deal:")), token=ADMIN_TOKEN)
        [answer] = await fake.wait_for("answerCallbackQuery")
        assert answer.params["text"] == "Marked won."
        assert await services.repos.leads.hot_unanswered(timedelta(0)) == []  # a won lead waits for nobody
        await fake.inject(fake.callback_update(MANAGER_B, button(card, "deal:")), token=ADMIN_TOKEN)  # too late
        [_, late] = await fake.wait_for("answerCallbackQuery", count=2)
        assert late.params["text"] == "Already decided."
        await fake.wait_until(
            lambda: "✅ Won" in fake.card_text(MANAGER_B, fake.sent(MANAGER_B)[0].result["message_id"])
        )
        lead = await services.repos.leads.by_conversation(button(card, "take:").split(":", 1)[1])
        assert lead is not None and lead.status == "won"
        stats = await services.repos.stats.report("day")
        assert stats.outcomes["won"] == 1 and stats.outcomes["lost"] == 0
        assert await services.repos.audit.count("lead.closed") == 1

        # The edited card offers Reopen instead of Won / Lost; reopening puts the lead back in the funnel.
        edits = [c for c in fake.sent(MANAGER_A, "editMessageText") if "✅ Won" in c.params["text"]]
        await fake.inject(fake.callback_update(MANAGER_A, button(edits[-1], "deal:")), token=ADMIN_TOKEN)
        await fake.wait_for("answerCallbackQuery", count=3)
        lead = await services.repos.leads.get(lead.id)
        assert lead is not None and lead.status == "open"
