"""Managers in the Telegram admin bot take over WhatsApp and Instagram chats (text, photos and documents both
ways), answer late with HUMAN_AGENT or a template, and hear once about a rejected token; Instagram comments
become Direct conversations."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.repositories import utcnow
from tests.meta_support import (
    ADMIN,
    ADMIN_TOKEN,
    MANAGER,
    fixture,
    messenger_text,
    meta_app,
    post_signed,
    take_button,
    whatsapp_message,
)

HOT = "Хотим арендовать две Barista Pro с понедельника, выставьте счёт"


def instagram_message(igsid: str, mid: str, text: str = "", attachments: list | None = None) -> dict:
    body = fixture("instagram_text")
    event = body["entry"][0]["messaging"][0]
    event["sender"]["id"] = igsid
    event["message"] = {"mid": mid, "text": text, **({"attachments": attachments} if attachments else {})}
    return body


async def take_over(fake) -> None:
    [card] = await fake.wait_for("sendMessage", chat_id=MANAGER)
    assert "HOT" in card.params["text"]
    await fake.inject(fake.callback_update(MANAGER, take_button(card)), token=ADMIN_TOKEN)
    await fake.wait_until(lambda: any("You now handle this chat" in t for t in fake.texts(MANAGER)))


async def age_customer_messages(app, channel: str, hours: float) -> None:
    await app.services.clients.db.messages.update_many(
        {"channel": channel, "direction": "in"}, {"$set": {"created_at": utcnow() - timedelta(hours=hours)}}
    )


async def test_a_whole_takeover_on_whatsapp(services_factory, fake_telegram):
    fake, telegram_base = fake_telegram
    buyer = "380671234567"
    async with meta_app(services_factory, telegram_base) as app:
        await post_signed(app.web, "whatsapp", whatsapp_message(buyer, "wamid.H1", body=HOT))
        await take_over(fake)
        assert "+380671234567" in fake.sent(MANAGER)[0].params["text"]  # the phone WhatsApp vouches for
        answered_by_bot = len(app.graph.to(buyer))

        # The customer's photo reaches the manager as a photo; the bot stays silent.
        app.graph.add_media("wa-photo-1", b"\xff\xd8customer-photo")
        photo = whatsapp_message(buyer, "wamid.H2", "image", id="wa-photo-1", mime_type="image/jpeg", caption="Вот")
        await post_signed(app.web, "whatsapp", photo)
        [relayed] = await fake.wait_for("sendPhoto", chat_id=MANAGER)
        assert next(iter(relayed.files.values())) == b"\xff\xd8customer-photo" and "Вот" in relayed.params["caption"]

        # The manager answers with text and a document: both reach WhatsApp (the document uploaded first).
        await fake.inject(fake.message_update(MANAGER, "Добрый день! Счёт во вложении."), token=ADMIN_TOKEN)
        pdf = fake.add_file(b"%PDF-1.4 invoice", "invoice.pdf")
        document = {"document": {"file_id": pdf, "file_unique_id": "u1", "file_name": "invoice.pdf"}}
        await fake.inject(fake.message_update(MANAGER, extra=document), token=ADMIN_TOKEN)
        sent = await app.graph.wait_for(buyer, count=answered_by_bot + 2)
        assert sent[answered_by_bot]["body"]["text"]["body"] == "Добрый день! Счёт во вложении."
        doc = sent[answered_by_bot + 1]["body"]
        assert doc["type"] == "document" and doc["document"]["filename"] == "invoice.pdf"
        assert app.graph.uploads[doc["document"]["id"]] == b"%PDF-1.4 invoice"

        # A day later only a template can go: the manager is told and offered the playbook's template.
        await age_customer_messages(app, "whatsapp", 30)
        await fake.inject(fake.message_update(MANAGER, "Вы ещё здесь?"), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("only an approved template" in t for t in fake.texts(MANAGER)))
        offer = next(c for c in fake.sent(MANAGER) if "only an approved template" in c.params["text"])
        await fake.inject(fake.callback_update(MANAGER, take_button(offer)), token=ADMIN_TOKEN)
        sent = await app.graph.wait_for(buyer, count=answered_by_bot + 3)
        assert sent[-1]["body"]["template"]["name"] == "closer_follow_up"
        assert all("Вы ещё здесь?" not in t for t in app.graph.texts(buyer))


async def test_a_whole_takeover_on_instagram_with_the_human_agent_tag(services_factory, fake_telegram):
    fake, telegram_base = fake_telegram
    igsid = "IGSID-TAKE-1"
    async with meta_app(services_factory, telegram_base, meta_human_agent_tag=True) as app:
        await post_signed(app.web, "instagram", instagram_message(igsid, "mid.I1", HOT))
        await take_over(fake)
        answered_by_bot = len(app.graph.to(igsid))

        app.graph.add_media("ig-photo", b"\x89PNG-instagram-photo")
        image = [{"type": "image", "payload": {"url": f"{app.graph.base}/cdn/bytes/ig-photo"}}]
        await post_signed(app.web, "instagram", instagram_message(igsid, "mid.I2", attachments=image))
        [relayed] = await fake.wait_for("sendPhoto", chat_id=MANAGER)
        assert next(iter(relayed.files.values())) == b"\x89PNG-instagram-photo"
        # An attachment whose link no longer works: the words still reach the manager.
        gone = [{"type": "image", "payload": {"url": f"{app.graph.base}/expired/link"}}]
        await post_signed(app.web, "instagram", instagram_message(igsid, "mid.I3", "И ещё вот это", gone))
        await fake.wait_until(
            lambda: any("could not be fetched" in t and "И ещё вот это" in t for t in fake.texts(MANAGER))
        )

        photo = fake.add_file(b"\xff\xd8manager-photo", "photo.jpg")
        extra = {"photo": [{"file_id": photo, "file_unique_id": "p1", "width": 10, "height": 10}]}
        await fake.inject(fake.message_update(MANAGER, extra={**extra, "caption": "Вот модель"}), token=ADMIN_TOKEN)
        sent = await app.graph.wait_for(igsid, count=answered_by_bot + 2)
        upload = sent[answered_by_bot]
        assert upload["files"]["filedata"] == b"\xff\xd8manager-photo"
        assert upload["body"]["message"]["attachment"]["type"] == "image"
        assert sent[answered_by_bot + 1]["body"]["message"]["text"] == "Вот модель"

        # Three days later the manager's reply still goes, tagged HUMAN_AGENT; the bot's would not.
        await age_customer_messages(app, "instagram", 72)
        await fake.inject(fake.message_update(MANAGER, "Напоминаю о предложении"), token=ADMIN_TOKEN)
        sent = await app.graph.wait_for(igsid, count=answered_by_bot + 3)
        assert sent[-1]["body"]["messaging_type"] == "MESSAGE_TAG" and sent[-1]["body"]["tag"] == "HUMAN_AGENT"


async def test_without_the_tag_a_late_messenger_reply_is_refused_and_the_manager_told(services_factory, fake_telegram):
    fake, telegram_base = fake_telegram
    psid = "PSID-LATE-1"
    async with meta_app(services_factory, telegram_base) as app:
        body = instagram_message(psid, "mid.L1", HOT)
        body["object"] = "page"
        await post_signed(app.web, "messenger", body)
        await take_over(fake)
        before = len(app.graph.to(psid))
        await age_customer_messages(app, "messenger", 30)
        await fake.inject(fake.message_update(MANAGER, "Вы тут?"), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("accepts no messages now" in t for t in fake.texts(MANAGER)))
        assert len(app.graph.to(psid)) == before


async def test_a_rejected_token_alerts_the_admins_once(services_factory, fake_telegram):
    fake, telegram_base = fake_telegram
    async with meta_app(services_factory, telegram_base) as app:
        for n in range(2):
            app.graph.fail(190, 463, status=401)
            await post_signed(app.web, "messenger", messenger_text(f"PSID-TOKEN-{n}", f"mid.K{n}", "Hello"))
        await fake.wait_until(lambda: any("access token" in t for t in fake.texts(ADMIN)))
        await asyncio.sleep(1.0)
        alerts = [t for t in fake.texts(ADMIN) if "access token" in t]
        assert len(alerts) == 1 and "messenger" in alerts[0] and "page-token" not in alerts[0]


async def test_an_instagram_comment_becomes_a_direct_conversation(services_factory):
    async with meta_app(services_factory) as app:
        comment = fixture("instagram_comment")  # "Ціна на Office 200?"
        author = comment["entry"][0]["changes"][0]["value"]["from"]["id"]
        comment_id = comment["entry"][0]["changes"][0]["value"]["id"]
        assert (await post_signed(app.web, "instagram", comment)).status_code == 200
        private = await app.graph.wait_for(f"comment:{comment_id}")
        assert "Дякуємо за коментар" in private[0]["body"]["message"]["text"]  # in the commenter's language
        public = await app.graph.wait_for(f"public:{comment_id}")
        assert public[0]["body"]["message"].startswith("Надіслали")
        # Meta notifies twice for boosted posts: still one reply.
        assert (await post_signed(app.web, "instagram", comment)).status_code == 200
        await asyncio.sleep(0.3)
        assert len(app.graph.to(f"comment:{comment_id}")) == 1

        # A comment that asks nothing gets nothing; the business's own reply is not answered.
        quiet = fixture("instagram_comment")
        quiet["entry"][0]["changes"][0]["value"].update(id="17800000000000001", text="Гарне фото 😍")
        own = fixture("instagram_comment")
        own["entry"][0]["changes"][0]["value"].update(id="17800000000000002", text="Ціна?")
        own["entry"][0]["changes"][0]["value"]["from"]["id"] = own["entry"][0]["id"]
        for body in (quiet, own):
            assert (await post_signed(app.web, "instagram", body)).status_code == 200
        await asyncio.sleep(0.3)
        assert {s["recipient"] for s in app.graph.sent} == {f"comment:{comment_id}", f"public:{comment_id}"}

        # The commenter answers in Direct: the same conversation, answered by the hub like any other.
        await post_signed(app.web, "instagram", instagram_message(author, "mid.CM1", "А доставка в Київ є?"))
        [answer] = await app.graph.wait_for(author)
        assert answer["body"]["messaging_type"] == "RESPONSE"
        db = app.services.clients.db
        conversation = await db.conversations.find_one({"channel": "instagram", "channel_user_id": author})
        history = [m["status"] async for m in db.messages.find({"conversation_id": str(conversation["_id"])})]
        assert history[:2] == ["comment", "sent"] and len(history) == 4
