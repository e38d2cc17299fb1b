"""Admin bot routers: commands, lead-card buttons, and the manager's relay to the customer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from admin_bot.cards import ICONS, history_text, lead_card, lead_keyboard, release_keyboard
from admin_bot.teaching import offer_examples, propose_example
from brain.knowledge.base import KnowledgeBase
from brain.reviewed import ReviewedExamples
from channels.lead_tracking import LeadTracker
from channels.messages import MediaItem, OutboundMessage
from channels.outbox import Outbox
from channels.ownership import Ownership
from storage.documents import DocumentRecord, DocumentRepository
from storage.lead_export import leads_csv, leads_xlsx
from storage.leads import LeadRepository
from storage.repositories import ConversationRepository, MessageRepository

HELP = (
    "Closer admin bot\n"
    "/leads [hot|warm|cold] — recent leads\n/lead ID — one lead card\n/export — leads as CSV and XLSX\n"
    "/release — give the chat you handle back to the bot\n/whoami — your id and role\n"
    "/docs — knowledge documents (admins: send a PDF, DOCX, XLSX, CSV, HTML or text file to add one)\n\n"
    "Hot leads arrive here with a Take over button. While you handle a chat, whatever you send here "
    "(text, photos, documents) goes to the customer. When you return the chat, I show the answers you gave "
    "so you can teach them to the bot."
)


@dataclass(slots=True)
class AdminServices:
    ownership: Ownership
    leads: LeadRepository
    tracker: LeadTracker
    messages: MessageRepository
    outbox: Outbox
    conversations: ConversationRepository
    group_chat_id: int | None = None  # the managers' forum supergroup, when configured
    knowledge: KnowledgeBase | None = None
    documents: DocumentRepository | None = None
    files_dir: Path | None = None  # uploaded originals, kept so a document can move between namespaces
    examples: ReviewedExamples | None = None  # answers given during takeovers, to teach the bot

    async def knowledge_documents(self) -> list[DocumentRecord]:
        return await self.documents.list() if self.documents is not None else []


def command_router() -> Router:
    router = Router(name="admin-commands")

    @router.message(Command("start", "help"))
    async def on_help(message: Message) -> None:
        await message.answer(HELP)

    @router.message(Command("whoami"))
    async def on_whoami(message: Message, is_admin: bool) -> None:
        assert message.from_user is not None
        await message.answer(f"You are {message.from_user.id}, {'admin' if is_admin else 'manager'}.")

    @router.message(Command("leads"))
    async def on_leads(message: Message, command: CommandObject, admin: AdminServices) -> None:
        temperature = (command.args or "").strip().lower() or None
        if temperature not in (None, "hot", "warm", "cold"):
            await message.answer("Usage: /leads [hot|warm|cold]")
            return
        leads = await admin.leads.list(temperature=temperature, limit=20)
        if not leads:
            await message.answer("No leads yet.")
            return
        lines = [
            f"{ICONS[lead.temperature]} {lead.score:>3} {lead.name or '—'} · {lead.channel} · /lead {lead.id}"
            for lead in leads
        ]
        await message.answer("\n".join(lines))

    @router.message(Command("lead"))
    async def on_lead(message: Message, command: CommandObject, admin: AdminServices) -> None:
        lead = await admin.leads.get((command.args or "").strip())
        if lead is None:
            await message.answer("No such lead. Usage: /lead ID (ids are in /leads).")
            return
        recent = await admin.messages.recent(lead.conversation_id, limit=8)
        await message.answer(lead_card(lead, recent, "Lead"), reply_markup=lead_keyboard(lead))

    @router.message(Command("export"))
    async def on_export(message: Message, admin: AdminServices) -> None:
        leads = await admin.leads.list(limit=5000)
        csv_bytes = leads_csv(leads).encode("utf-8")
        xlsx_bytes = await asyncio.to_thread(leads_xlsx, leads)
        await message.answer_document(BufferedInputFile(csv_bytes, "leads.csv"), caption=f"{len(leads)} leads")
        await message.answer_document(BufferedInputFile(xlsx_bytes, "leads.xlsx"))

    @router.message(Command("release"))
    async def on_release(message: Message, admin: AdminServices) -> None:
        assert message.from_user is not None
        conversation = await admin.ownership.active_for(message.from_user.id)
        if conversation is None or not await admin.ownership.release(conversation.id, message.from_user.id):
            await message.answer("You are not handling any chat.")
            return
        await message.answer("Returned to the bot. It will pick up with the whole history.")
        if admin.examples is not None:
            await offer_examples(message, admin.examples, conversation.id)

    return router


def button_router() -> Router:
    router = Router(name="admin-buttons")

    @router.callback_query(F.data.startswith("take:"))
    async def on_take(query: CallbackQuery, admin: AdminServices) -> None:
        conversation_id = (query.data or "").split(":", 1)[1]
        result = await admin.ownership.take_over(conversation_id, query.from_user.id)
        if not result.won:
            owner = f"manager {result.owner_id}" if result.owner_id else "nobody (it was closed)"
            await query.answer(f"Already taken by {owner}.", show_alert=True)
            return
        await query.answer("The chat is yours.")
        recent = await admin.messages.recent(conversation_id, limit=10)
        if query.message is not None:
            await query.message.answer(
                "You now handle this chat: what you send here goes to the customer.\n\n" + history_text(recent),
                reply_markup=release_keyboard(conversation_id),
            )

    @router.callback_query(F.data.startswith("mark:"))
    async def on_mark(query: CallbackQuery, admin: AdminServices) -> None:
        _, lead_id, temperature = (query.data or "::").split(":", 2)
        if temperature not in ("hot", "warm", "cold"):
            await query.answer("Unknown temperature.", show_alert=True)
            return
        lead = await admin.leads.get(lead_id)
        if lead is None:
            await query.answer("This lead no longer exists.", show_alert=True)
            return
        recent = await admin.messages.recent(lead.conversation_id, limit=10)
        last_customer = next((m.text for m in reversed(recent) if m.direction == "in" and m.text), None)
        await admin.tracker.correct(lead_id, temperature, query.from_user.id, last_customer)
        await query.answer(f"Marked {temperature}. I will learn from it.")

    @router.callback_query(F.data.startswith("hist:"))
    async def on_history(query: CallbackQuery, admin: AdminServices) -> None:
        conversation_id = (query.data or "").split(":", 1)[1]
        await query.answer()
        if query.message is not None:
            await query.message.answer(history_text(await admin.messages.recent(conversation_id, limit=30)))

    @router.callback_query(F.data.startswith("release:"))
    async def on_release(query: CallbackQuery, admin: AdminServices) -> None:
        conversation_id = (query.data or "").split(":", 1)[1]
        if await admin.ownership.release(conversation_id, query.from_user.id):
            await query.answer("Returned to the bot.")
            if isinstance(query.message, Message):
                await query.message.answer("Returned to the bot. It will pick up with the whole history.")
                if admin.examples is not None:
                    await offer_examples(query.message, admin.examples, conversation_id)
        else:
            await query.answer("You are not handling this chat.", show_alert=True)

    return router


def relay_router() -> Router:
    """Last: anything else a manager sends goes to the customer of the chat they handle."""
    router = Router(name="admin-relay")

    @router.message(F.text | F.photo | F.document)
    async def on_manager_message(message: Message, admin: AdminServices, bot: Bot) -> None:
        assert message.from_user is not None
        if admin.group_chat_id is not None and message.chat.id == admin.group_chat_id:
            # In the forum group, the topic says which conversation; only its owner speaks for us.
            topic = await admin.conversations.by_manager_topic(message.message_thread_id or 0)
            owned = topic is not None and topic.owner == "human" and topic.owner_manager_id == message.from_user.id
            conversation = topic if owned else None
        else:
            conversation = await admin.ownership.active_for(message.from_user.id)
        if conversation is None:
            in_group = admin.group_chat_id is not None and message.chat.id == admin.group_chat_id
            where = "this chat" if in_group else "any chat now"
            await message.answer(f"You are not handling {where}. Tap Take over on a lead card first.")
            return
        media = []
        if message.photo:
            data = await bot.download(message.photo[-1].file_id)
            media.append(MediaItem("photo", data=data.read() if data else b"", filename="photo.jpg"))
        elif message.document:
            data = await bot.download(message.document.file_id)
            media.append(
                MediaItem(
                    "document", data=data.read() if data else b"", filename=message.document.file_name or "document"
                )
            )
        outbound = OutboundMessage(text=message.text or message.caption or "", media=media)
        delivered = await admin.outbox.deliver(conversation, outbound, sender="manager")
        await admin.ownership.touch(conversation.id)
        if delivered and admin.examples is not None and outbound.text:
            await propose_example(admin.examples, admin.messages, conversation.id, outbound.text, message.from_user.id)
        await message.answer("✓ Sent to the customer." if delivered else "⚠️ Could not deliver; see the logs.")

    @router.message()
    async def on_other(message: Message) -> None:
        await message.answer("I can relay text, photos and documents. /help lists the commands.")

    return router
