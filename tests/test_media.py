"""The media catalogue: assets found by meaning and sent per channel (Telegram by cached file_id, the web chat
by a signed link, WhatsApp by upload), never to the wrong audience; bad input refused."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import httpx
import pytest

from app.bots import build_customer_bot
from app.http import create_app
from channels import media_delivery
from storage.media_assets import InvalidAsset
from tests.fakes.servers import serve_app
from tests.meta_support import meta_app, post_signed, whatsapp_message

PDF = b"%PDF-1.4 partner deck " + b"x" * 2000
VIDEO = b"\x00\x00\x00\x18ftypmp4 installation" + b"v" * 3000
CUSTOMER_TOKEN = "111111:customer-bot-token-for-the-local-server"


async def add_catalogue(services) -> dict[str, str]:
    library = services.media.library
    deck = await library.add(
        PDF,
        kind="document",
        title="Partner presentation 2026",
        filename="partner-deck.pdf",
        mime_type="application/pdf",
        audience="partner",
        description="Slides for resellers: the partner programme, levels, discounts and commission.",
        tags=["partners", "presentation", "презентация", "дилери"],
    )
    video = await library.add(
        VIDEO,
        kind="video",
        title="How we install a coffee machine",
        filename="install.mp4",
        mime_type="video/mp4",
        audience="buyer",
        description="A video of the installation at a customer's office: water, power, what to prepare.",
        tags=["installation", "установка", "монтаж", "video"],
    )
    return {"deck": deck.id, "video": video.id}


async def file_ids_become(services, asset_id: str, expected: list[str]) -> None:
    """The bot stores the file_id once Telegram's answer is back (just after the fake recorded the call)."""
    for _ in range(50):
        if list((await services.media.library.assets.get(asset_id)).file_ids.values()) == expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"file_ids never became {expected}")


@asynccontextmanager
async def web_app(services_factory, **overrides):
    async with services_factory(**overrides) as services:
        ids = await add_catalogue(services)
        async with serve_app(create_app(services)) as base, httpx.AsyncClient(base_url=base, timeout=30) as web:
            yield web, services, ids


async def chat(web, session: str, text: str, **extra) -> dict:
    response = await web.post("/api/v1/chat", json={"session_id": session, "text": text, **extra})
    assert response.status_code == 200, response.text
    return response.json()["replies"][0]


async def test_web_chat_sends_a_signed_link_and_refuses_partner_files_to_buyers(services_factory):
    async with web_app(services_factory) as (web, services, ids):
        reply = await chat(web, "buyer-1", "Do you have a video of how the machine gets installed?")
        [media] = reply["media"]
        assert media["kind"] == "video" and "install" in reply["text"].lower()
        file = await web.get(media["url"])
        assert file.status_code == 200 and file.content == VIDEO
        assert (await web.get(media["url"].replace("sig=", "sig=0"))).status_code == 403  # forged
        assert (await web.get(f"/media/{ids['video']}?exp={int(time.time()) + 99}&sig=abc")).status_code == 403
        expired = services.media.links._sign(ids["video"], int(time.time()) - 5)
        assert (await web.get(f"/media/{ids['video']}?exp={int(time.time()) - 5}&sig={expired}")).status_code == 403

        refused = await chat(web, "buyer-1", "Send me the partner presentation with the dealer discounts")
        assert refused["media"] == [] and "partners only" in refused["text"]

        partner = await chat(web, "partner-1", "Send me the partner presentation please", ref="partner")
        assert [m["kind"] for m in partner["media"]] == ["document"]
        contact = await services.clients.db.contacts.find_one({"channel": "web", "channel_user_id": "partner-1"})
        assert contact["audience"] == "partner"

        # A deleted asset: its old link is gone, and it is no longer offered.
        assert await services.media.library.delete(ids["video"])
        assert (await web.get(media["url"])).status_code == 404
        again = await chat(web, "buyer-2", "Do you have a video of how the machine gets installed?")
        assert again["media"] == []


async def test_several_close_assets_are_offered_as_buttons(services_factory):
    async with web_app(services_factory) as (web, services, ids):
        second = await services.media.library.add(
            VIDEO,
            kind="video",
            title="How we install a coffee machine (short cut)",
            filename="install-short.mp4",
            mime_type="video/mp4",
            audience="buyer",
            description="A video of the installation at a customer's office: water, power, what to prepare.",
            tags=["installation", "установка", "монтаж", "video"],
        )
        reply = await chat(web, "buyer-3", "Do you have a video of how the machine gets installed?")
        assert reply["media"] == [] and len(reply["buttons"]) == 2
        chosen = next(b for b in reply["buttons"] if "short cut" in b["title"])
        assert chosen["payload"] == f"asset:{second.id}"
        picked = await chat(web, "buyer-3", "", payload=chosen["payload"])
        assert [m["title"] for m in picked["media"]] == [second.title]
        # A forged button for a partner-only asset sends nothing.
        forged = await chat(web, "buyer-3", "", payload=f"asset:{ids['deck']}")
        assert forged["media"] == [] and "partners only" in forged["text"]


