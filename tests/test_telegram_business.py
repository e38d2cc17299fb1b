"""Telegram Business end to end: a seller's own account connected to the bot, through the real aiogram and the
local Bot API test server. Customers are answered on the seller's behalf (`business_connection_id`), only
while the connection allows it; the seller writing by hand takes the chat over."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from app.container import Services
from tests.fakes.telegram_api import Call, FakeTelegram
from tests.test_sales_loop import ADMIN_TOKEN, CUSTOMER_TOKEN, HOT_TEXT, MANAGER_A, bots, loop_settings, take_button
from tests.test_telegram_bot import bot_settings, running_bot

CHANNEL = "telegram_business"


def on_behalf(fake: FakeTelegram, chat_id: int, connection_id: str) -> list[Call]:
    """What the bot sent to `chat_id` on the seller's behalf (its own chat with the same person is apart)."""
    return [c for c in fake.sent(chat_id) if c.params.get("business_connection_id") == connection_id]


async def eventually(check: Callable[[], Awaitable[Any]], wait_s: float = 20) -> Any:
    """Poll stored state until `check` returns something truthy (the turn's observable end)."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while not (found := await check()):
        assert asyncio.get_running_loop().time() < deadline, "the state never came"
        await asyncio.sleep(0.05)
    return found


async def stored_in(services: Services, owner: int, chat: int, message_id: int, status: str) -> dict | None:
    return await services.clients.db.messages.find_one(
        {"channel": CHANNEL, "direction": "in", "channel_message_id": f"{owner}:{chat}:{message_id}", "status": status}
    )


async def conversation(services: Services, owner: int, chat: int) -> dict | None:
    return await services.clients.db.conversations.find_one({"channel": CHANNEL, "channel_user_id": f"{owner}:{chat}"})


async def test_customer_is_answered_on_the_sellers_behalf_apart_from_the_bots_own_chat(services_factory, fake_telegram):
    fake, base = fake_telegram
    owner, customer = 8100, 8101
    async with services_factory(**bot_settings(base)) as services, running_bot(services) as runtime:
        used = set(runtime.dispatcher.resolve_used_update_types())
        assert {"business_connection", "business_message", "deleted_business_messages"} <= used
        await fake.inject(fake.business_connection_update("bc1", owner))
        question = fake.business_message_update("bc1", customer, "Сколько стоит Office 200?", language="ru")
        await fake.inject(question)
        [reply] = await fake.wait_for("sendMessage", chat_id=customer)
        assert reply.params["business_connection_id"] == "bc1" and "1 450 EUR" in reply.params["text"]
        typing = fake.sent(customer, "sendChatAction")
        assert typing and all(c.params.get("business_connection_id") == "bc1" for c in typing)

        # Redelivered (same message id, new update id): recognised, one answer.
        message_id = question["business_message"]["message_id"]
        await fake.inject(
            fake.business_message_update("bc1", customer, "Сколько стоит Office 200?", message_id=message_id)
        )
        await fake.inject(fake.business_message_update("bc1", customer, "What is the warranty?"))
        await fake.wait_until(lambda: len(on_behalf(fake, customer, "bc1")) >= 2)
        # The same person writing to the bot itself: its own conversation, answered as the bot.
        await fake.inject(fake.message_update(customer, "How often to descale?"))
        await fake.wait_until(lambda: len(fake.sent(customer)) >= 3)
        await asyncio.sleep(0.3)  # a second answer to the redelivery, if any, would have been sent by now
        business, direct = on_behalf(fake, customer, "bc1"), fake.sent(customer)[-1]
        assert len(business) == 2 and "24-month" in business[1].params["text"]
        assert "business_connection_id" not in direct.params and "3 months" in direct.params["text"]
        chats = await services.clients.db.conversations.distinct("channel_user_id")
        assert {f"{owner}:{customer}", str(customer)} <= set(chats)


async def test_no_send_without_the_reply_right_or_once_disabled(services_factory, fake_telegram):
    fake, base = fake_telegram
    owner, customer = 8200, 8201
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        await fake.inject(fake.business_connection_update("bc2", owner, can_reply=False))
        first = await fake.inject(fake.business_message_update("bc2", customer, "What is the warranty?"))
        first_id = first["business_message"]["message_id"]
        # Read and judged (the lead, the card), recorded as not delivered, never sent.
        await eventually(lambda: stored_in(services, owner, customer, first_id, "answer_failed"))
        assert fake.sent(customer) == [] and fake.sent(customer, "sendChatAction") == []
        failed = await services.clients.db.messages.find_one({"channel": CHANNEL, "direction": "out"})
        assert failed["status"] == "failed" and "reply right" in failed["error"]

        await fake.inject(fake.business_connection_update("bc2", owner, can_reply=True))
        await fake.inject(fake.business_message_update("bc2", customer, "Do you deliver to Lviv?"))
        [reply] = await fake.wait_for("sendMessage", chat_id=customer)
        assert reply.params["business_connection_id"] == "bc2"

        await fake.inject(fake.business_connection_update("bc2", owner, enabled=False))
        await eventually(lambda: services.clients.db.business_connections.find_one({"_id": "bc2", "enabled": False}))
        last = await fake.inject(fake.business_message_update("bc2", customer, "How often to descale?"))
        await eventually(
            lambda: stored_in(services, owner, customer, last["business_message"]["message_id"], "answer_failed")
        )
        assert len(fake.sent(customer)) == 1


async def test_the_owner_writing_in_a_chat_takes_it_over_until_handed_back(services_factory, fake_telegram):
    fake, base = fake_telegram
    owner, customer = 8300, 8301
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        await fake.inject(fake.business_connection_update("bc3", owner))
        await fake.inject(fake.business_message_update("bc3", customer, "What is the warranty?"))
        [reply] = await fake.wait_for("sendMessage", chat_id=customer)
        # The bot's own reply comes back as a business message from the owner's account: not the owner's words.
        await fake.inject(
            fake.business_message_update("bc3", customer, reply.params["text"], sender_id=owner, by_bot=True)
        )
        await fake.inject(fake.business_message_update("bc3", customer, "Do you deliver to Lviv?"))
        await fake.wait_for("sendMessage", count=2, chat_id=customer)
        assert (await conversation(services, owner, customer))["owner"] == "ai"

        by_hand = fake.business_message_update("bc3", customer, "Hi, Olena here, I'll help you myself", sender_id=owner)
        await fake.inject(by_hand)
        taken = await eventually(
            lambda: services.clients.db.conversations.find_one(
                {"channel": CHANNEL, "channel_user_id": f"{owner}:{customer}", "owner": "human"}
            )
        )
        assert taken["owner_manager_id"] == owner
        await fake.inject(
            fake.business_message_update(
                "bc3",
                customer,
                "Hi, Olena here, I'll help you myself",
                sender_id=owner,
                message_id=by_hand["business_message"]["message_id"],
            )
        )
        waiting = await fake.inject(fake.business_message_update("bc3", customer, "How often to descale?"))
        await eventually(
            lambda: stored_in(services, owner, customer, waiting["business_message"]["message_id"], "for_human")
        )
        owners = await services.clients.db.messages.find({"channel": CHANNEL, "meta.sender": "manager"}).to_list(None)
        assert [m["text"] for m in owners] == ["Hi, Olena here, I'll help you myself"]  # stored once, not answered
        assert owners[0]["direction"] == "out" and owners[0]["status"] == "sent"
        await asyncio.sleep(0.3)
        assert len(fake.sent(customer)) == 2  # the bot stepped back

        # The idle release hands it back: the bot answers again.
        assert await services.ownership.release(str(taken["_id"]), None, reason="idle")
        await fake.inject(fake.business_message_update("bc3", customer, "How much is the Compact 80?"))
        back = await fake.wait_for("sendMessage", count=3, chat_id=customer)
        assert back[-1].params["business_connection_id"] == "bc3" and "690 EUR" in back[-1].params["text"]


async def test_hot_business_lead_gets_a_card_and_the_managers_reply_goes_on_the_sellers_behalf(
    services_factory, fake_telegram
):
    fake, base = fake_telegram
    owner, buyer = 8400, 8401
    async with services_factory(**loop_settings(base)) as services, bots(services):
        await fake.inject(fake.business_connection_update("bc4", owner), token=CUSTOMER_TOKEN)
        await fake.inject(fake.business_message_update("bc4", buyer, HOT_TEXT, language="ru"), token=CUSTOMER_TOKEN)
        [alert] = await fake.wait_for("sendMessage", chat_id=MANAGER_A)
        assert alert.params["text"].startswith("🔥 HOT") and "выставьте счёт" in alert.params["text"]
        [answer] = await fake.wait_for("sendMessage", chat_id=buyer)
        assert answer.params["business_connection_id"] == "bc4"

        await fake.inject(fake.callback_update(MANAGER_A, take_button(alert)), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("You now handle this chat" in t for t in fake.texts(MANAGER_A)))
        await fake.inject(fake.message_update(MANAGER_A, "Добрый день! Счёт будет через 10 минут."), token=ADMIN_TOKEN)
        relayed = await fake.wait_for("sendMessage", count=2, chat_id=buyer)
        assert relayed[-1].params["text"] == "Добрый день! Счёт будет через 10 минут."
        assert relayed[-1].params["business_connection_id"] == "bc4"


async def test_edits_deletions_unknown_connections_and_buttons(services_factory, fake_telegram):
    fake, base = fake_telegram
    owner, customer = 8500, 8501
    async with services_factory(**bot_settings(base)) as services, running_bot(services):
        # Connected while the bot was away: the first message's connection is asked of Telegram, then kept.
        fake.business_connection_update("bc5", owner)
        await fake.inject(fake.business_message_update("bc5", customer, "What is the warranty?", message_id=555))
        [reply] = await fake.wait_for("sendMessage", chat_id=customer)
        assert reply.params["business_connection_id"] == "bc5"
        assert len(fake.sent(None, "getBusinessConnection")) == 1
        assert await services.clients.db.business_connections.find_one({"_id": "bc5", "owner_id": owner})

        await fake.inject(fake.edited_business_message_update("bc5", customer, "What is the warranty period?", 555))
        await fake.inject(fake.deleted_business_messages_update("bc5", customer, [555]))
        await eventually(
            lambda: services.clients.db.messages.find_one(
                {"channel": CHANNEL, "channel_message_id": f"{owner}:{customer}:555", "deleted": True}
            )
        )

        # A button under a message sent on the seller's behalf belongs to that chat.
        await fake.inject(fake.business_message_update("bc5", customer, "Who won the football match?"))
        offer = (await fake.wait_for("sendMessage", count=2, chat_id=customer))[-1]
        button = offer.params["reply_markup"]["inline_keyboard"][0][0]
        await fake.inject(fake.business_callback_update("bc5", customer, button["callback_data"]))
        tapped = await fake.wait_for("sendMessage", count=3, chat_id=customer)
        assert "asked a manager" in tapped[-1].params["text"] and tapped[-1].params["business_connection_id"] == "bc5"
        assert len(fake.sent(None, "getBusinessConnection")) == 1  # known from then on
        assert len(on_behalf(fake, customer, "bc5")) == 3  # the edit was not answered again
