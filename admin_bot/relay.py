"""Last router: what a manager sends goes to the customer of the chat they handle (middleware finds it)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message

from admin_bot.teaching import propose_example
from brain.learning import LearnedAnswers
from channels.messages import MediaItem, OutboundMessage
from channels.outbox import Outbox
from channels.ownership import Ownership
from storage.records import Conversation
from storage.repositories import MessageRepository


async def _download(bot: Bot, file_id: str) -> bytes:
    data = await bot.download(file_id)
    return data.read() if data else b""


async def on_manager_message(
    message: Message,
    bot: Bot,
    handled: Conversation | None,
    outbox: Outbox,
    ownership: Ownership,
    learned: LearnedAnswers,
    messages: MessageRepository,
    manager_chat_id: int | None,
) -> None:
    assert message.from_user is not None
    if handled is None:
        where = "this chat" if manager_chat_id is not None and message.chat.id == manager_chat_id else "any chat now"
        await message.answer(f"You are not handling {where}. Tap Take over on a lead card first.")
        return
    media = []
    if message.photo:
        media.append(MediaItem("photo", data=await _download(bot, message.photo[-1].file_id), filename="photo.jpg"))
    elif message.document:
        name = message.document.file_name or "document"
        media.append(MediaItem("document", data=await _download(bot, message.document.file_id), filename=name))
    outbound = OutboundMessage(text=message.text or message.caption or "", media=media)
    delivered = await outbox.deliver(handled, outbound, sender="manager")
    await ownership.touch(handled.id)
    if delivered and outbound.text:
        await propose_example(learned, messages, handled.id, outbound.text, message.from_user.id)
    await message.answer("✓ Sent to the customer." if delivered else "⚠️ Could not deliver; see the logs.")


async def on_other(message: Message) -> None:
    await message.answer("I can relay text, photos and documents. /help lists the commands.")


def build_router() -> Router:
    router = Router(name="admin-relay")
    router.message.register(on_manager_message, F.text | F.photo | F.document)
    router.message.register(on_other)
    return router
