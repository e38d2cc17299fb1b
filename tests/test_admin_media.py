"""Admins build the media catalogue from the admin bot: photos become assets, a captioned document asks what
it is, /media lists with delete buttons, an empty upload is refused."""

from __future__ import annotations

from tests.meta_support import ADMIN, ADMIN_TOKEN, MANAGER, admin_settings, running_admin_bot


def button(call, text: str) -> str:
    rows = call.params["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if text in b["text"])


async def test_admins_add_list_and_delete_assets(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**admin_settings(base)) as services, running_admin_bot(services):
        library = services.media.library
        photo_id = fake.add_file(b"\xff\xd8G64-photo", "g64.jpg")
        photo = {"photo": [{"file_id": photo_id, "file_unique_id": "g1", "width": 9, "height": 9}]}
        caption = "G64 grinder in the showroom\nFor our partners' shop windows"
        await fake.inject(fake.message_update(ADMIN, extra={**photo, "caption": caption}), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("Added to the media catalogue" in t for t, _ in fake.shown.values()))
        [asset] = await library.assets.all()
        assert (asset.kind, asset.title, asset.audience) == ("photo", "G64 grinder in the showroom", "partner")
        assert await library.assets.read(asset) == b"\xff\xd8G64-photo"

        # A captioned document: the admin says it is a sendable file (not knowledge).
        pdf_id = fake.add_file(b"%PDF-1.4 price list", "prices.pdf")
        document = {"document": {"file_id": pdf_id, "file_unique_id": "d1", "file_name": "prices.pdf"}}
        await fake.inject(
            fake.message_update(ADMIN, extra={**document, "caption": "Buyer price list 2026"}), token=ADMIN_TOKEN
        )
        question = (await fake.wait_for("sendMessage", count=2, chat_id=ADMIN))[-1]
        assert "What is prices.pdf" in question.params["text"]
        await fake.inject(fake.callback_update(ADMIN, button(question, "everyone")), token=ADMIN_TOKEN)
        await fake.inject(fake.callback_update(ADMIN, button(question, "Sendable file")), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: len([t for t, _ in fake.shown.values() if "Added to the media" in t]) == 2)
        titles = sorted(a.title for a in await library.assets.all())
        assert titles == ["Buyer price list 2026", "G64 grinder in the showroom"]
        assert "prices.pdf" not in [d.name for d in await services.repos.documents.list()]  # not knowledge

        # An empty photo is refused; the catalogue is unchanged. A manager who is not an admin cannot add.
        empty_id = fake.add_file(b"", "empty.jpg")
        empty = {"photo": [{"file_id": empty_id, "file_unique_id": "e1", "width": 1, "height": 1}]}
        await fake.inject(fake.message_update(ADMIN, extra=empty), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("Not added" in t for t, _ in fake.shown.values()))
        await fake.inject(fake.message_update(MANAGER, extra=photo), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("Only admins" in t for t in fake.texts(MANAGER)))
        assert len(await library.assets.all()) == 2

        await fake.inject(fake.message_update(ADMIN, "/media"), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("G64 grinder in the showroom" in t for t in fake.texts(ADMIN)))
        listed = next(c for c in fake.sent(ADMIN) if "G64 grinder in the showroom" in c.params["text"])
        await fake.inject(fake.callback_update(ADMIN, button(listed, "Delete")), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("Deleted from the media catalogue" in t for t, _ in fake.shown.values()))
        assert [a.title for a in await library.assets.all()] == ["Buyer price list 2026"]
