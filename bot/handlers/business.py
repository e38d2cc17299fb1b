"""The sellers' business chats: connections, customers' messages and button taps (to the pipeline, as
channel `telegram_business`), the owner's own messages (a takeover), edits and deletions."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.types import BusinessConnection, BusinessMessagesDeleted, CallbackQuery, Message

from bot.adapter import ReplyButton, inbound_from_callback, inbound_from_message
from bot.business import CHANNEL, BusinessChats, chat_key, show_typing
from channels.messages import Inbound

log = logging.getLogger(__name__)


async def on_connection(connection: BusinessConnection, business: BusinessChats) -> None:
    await business.connected(connection)


async def on_message(message: Message, business: BusinessChats, inbound: Inbound, bot: Bot) -> None:
    if message.sender_business_bot is not None or message.from_user is None or not message.business_connection_id:
        # What a bot (this one) sent on the owner's behalf comes back as an update: not the owner's own words.
        return
    record = await business.connection(bot, message.business_connection_id)
    if message.from_user.id == record.owner_id:
        await business.owner_wrote(record, message)
        return
    await show_typing(bot, record, message.chat.id)
    key = chat_key(record.owner_id, message.chat.id)
    await inbound.handle(inbound_from_message(message, channel=CHANNEL, chat_key=key))


async def on_edited(message: Message) -> None:
    """An edit is not a new question: the stored message and its answer stand (nothing is answered twice)."""
    log.debug("business message %s in chat %s edited; not answered again", message.message_id, message.chat.id)


async def on_deleted(deleted: BusinessMessagesDeleted, business: BusinessChats, bot: Bot) -> None:
    record = await business.connection(bot, deleted.business_connection_id)
    marked = await business.deleted(record, deleted.chat.id, deleted.message_ids)
    log.info("business chat %s: %d of %d deleted messages marked", deleted.chat.id, marked, len(deleted.message_ids))


async def on_button(
    query: CallbackQuery, callback_data: ReplyButton, business: BusinessChats, inbound: Inbound, bot: Bot
) -> None:
    await query.answer()
    message = query.message
    if not isinstance(message, Message) or not message.business_connection_id:
        return
    record = await business.connection(bot, message.business_connection_id)
    if query.from_user.id == record.owner_id:
        return  # the seller tapped a button under the bot's reply in their own chat: not the customer's choice
    await show_typing(bot, record, message.chat.id)
    key = chat_key(record.owner_id, message.chat.id)
    await inbound.handle(inbound_from_callback(query, callback_data.payload, channel=CHANNEL, chat_key=key))


async def on_stale_button(query: CallbackQuery) -> None:
    """Data no handler understands under a business message: answered, never taken for the bot's own chat."""
    await query.answer()


def build_router() -> Router:
    router = Router(name="business")
    router.business_connection.register(on_connection)
    router.business_message.register(on_message)
    router.edited_business_message.register(on_edited)
    router.deleted_business_messages.register(on_deleted)
    in_business_chat = F.message.business_connection_id
    router.callback_query.register(on_button, ReplyButton.filter(), in_business_chat)
    router.callback_query.register(on_stale_button, in_business_chat)
    return router