async def test_bad_uploads_are_refused_and_the_catalogue_is_unchanged(services_factory):
    async with services_factory() as services:
        library = services.media.library
        for bad in (
            dict(data=b"", kind="document", title="Empty"),
            dict(data=b"x", kind="spreadsheet", title="Odd kind"),
            dict(data=b"x", kind="photo", title="   "),
        ):
            with pytest.raises(InvalidAsset):
                await library.add(bad.pop("data"), filename="f.bin", mime_type="x/y", **bad)
        with pytest.raises(InvalidAsset):
            await library.add(b"x", kind="photo", title="t", filename="a.jpg", mime_type="image/jpeg", audience="vip")
        assert await library.assets.all() == []
        media_dir = services.settings.data_dir / "media"
        assert not media_dir.exists() or not any(media_dir.iterdir())


async def test_telegram_uploads_once_then_sends_by_file_id_and_reuploads_a_rejected_one(
    services_factory, fake_telegram
):
    fake, base = fake_telegram
    async with services_factory(telegram_bot_token=CUSTOMER_TOKEN, telegram_api_base=base) as services:
        ids = await add_catalogue(services)
        bot = build_customer_bot(services.settings, services)
        assert bot is not None
        await bot.start()
        try:
            await fake.inject(fake.message_update(8101, "/start partner"), token=CUSTOMER_TOKEN)
            await fake.wait_for("sendMessage", chat_id=8101)
            await fake.inject(fake.message_update(8101, "Пришлите презентацию для партнёров"), token=CUSTOMER_TOKEN)
            [first] = await fake.wait_for("sendDocument", chat_id=8101)
            assert next(iter(first.files.values())) == PDF and first.params["caption"].startswith("Отправляю")
            await file_ids_become(services, ids["deck"], [first.result["document"]["file_id"]])

            await fake.inject(fake.message_update(8101, "И ещё раз презентацию для партнёров"), token=CUSTOMER_TOKEN)
            sent = await fake.wait_for("sendDocument", count=2, chat_id=8101)
            assert sent[1].files == {} and sent[1].params["document"] == first.result["document"]["file_id"]

            fake.forgotten.add(first.result["document"]["file_id"])  # Telegram no longer knows it
            await fake.inject(
                fake.message_update(8101, "Пришлите ещё раз партнёрскую презентацию"), token=CUSTOMER_TOKEN
            )
            sent = await fake.wait_for("sendDocument", count=4, chat_id=8101)  # refused, then uploaded again
            assert next(iter(sent[3].files.values())) == PDF
            await file_ids_become(services, ids["deck"], [sent[3].result["document"]["file_id"]])

            # A buyer (no partner link) asking for it gets a polite no and no file.
            await fake.inject(fake.message_update(8102, "Пришлите презентацию для партнёров"), token=CUSTOMER_TOKEN)
            [answer] = await fake.wait_for("sendMessage", chat_id=8102)
            assert "только для наших партнёров" in answer.params["text"]
            await asyncio.sleep(0.3)
            assert fake.sent(8102, "sendDocument") == []
        finally:
            await bot.stop()


async def test_whatsapp_gets_the_file_uploaded_and_a_link_when_it_is_too_big(
    services_factory, monkeypatch: pytest.MonkeyPatch
):
    async with meta_app(services_factory, public_base_url="https://closer.example") as app:
        await add_catalogue(app.services)
        ask = whatsapp_message("380507770001", "wamid.M1", body="Є відео, як встановлюють кавомашину?")
        await post_signed(app.web, "whatsapp", ask)
        [sent] = await app.graph.wait_for("380507770001")
        assert sent["body"]["type"] == "video" and sent["body"]["video"]["link"].startswith(
            "https://closer.example/media/"
        )

        monkeypatch.setitem(media_delivery.LIMITS, "whatsapp", {"video": 1000, "*": 1000})
        again = whatsapp_message("380507770002", "wamid.M2", body="Є відео, як встановлюють кавомашину?")
        await post_signed(app.web, "whatsapp", again)
        [link] = await app.graph.wait_for("380507770002")
        assert link["body"]["type"] == "text" and "https://closer.example/media/" in link["body"]["text"]["body"]


async def test_without_a_public_address_meta_channels_get_the_bytes(services_factory):
    async with meta_app(services_factory) as app:
        await add_catalogue(app.services)
        await post_signed(
            app.web,
            "whatsapp",
            whatsapp_message("380507770003", "wamid.M3", body="Є відео, як встановлюють кавомашину?"),
        )
        [sent] = await app.graph.wait_for("380507770003")
        assert sent["body"]["type"] == "video" and app.graph.uploads[sent["body"]["video"]["id"]] == VIDEO
