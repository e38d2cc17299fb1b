"""A partner who wants to join answers the application one question at a time (a question of their own in the
middle is answered and the open one asked again); the answers become a hot partner lead with a manager card."""

from __future__ import annotations

import httpx

from app.bots import build_admin_bot
from app.http import create_app
from tests.fakes.servers import serve_app
from tests.meta_support import ADMIN, ADMIN_TOKEN, MANAGER


async def test_partner_application_becomes_a_hot_partner_lead(services_factory, fake_telegram):
    fake, base = fake_telegram
    settings = {
        "admin_bot_token": ADMIN_TOKEN,
        "telegram_api_base": base,
        "manager_ids": [MANAGER],
        "admin_ids": [ADMIN],
    }
    async with services_factory(**settings) as services:
        admin = build_admin_bot(services.settings, services, None)
        assert admin is not None
        await admin.telegram.start()
        try:
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
            assert (
                lead["fields"]["company"] == "ТОВ Кава Плюс" and lead["fields"]["volume"] == "Около 10 машин в квартал"
            )
            await fake.wait_until(lambda: any("HOT" in t and "ТОВ Кава Плюс" in t for t in fake.texts(MANAGER)))
            contact = await services.clients.db.contacts.find_one({"channel": "web", "channel_user_id": "dealer-1"})
            assert contact["audience"] == "partner"
        finally:
            await admin.telegram.stop()
