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

from admin_bot.handlers import AdminServices
from storage.documents import DocumentRecord

log = logging.getLogger(__name__)

BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses larger files on Telegram's cloud
NAMESPACES = ("kb", "partner", "faq")
EDIT_EVERY_S = 1.0  # Telegram rate-limits edits; progress is shown about once a second


def document_keyboard(record: DocumentRecord) -> InlineKeyboardMarkup:
    namespaces = [
        InlineKeyboardButton(text=("✓ " if ns == record.namespace else "") + ns, callback_data=f"ns:{record.id}:{ns}")
        for ns in NAMESPACES
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[namespaces, [InlineKeyboardButton(text="Delete", callback_data=f"del:{record.id}")]]
    )


def stored_path(files_dir: Path, record: DocumentRecord) -> Path:
    return files_dir / f"{record.sha256}-{Path(record.name).name}"


async def edit(status: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    try:
        await status.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:  # "message is not modified" and the like: the status is already right
        log.debug("status edit skipped: %s", exc)


def knowledge_router() -> Router:
    router = Router(name="admin-knowledge")

    @router.message(F.document)
    async def on_document(message: Message, admin: AdminServices, bot: Bot, is_admin: bool) -> None:
        assert message.from_user is not None and message.document is not None
        if await admin.ownership.active_for(message.from_user.id) is not None:
            raise SkipHandler  # a manager handling a chat is sending this file to the customer
        if not is_admin or admin.knowledge is None or admin.files_dir is None:
            log.warning("document upload refused for user %s (not an admin)", message.from_user.id)
            await message.answer("Only admins can add documents to the knowledge base.")
            return
        document = message.document
        name = document.file_name or "document"
        if (document.file_size or 0) > BOT_API_DOWNLOAD_LIMIT:
            await message.answer(
                f"{name} is larger than the 20 MB a bot may download. "
                f"Put it on the server and run: closer ingest {name}"
            )
            return
        started = time.perf_counter()
        status = await message.answer(f"📥 Downloading {name}…")
        buffer = await bot.download(document.file_id)
        data = buffer.read() if buffer else b""
        await edit(status, f"🔎 Parsing {name}…")
        last = 0.0

        async def progress(stage: str, done: int, total: int) -> None:
            nonlocal last
            if time.perf_counter() - last >= EDIT_EVERY_S or done == total:
                last = time.perf_counter()
                await edit(status, f"🧠 Embedding {done}/{total}…")

        try:
            result = await admin.knowledge.ingest_file(
                name, data, uploader=str(message.from_user.id), progress=progress
            )
        except ValueError as exc:
            await edit(status, f"❌ Not added. {exc}")
            return
        path = stored_path(admin.files_dir, result.document)
        await asyncio.to_thread(_save, path, data)
        seconds = time.perf_counter() - started
        verb = (
            "Already indexed, nothing changed" if result.unchanged else f"✅ Added (version {result.document.version})"
        )
        summary = (
            f"{verb}: {name}\nPages: {result.pages} · chunks: {result.chunks} · language: {result.language or '?'}"
            f" · {seconds:.1f} s\nNamespace:"
        )
        await edit(status, summary, document_keyboard(result.document))

    @router.message(Command("docs"))
    async def on_docs(message: Message, admin: AdminServices) -> None:
        if admin.knowledge is None:
            return
        records = await admin.knowledge_documents()
        if not records:
            await message.answer("The knowledge base is empty. Send me a file to add one.")
            return
        for record in records[-20:]:
            await message.answer(
                f"{record.name} · {record.namespace} · v{record.version} · {record.status}"
                f" · {record.chunk_count} chunks" + (f"\n{record.error}" if record.error else ""),
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="Delete", callback_data=f"del:{record.id}")]]
                ),
            )

    @router.callback_query(F.data.startswith("del:"))
    async def on_delete(query: CallbackQuery, admin: AdminServices, is_admin: bool) -> None:
        if not is_admin or admin.knowledge is None:
            await query.answer("Only admins can delete documents.", show_alert=True)
            return
        deleted = await admin.knowledge.delete((query.data or "").split(":", 1)[1])
        await query.answer("Deleted." if deleted else "Already gone.")
        if query.message is not None and deleted:
            await query.message.answer("🗑 Deleted from the knowledge base.")

    @router.callback_query(F.data.startswith("ns:"))
    async def on_namespace(query: CallbackQuery, admin: AdminServices, is_admin: bool) -> None:
        _, document_id, namespace = (query.data or "::").split(":", 2)
        if not is_admin or admin.knowledge is None or admin.files_dir is None or namespace not in NAMESPACES:
            await query.answer("Only admins can change documents.", show_alert=True)
            return
        record = await admin.knowledge.document(document_id)
        path = stored_path(admin.files_dir, record) if record else None
        if record is None or path is None or not path.exists():
            await query.answer("The original file is not stored any more; send it again.", show_alert=True)
            return
        if record.namespace == namespace:
            await query.answer(f"Already in {namespace}.")
            return
        data = await asyncio.to_thread(path.read_bytes)
        result = await admin.knowledge.ingest_file(
            record.name, data, namespace=namespace, uploader=str(query.from_user.id)
        )
        await admin.knowledge.delete(record.id)
        await query.answer(f"Moved to {namespace}.")
        if query.message is not None:
            await query.message.answer(
                f"{record.name} is now in {namespace}.", reply_markup=document_keyboard(result.document)
            )

    return router


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
