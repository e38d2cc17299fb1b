"""Admin bot commands: /help, /whoami, /lang, /inbox, /leads, /lead, /export, /release."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from admin_bot.callbacks import ChooseLanguage, TakeOver
from admin_bot.cards import ICONS, CardView, card_keyboard, card_text
from admin_bot.i18n import LANGUAGE_NAMES, LANGUAGES
from admin_bot.teaching import offer_examples
from brain.learning import LearnedAnswers
from channels.lead_export import leads_csv, leads_xlsx
from channels.ownership import Ownership
from storage.leads import LeadRepository
from storage.managers import ManagerRepository
from storage.messages import MessageRepository
from storage.repositories import ContactRepository, ConversationRepository, utcnow

INBOX_LIMIT = 20


def help_text() -> str:
    return _(
        "Closer admin bot\n"
        "/inbox — chats waiting for a manager, oldest first\n"
        "/leads [hot|warm|cold] — recent leads\n/lead ID — one lead card\n/export — leads as CSV and XLSX\n"
        "/stats [day|week|month] — the numbers and charts\n"
        "/ask QUESTION — a question about the numbers, e.g. /ask hot leads from Instagram this week?\n"
        "/reply — canned replies for the chat you handle\n"
        "/release — give the chat you handle back to the bot\n/lang — the bot's language for you\n"
        "/whoami — your id and role\n"
        "/docs — knowledge documents (admins: send a PDF, DOCX, XLSX, CSV, HTML or text file to add one)\n\n"
        "Each conversation that needs you has one card, kept up to date; you are notified when you must act. "
        "While you handle a chat, whatever you send here (text, photos, documents, voice) goes to the customer. "
        "When you return the chat, I show the answers you gave so you can teach them to the bot."
    )


def returned_text() -> str:
    return _("Returned to the bot. It will pick up with the whole history.")


async def on_help(message: Message) -> None:
    await message.answer(help_text())


async def on_whoami(message: Message, is_admin: bool) -> None:
    assert message.from_user is not None
    role = _("admin") if is_admin else _("manager")
    await message.answer(_("You are {user_id}, {role}.").format(user_id=message.from_user.id, role=role))


async def on_lang(message: Message) -> None:
    buttons = [
        InlineKeyboardButton(text=LANGUAGE_NAMES[code], callback_data=ChooseLanguage(language=code).pack())
        for code in LANGUAGES
    ]
    await message.answer(_("Choose your language:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]))


async def on_language_chosen(
    query: CallbackQuery, callback_data: ChooseLanguage, managers: ManagerRepository, i18n: I18n
) -> None:
    await managers.set_language(query.from_user.id, callback_data.language)
    # This update was opened in the old language: the answer is written in the new one.
    with i18n.use_locale(callback_data.language):
        await query.answer(_("Language: English"))
        if isinstance(query.message, Message):
            await query.message.answer(help_text())


async def on_inbox(
    message: Message, conversations: ConversationRepository, contacts: ContactRepository, leads: LeadRepository
) -> None:
    waiting = await conversations.waiting_for_human(INBOX_LIMIT)
    if not waiting:
        await message.answer(_("Nobody is waiting for a manager."))
        return
    now, rows, lines = utcnow(), [], [_("Waiting for a manager, oldest first:")]
    for number, conversation in enumerate(waiting, 1):
        contact = await contacts.get(conversation.contact_id)
        lead = await leads.by_conversation(conversation.id)
        name = (contact.name if contact else None) or _("Customer")
        since = conversation.owner_changed_at or conversation.created_at or now
        minutes = max(0, int((now - since.replace(tzinfo=now.tzinfo)).total_seconds() // 60))
        icon = ICONS.get(lead.temperature, "") if lead else "💬"
        lines.append(
            _("{n}. {icon} {name} · {channel} · waiting {minutes} min").format(
                n=number, icon=icon, name=name, channel=conversation.channel, minutes=minutes
            )
        )
        label = _("Take over") + f" {number}. {name}"[:40]
        rows.append([InlineKeyboardButton(text=label, callback_data=TakeOver(conversation_id=conversation.id).pack())])
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def on_leads(message: Message, command: CommandObject, leads: LeadRepository) -> None:
    temperature = (command.args or "").strip().lower() or None
    if temperature not in (None, "hot", "warm", "cold"):
        await message.answer(_("Usage: /leads [hot|warm|cold]"))
        return
    found = await leads.list(temperature=temperature, limit=20)
    if not found:
        await message.answer(_("No leads yet."))
        return
    lines = [
        f"{ICONS[lead.temperature]} {lead.score:>3} {lead.name or '—'} · {lead.channel} · /lead {lead.id}"
        for lead in found
    ]
    await message.answer("\n".join(lines))


async def on_lead(
    message: Message,
    command: CommandObject,
    leads: LeadRepository,
    messages: MessageRepository,
    conversations: ConversationRepository,
    contacts: ContactRepository,
) -> None:
    lead = await leads.get((command.args or "").strip())
    conversation = await conversations.get(lead.conversation_id) if lead is not None else None
    if lead is None or conversation is None:
        await message.answer(_("No such lead. Usage: /lead ID (ids are in /leads)."))
        return
    view = CardView(
        conversation,
        lead,
        await contacts.get(conversation.contact_id),
        last_messages=await messages.recent(lead.conversation_id, limit=8),
    )
    await message.answer(card_text(view, _), reply_markup=card_keyboard(view, _))


async def on_export(message: Message, leads: LeadRepository) -> None:
    found = await leads.list(limit=5000)
    csv_bytes = leads_csv(found).encode("utf-8")
    xlsx_bytes = await asyncio.to_thread(leads_xlsx, found)
    caption = _("{count} leads").format(count=len(found))
    await message.answer_document(BufferedInputFile(csv_bytes, "leads.csv"), caption=caption)
    await message.answer_document(BufferedInputFile(xlsx_bytes, "leads.xlsx"))


async def on_release(message: Message, ownership: Ownership, learned: LearnedAnswers) -> None:
    assert message.from_user is not None
    conversation = await ownership.active_for(message.from_user.id)
    if conversation is None or not await ownership.release(conversation.id, message.from_user.id):
        await message.answer(_("You are not handling any chat."))
        return
    await message.answer(returned_text())
    await offer_examples(message, learned, conversation.id)


def build_router() -> Router:
    """A fresh router per dispatcher (tests and restarts build several)."""
    router = Router(name="admin-commands")
    router.message.register(on_help, Command("start", "help"))
    router.message.register(on_whoami, Command("whoami"))
    router.message.register(on_lang, Command("lang"))
    router.callback_query.register(on_language_chosen, ChooseLanguage.filter())
    router.message.register(on_inbox, Command("inbox"))
    router.message.register(on_leads, Command("leads"))
    router.message.register(on_lead, Command("lead"))
    router.message.register(on_export, Command("export"))
    router.message.register(on_release, Command("release"))
    return router
