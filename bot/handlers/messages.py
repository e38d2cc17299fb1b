"""Every customer message and button tap goes through the hub; the bot shows `typing…` meanwhile."""

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.chat_action import ChatActionSender

from channels.hub import Hub
from channels.telegram import inbound_from_callback, inbound_from_message


async def on_button(query: CallbackQuery, hub: Hub, bot: Bot) -> None:
    await query.answer()
    chat_id = query.message.chat.id if query.message else query.from_user.id
    async with ChatActionSender.typing(bot=bot, chat_id=chat_id):
        await hub.handle(inbound_from_callback(query))


async def on_message(message: Message, hub: Hub, bot: Bot) -> None:
    async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
        await hub.handle(inbound_from_message(message))


def build_router() -> Router:
    router = Router(name="messages")
    router.callback_query.register(on_button, F.data)
    # Catch-all: text, photos, stickers, voice... Unsupported kinds get the playbook's polite reply.
    router.message.register(on_message)
    return router
