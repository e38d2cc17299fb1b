"""Every customer message and button tap goes to the inbound pipeline; the bot shows `typing…` meanwhile."""

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.chat_action import ChatActionSender

from bot.adapter import ReplyButton, inbound_from_callback, inbound_from_message
from channels.messages import Inbound


async def _tapped(query: CallbackQuery, payload: str, inbound: Inbound, bot: Bot) -> None:
    await query.answer()
    chat_id = query.message.chat.id if query.message else query.from_user.id
    async with ChatActionSender.typing(bot=bot, chat_id=chat_id):
        await inbound.handle(inbound_from_callback(query, payload))


async def on_button(query: CallbackQuery, callback_data: ReplyButton, inbound: Inbound, bot: Bot) -> None:
    await _tapped(query, callback_data.payload, inbound, bot)


async def on_legacy_button(query: CallbackQuery, inbound: Inbound, bot: Bot) -> None:
    """Buttons sent before callback data was typed carry the bare payload; they keep working."""
    await _tapped(query, query.data or "", inbound, bot)


async def on_message(message: Message, inbound: Inbound, bot: Bot) -> None:
    async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
        await inbound.handle(inbound_from_message(message))


def build_router() -> Router:
    router = Router(name="messages")
    router.callback_query.register(on_button, ReplyButton.filter())
    router.callback_query.register(on_legacy_button, F.data)
    # Catch-all: text, photos, stickers, voice... Unsupported kinds get the playbook's polite reply.
    router.message.register(on_message)
    return router
