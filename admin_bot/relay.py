"""Last router: what a manager sends goes to the customer of the chat they handle (middleware finds it),
and `/reply` offers the playbook's canned replies for that chat."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from admin_bot.callbacks import CannedReply, SendTemplate
from admin_bot.handled import handled_from_button, send_to_customer
from admin_bot.reply_window import on_send_template, window_closed
from admin_bot.teaching import propose_example
from brain.learning import LearnedAnswers
from brain.playbook import Playbook
from channels.messages import MediaItem, OutboundMessage
from channels.outbox import Outbox
from channels.ownership import Ownership
from storage.messages import MessageRepository
from storage.records import Conversation
from storage.repositories import ConversationRepository


async def _download(bot: Bot, file_id: str) -> bytes:
    data = await bot.download(file_id)
    return data.read() if data else b""


def _not_handling(message: Message, manager_chat_id: int | None) -> str:
    if manager_chat_id is not None and message.chat.id == manager_chat_id:
        return _("You are not handling this chat. Tap Take over on its card first.")
    return _("You are not handling any chat now. Tap Take over on a card first.")


def _sent_text(delivered: bool) -> str:
    return _("✓ Sent to the customer.") if delivered else _("⚠️ Could not deliver; see the logs.")


async def on_manager_message(
    message: Message,
    bot: Bot,
    handled: Conversation | None,
    outbox: Outbox,
    ownership: Ownership,
    learned: LearnedAnswers,
    messages: MessageRepository,
    manager_chat_id: int | None,
    playbook: Callable[[], Playbook],
) -> None:
    assert message.from_user is not None
    if handled is None:
        await message.answer(_not_handling(message, manager_chat_id))
        return
    if await window_closed(message, handled, outbox, playbook()):
        return
    media = []
    if message.photo:
        media.append(MediaItem("photo", data=await _download(bot, message.photo[-1].file_id), filename="photo.jpg"))
    elif message.document:
        name = message.document.file_name or "document"
        media.append(MediaItem("document", data=await _download(bot, message.document.file_id), filename=name))
    outbound = OutboundMessage(text=message.text or message.caption or "", media=media)
    delivered = await send_to_customer(outbox, ownership, handled, outbound)
    if delivered and outbound.text:
        await propose_example(learned, messages, handled.id, outbound.text, message.from_user.id)
    await message.answer(_sent_text(delivered))


async def on_reply_command(
    message: Message, handled: Conversation | None, playbook: Callable[[], Playbook], manager_chat_id: int | None
) -> None:
    if handled is None:
        await message.answer(_not_handling(message, manager_chat_id))
        return
    replies = playbook().canned_replies
    if not replies:
        await message.answer(_("The playbook has no canned replies (section canned_replies)."))
        return
    rows = [
        [
            InlineKeyboardButton(
                text=r.title[:60], callback_data=CannedReply(conversation_id=handled.id, reply_id=r.id).pack()
            )
        ]
        for r in replies
    ]
    await message.answer(_("Send a ready reply:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def on_canned_reply(
    query: CallbackQuery,
    callback_data: CannedReply,
    ownership: Ownership,
    outbox: Outbox,
    conversations: ConversationRepository,
    playbook: Callable[[], Playbook],
) -> None:
    handled = await handled_from_button(query, conversations, callback_data.conversation_id)
    current = playbook()
    reply = current.canned_reply(callback_data.reply_id)
    if handled is None:
        return
    if reply is None:
        await query.answer(_("You are not handling any chat now. Tap Take over on a card first."), show_alert=True)
        return
    if isinstance(query.message, Message) and await window_closed(query.message, handled, outbox, current):
        await query.answer()
        return
    text = current.localized(reply.text, handled.language)
    delivered = await send_to_customer(outbox, ownership, handled, OutboundMessage(text=text))
    await query.answer(_sent_text(delivered))
    if isinstance(query.message, Message):
        await query.message.answer(f"{_sent_text(delivered)}\n\n{text}")


async def on_other(message: Message) -> None:
    await message.answer(_("I can relay text, photos and documents. /help lists the commands."))


def build_router() -> Router:
    router = Router(name="admin-relay")
    router.message.register(on_reply_command, Command("reply"))
    router.callback_query.register(on_canned_reply, CannedReply.filter())
    router.callback_query.register(on_send_template, SendTemplate.filter())
    router.message.register(on_manager_message, F.text | F.photo | F.document)
    router.message.register(on_other)
    return router
