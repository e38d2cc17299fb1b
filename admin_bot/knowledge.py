"""Admins teach the bot by sending files: one status message, edited as the work goes on."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from admin_bot.callbacks import DeleteDocument, MoveDocument
from brain.knowledge.base import KnowledgeBase
from storage.documents import DocumentRecord, DocumentRepository
from storage.records import Conversation

log = logging.getLogger(__name__)

BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses larger files on Telegram's cloud
NAMESPACES = ("kb", "partner", "faq")
EDIT_EVERY_S = 1.0  # Telegram rate-limits edits; progress is shown about once a second


def delete_button(record: DocumentRecord) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("Delete"), callback_data=DeleteDocument(document_id=record.id).pack())


def document_keyboard(record: DocumentRecord) -> InlineKeyboardMarkup:
    namespaces = [
        InlineKeyboardButton(
            text=("✓ " if ns == record.namespace else "") + ns,
            callback_data=MoveDocument(document_id=record.id, namespace=ns).pack(),  # type: ignore[arg-type]
        )
        for ns in NAMESPACES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[namespaces, [delete_button(record)]])


def stored_path(files_dir: Path, record: DocumentRecord) -> Path:
    return files_dir / f"{record.sha256}-{Path(record.name).name}"


async def edit(status: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    try:
        await status.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:  # "message is not modified" and the like: the status is already right
        log.debug("status edit skipped: %s", exc)


async def on_document(
    message: Message,
    bot: Bot,
    is_admin: bool,
    handled: Conversation | None,
    knowledge: KnowledgeBase,
    files_dir: Path,
) -> None:
    assert message.from_user is not None and message.document is not None
    if handled is not None:
        raise SkipHandler  # a manager handling a chat is sending this file to the customer
    if not is_admin:
        log.warning("document upload refused for user %s (not an admin)", message.from_user.id)
        await message.answer(_("Only admins can add documents to the knowledge base."))
        return
    document = message.document
    name = document.file_name or "document"
    if (document.file_size or 0) > BOT_API_DOWNLOAD_LIMIT:
        await message.answer(
            _(
                "{name} is larger than the 20 MB a bot may download. Put it on the server and run: closer ingest {name}"
            ).format(name=name)
        )
        return
    started = time.perf_counter()
    status = await message.answer(_("📥 Downloading {name}…").format(name=name))
    buffer = await bot.download(document.file_id)
    data = buffer.read() if buffer else b""
    await edit(status, _("🔎 Parsing {name}…").format(name=name))
    last = 0.0

    async def progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        if time.perf_counter() - last >= EDIT_EVERY_S or done == total:
            last = time.perf_counter()
            await edit(status, _("🧠 Embedding {done}/{total}…").format(done=done, total=total))

    try:
        result = await knowledge.ingest_file(name, data, uploader=str(message.from_user.id), progress=progress)
    except ValueError as exc:
        await edit(status, _("❌ Not added. {error}").format(error=exc))
        return
    await asyncio.to_thread(_save, stored_path(files_dir, result.document), data)
    seconds = time.perf_counter() - started
    if result.unchanged:
        verb = _("Already indexed, nothing changed")
    else:
        verb = _("✅ Added (version {version})").format(version=result.document.version)
    summary = _(
        "{verb}: {name}\nPages: {pages} · chunks: {chunks} · language: {language} · {seconds} s\nNamespace:"
    ).format(
        verb=verb,
        name=name,
        pages=result.pages,
        chunks=result.chunks,
        language=result.language or "?",
        seconds=f"{seconds:.1f}",
    )
    await edit(status, summary, document_keyboard(result.document))


async def on_docs(message: Message, documents: DocumentRepository) -> None:
    records = await documents.list()
    if not records:
        await message.answer(_("The knowledge base is empty. Send me a file to add one."))
        return
    for record in records[-20:]:
        await message.answer(
            f"{record.name} · {record.namespace} · v{record.version} · {record.status}"
            + " · "
            + _("{count} chunks").format(count=record.chunk_count)
            + (f"\n{record.error}" if record.error else ""),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[delete_button(record)]]),
        )


async def on_delete(
    query: CallbackQuery, callback_data: DeleteDocument, is_admin: bool, knowledge: KnowledgeBase
) -> None:
    if not is_admin:
        await query.answer(_("Only admins can delete documents."), show_alert=True)
        return
    deleted = await knowledge.delete(callback_data.document_id)
    await query.answer(_("Deleted.") if deleted else _("Already gone."))
    if query.message is not None and deleted:
        await query.message.answer(_("🗑 Deleted from the knowledge base."))


async def on_move(
    query: CallbackQuery, callback_data: MoveDocument, is_admin: bool, knowledge: KnowledgeBase, files_dir: Path
) -> None:
    """Move a document to another namespace: re-indexed from the stored original, then the old one goes."""
    if not is_admin:
        await query.answer(_("Only admins can change documents."), show_alert=True)
        return
    namespace = callback_data.namespace
    record = await knowledge.document(callback_data.document_id)
    path = stored_path(files_dir, record) if record else None
    if record is None or path is None or not path.exists():
        await query.answer(_("The original file is not stored any more; send it again."), show_alert=True)
        return
    if record.namespace == namespace:
        await query.answer(_("Already in {namespace}.").format(namespace=namespace))
        return
    data = await asyncio.to_thread(path.read_bytes)
    result = await knowledge.ingest_file(record.name, data, namespace=namespace, uploader=str(query.from_user.id))
    await knowledge.delete(record.id)
    await query.answer(_("Moved to {namespace}.").format(namespace=namespace))
    if query.message is not None:
        await query.message.answer(
            _("{name} is now in {namespace}.").format(name=record.name, namespace=namespace),
            reply_markup=document_keyboard(result.document),
        )


def build_router() -> Router:
    router = Router(name="admin-knowledge")
    router.message.register(on_document, F.document)
    router.message.register(on_docs, Command("docs"))
    router.callback_query.register(on_delete, DeleteDocument.filter())
    router.callback_query.register(on_move, MoveDocument.filter())
    return router


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
