"""Admins teach the bot by sending files: one status message, edited as the work goes on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from admin_bot.callbacks import DeleteDocument, KnowledgeDraft, MoveDocument
from brain.knowledge.base import KnowledgeBase
from channels.knowledge_replay import KnowledgeReplay, ReplayReport
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


def progress_editor(status: Message, template: str) -> Callable[[int, int], Awaitable[None]]:
    """Edits `status` with `template` (`{done}`/`{total}`) about once a second, and at the end."""
    last = 0.0

    async def show(done: int, total: int) -> None:
        nonlocal last
        if time.perf_counter() - last >= EDIT_EVERY_S or done == total:
            last = time.perf_counter()
            await edit(status, template.format(done=done, total=total))

    return show


async def on_document(
    message: Message,
    bot: Bot,
    is_admin: bool,
    handled: Conversation | None,
    knowledge: KnowledgeBase,
    files_dir: Path,
    replay: KnowledgeReplay,
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
    embedding = progress_editor(status, _("🧠 Embedding {done}/{total}…"))

    def progress(stage: str, done: int, total: int) -> Awaitable[None]:
        return embedding(done, total)

    try:
        # A new version of a serving document is staged: it goes live only when an admin taps Publish.
        uploader = str(message.from_user.id)
        result = await knowledge.ingest_file(name, data, uploader=uploader, progress=progress, staged=True)
    except ValueError as exc:
        await edit(status, _("❌ Not added. {error}").format(error=exc))
        return
    await asyncio.to_thread(_save, stored_path(files_dir, result.document), data)
    if result.document.status == "staged" and result.previous is not None:
        await offer_publish(status, result.document, result.previous, replay)
        return
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


async def offer_publish(
    status: Message, staged: DocumentRecord, serving: DocumentRecord, replay: KnowledgeReplay
) -> None:
    """Replay the recent questions answered from the serving version; show what changes; Publish / Discard."""
    progress = progress_editor(status, _("🔁 Replaying recent questions {done}/{total}…"))

    await edit(status, _("🔁 New version of {name}: replaying recent questions…").format(name=staged.name))
    try:
        report = await replay.run(staged, serving, progress)
    except Exception as exc:  # the admin can still decide without the comparison
        log.exception("replay of %s failed", staged.name)
        text = _("New version of {name} is indexed, but the replay failed ({error}). Publish or discard it?")
        await edit(status, text.format(name=staged.name, error=type(exc).__name__), publish_keyboard(staged))
        return
    await edit(status, replay_text(staged, report), publish_keyboard(staged))


def replay_text(staged: DocumentRecord, report: ReplayReport) -> str:
    if not report.questions:
        return _(
            "New version of {name} is indexed ({chunks} chunks). No customer question was answered from it in the "
            "last 30 days, so there is nothing to compare. It goes live only when you publish it."
        ).format(name=staged.name, chunks=staged.chunk_count)
    lines = [
        _(
            "New version of {name}: of {total} recent questions answered from it, {changed} would get a "
            "different answer. It goes live only when you publish it."
        ).format(name=staged.name, total=report.questions, changed=report.changed)
    ]
    for example in report.examples:
        lines.append(
            f"\n❓ {example.question[:200]}\n"
            + _("Before: {text}").format(text=example.before[:400])
            + "\n"
            + _("After: {text}").format(text=example.after[:400])
        )
    return "\n".join(lines)[:4000]


def publish_keyboard(staged: DocumentRecord) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(
            text=_("✅ Publish"), callback_data=KnowledgeDraft(document_id=staged.id, action="publish").pack()
        ),
        InlineKeyboardButton(
            text=_("🗑 Discard"), callback_data=KnowledgeDraft(document_id=staged.id, action="discard").pack()
        ),
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


async def on_draft(
    query: CallbackQuery, callback_data: KnowledgeDraft, is_admin: bool, knowledge: KnowledgeBase
) -> None:
    if not is_admin:
        await query.answer(_("Only admins can change documents."), show_alert=True)
        return
    message = query.message if isinstance(query.message, Message) else None
    if callback_data.action == "discard":
        if not await knowledge.discard(callback_data.document_id):
            await query.answer(_("Already decided."), show_alert=True)
            return
        await query.answer(_("Discarded."))
        if message is not None:
            await edit(message, _("🗑 Discarded: the previous version keeps serving."))
        return
    published = await knowledge.publish(callback_data.document_id)
    if published is None:
        await query.answer(_("Already decided."), show_alert=True)
        return
    await query.answer(_("Published."))
    if message is not None:
        text = _("✅ Published: {name} (version {version}) now answers customers.").format(
            name=published.name, version=published.version
        )
        await edit(message, text, document_keyboard(published))


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
            reply_markup=publish_keyboard(record)
            if record.status == "staged"
            else InlineKeyboardMarkup(inline_keyboard=[[delete_button(record)]]),
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
    router.callback_query.register(on_draft, KnowledgeDraft.filter())
    return router


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
