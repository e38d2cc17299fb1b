"""Admin bot commands: /help, /whoami, /leads, /lead, /export, /release."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from admin_bot.cards import ICONS, lead_card, lead_keyboard
from admin_bot.teaching import offer_examples
from brain.learning import LearnedAnswers
from channels.ownership import Ownership
from storage.lead_export import leads_csv, leads_xlsx
from storage.leads import LeadRepository
from storage.repositories import MessageRepository

HELP = (
    "Closer admin bot\n"
    "/leads [hot|warm|cold] — recent leads\n/lead ID — one lead card\n/export — leads as CSV and XLSX\n"
    "/release — give the chat you handle back to the bot\n/whoami — your id and role\n"
    "/docs — knowledge documents (admins: send a PDF, DOCX, XLSX, CSV, HTML or text file to add one)\n\n"
    "Hot leads arrive here with a Take over button. While you handle a chat, whatever you send here "
    "(text, photos, documents) goes to the customer. When you return the chat, I show the answers you gave "
    "so you can teach them to the bot."
)
RETURNED = "Returned to the bot. It will pick up with the whole history."


async def on_help(message: Message) -> None:
    await message.answer(HELP)


async def on_whoami(message: Message, is_admin: bool) -> None:
    assert message.from_user is not None
    await message.answer(f"You are {message.from_user.id}, {'admin' if is_admin else 'manager'}.")


async def on_leads(message: Message, command: CommandObject, leads: LeadRepository) -> None:
    temperature = (command.args or "").strip().lower() or None
    if temperature not in (None, "hot", "warm", "cold"):
        await message.answer("Usage: /leads [hot|warm|cold]")
        return
    found = await leads.list(temperature=temperature, limit=20)
    if not found:
        await message.answer("No leads yet.")
        return
    lines = [
        f"{ICONS[lead.temperature]} {lead.score:>3} {lead.name or '—'} · {lead.channel} · /lead {lead.id}"
        for lead in found
    ]
    await message.answer("\n".join(lines))


async def on_lead(message: Message, command: CommandObject, leads: LeadRepository, messages: MessageRepository) -> None:
    lead = await leads.get((command.args or "").strip())
    if lead is None:
        await message.answer("No such lead. Usage: /lead ID (ids are in /leads).")
        return
    recent = await messages.recent(lead.conversation_id, limit=8)
    await message.answer(lead_card(lead, recent, "Lead"), reply_markup=lead_keyboard(lead))


async def on_export(message: Message, leads: LeadRepository) -> None:
    found = await leads.list(limit=5000)
    csv_bytes = leads_csv(found).encode("utf-8")
    xlsx_bytes = await asyncio.to_thread(leads_xlsx, found)
    await message.answer_document(BufferedInputFile(csv_bytes, "leads.csv"), caption=f"{len(found)} leads")
    await message.answer_document(BufferedInputFile(xlsx_bytes, "leads.xlsx"))


async def on_release(message: Message, ownership: Ownership, learned: LearnedAnswers) -> None:
    assert message.from_user is not None
    conversation = await ownership.active_for(message.from_user.id)
    if conversation is None or not await ownership.release(conversation.id, message.from_user.id):
        await message.answer("You are not handling any chat.")
        return
    await message.answer(RETURNED)
    await offer_examples(message, learned, conversation.id)


def build_router() -> Router:
    """A fresh router per dispatcher (tests and restarts build several)."""
    router = Router(name="admin-commands")
    router.message.register(on_help, Command("start", "help"))
    router.message.register(on_whoami, Command("whoami"))
    router.message.register(on_leads, Command("leads"))
    router.message.register(on_lead, Command("lead"))
    router.message.register(on_export, Command("export"))
    router.message.register(on_release, Command("release"))
    return router
