"""Knowledge-change replay: a new version of a document an admin uploads is staged, the recent questions
answered from it are replayed against it, the admin sees what changes, and only Publish makes it live;
Discard keeps the old version serving."""

from __future__ import annotations

from tests.fakes.telegram_api import FakeTelegram
from tests.test_sales_loop import ADMIN_TOKEN, CUSTOMER_TOKEN, bots, loop_settings

ADMIN, BUYER = 9200, 7210
QUESTION = "What is the minimum leasing term for start-ups?"


def leasing(months: int) -> bytes:
    return f"# BrewPoint leasing\n\nBrewPoint leasing for start-ups requires a {months} month minimum term.\n".encode()


async def upload(fake: FakeTelegram, data: bytes, done: str) -> str:
    """The admin sends the file; waits for the status message to say `done`; returns its text."""
    file_id = fake.add_file(data, "leasing.md")
    document = {
        "document": {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": "leasing.md",
            "mime_type": "text/markdown",
            "file_size": len(data),
        }
    }
    before = len(fake.sent(ADMIN, "editMessageText"))
    await fake.inject(fake.message_update(ADMIN, None, extra=document), token=ADMIN_TOKEN)
    await fake.wait_until(
        lambda: any(done in c.params.get("text", "") for c in fake.sent(ADMIN, "editMessageText")[before:])
    )
    return [c for c in fake.sent(ADMIN, "editMessageText")[before:] if done in c.params["text"]][-1]


async def ask(fake: FakeTelegram, count: int) -> str:
    await fake.inject(fake.message_update(BUYER, QUESTION), token=CUSTOMER_TOKEN)
    return (await fake.wait_for("sendMessage", count=count, chat_id=BUYER))[-1].params["text"]


def edits(fake: FakeTelegram) -> list[str]:
    return [c.params.get("text", "") for c in fake.sent(ADMIN, "editMessageText")]


def buttons(call) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row}


async def test_a_new_version_is_replayed_and_only_publish_makes_it_live(services_factory, fake_telegram):
    fake, base = fake_telegram
    async with services_factory(**loop_settings(base), admin_ids=[ADMIN]) as services, bots(services):
        await upload(fake, leasing(6), "Added (version 1)")  # a first version goes live at once
        assert "6 month minimum" in await ask(fake, 1)

        staged = await upload(fake, leasing(12), "would get a different answer")
        text = staged.params["text"]
        assert "of 1 recent questions answered from it, 1 would get a different answer" in text
        assert QUESTION in text and "Before: " in text and "6 month minimum" in text and "12 month minimum" in text
        assert "6 month minimum" in await ask(fake, 2)  # staged: customers still get the serving version

        await fake.inject(fake.callback_update(ADMIN, buttons(staged)["🗑 Discard"]), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("Discarded" in t for t in edits(fake)))
        assert "6 month minimum" in await ask(fake, 3)
        await fake.inject(fake.callback_update(ADMIN, buttons(staged)["✅ Publish"]), token=ADMIN_TOKEN)
        [*_, late] = await fake.wait_for("answerCallbackQuery", count=2)
        assert late.params["text"] == "Already decided."  # a discarded version cannot be published

        staged = await upload(fake, leasing(12), "would get a different answer")
        await fake.inject(fake.callback_update(ADMIN, buttons(staged)["✅ Publish"]), token=ADMIN_TOKEN)
        await fake.wait_until(lambda: any("✅ Published" in t for t in edits(fake)))
        await fake.inject(fake.callback_update(ADMIN, buttons(staged)["✅ Publish"]), token=ADMIN_TOKEN)  # again
        [*_, twice] = await fake.wait_for("answerCallbackQuery", count=4)
        assert twice.params["text"] == "Already decided."
        assert "12 month minimum" in await ask(fake, 4)  # published once, and still answering
        serving = [d for d in await services.repos.documents.list() if d.name == "leasing.md"]
        assert [(d.status, d.version) for d in serving] == [("ready", 2)]
