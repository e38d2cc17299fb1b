"""A partner who wants to join answers the application one question at a time (a question of their own in the
middle is answered and the open one asked again); the answers become a hot partner lead with a manager card."""

from __future__ import annotations

import httpx

from app.http import create_app
from tests.fakes.servers import serve_app
from tests.meta_support import ADMIN_TOKEN, MANAGER, admin_settings, running_admin_bot


async def test_partner_application_becomes_a_hot_partner_lead(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**admin_settings(base)) as services, running_admin_bot(services):
        async with serve_app(create_app(services)) as url, httpx.AsyncClient(base_url=url, timeout=30) as web:

            async def say(text: str) -> dict:
                body = {"session_id": "dealer-1", "text": text, "ref": "partner"}
                response = await web.post("/api/v1/chat", json=body)
                assert response.status_code == 200
                return response.json()["replies"][0]

            first = await say("Хотим стать вашим дилером в Украине")
            assert "заявку" in first["text"] and "компания" in first["text"]
            assert "регионе" in (await say("ТОВ Кава Плюс"))["text"]
            assert "продаёте" in (await say("Киев и область"))["text"]
            assert "в квартал" in (await say("Интернет-магазин и поставки в офисы"))["text"]
            aside = await say("А какая комиссия у партнёров?")
            assert "%" in aside["text"] and aside["text"].rstrip().endswith(
                "Сколько машин в квартал планируете продавать?"
            )
            done = await say("Около 10 машин в квартал")
            assert "партнёрского менеджера" in done["text"]

        lead = await services.clients.db.leads.find_one({"channel": "web"})
        assert lead["temperature"] == "hot"
        assert lead["fields"]["company"] == "ТОВ Кава Плюс" and lead["fields"]["volume"] == "Около 10 машин в квартал"
        await fake.wait_until(lambda: any("HOT" in t and "ТОВ Кава Плюс" in t for t in fake.texts(MANAGER)))
        contact = await services.clients.db.contacts.find_one({"channel": "web", "channel_user_id": "dealer-1"})
        assert contact["audience"] == "partner"


async def test_a_manager_makes_a_customer_a_partner_from_the_card(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**admin_settings(base)) as services:
        await services.media.library.add(
            b"%PDF-1.4 deck",
            kind="document",
            title="Partner presentation 2026",
            filename="deck.pdf",
            mime_type="application/pdf",
            audience="partner",
            description="Slides for resellers: the partner programme, levels, discounts and commission.",
            tags=["partners", "presentation"],
        )
        async with (
            running_admin_bot(services),
            serve_app(create_app(services)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as web,
        ):

            async def say(text: str) -> dict:
                response = await web.post("/api/v1/chat", json={"session_id": "shop-7", "text": text})
                return response.json()["replies"][0]

            await say("We need 5 Office 200 machines next week, please send an invoice")
            await fake.wait_until(lambda: any("HOT" in t for t in fake.texts(MANAGER)))
            assert (await say("Send me the partner presentation"))["media"] == []  # a buyer: refused
            card = next(c for c in fake.sent(MANAGER) if "HOT" in c.params["text"])
            rows = card.params["reply_markup"]["inline_keyboard"]
            switch = next(b["callback_data"] for row in rows for b in row if "Make a partner" in b["text"])
            await fake.inject(fake.callback_update(MANAGER, switch), token=ADMIN_TOKEN)
            await fake.wait_until(
                lambda: any(
                    c.params.get("text") == "Now a partner: partner materials are open to them."
                    for c in fake.calls
                    if c.method == "answerCallbackQuery"
                )
            )
            assert [m["kind"] for m in (await say("Send me the partner presentation"))["media"]] == ["document"]
