"""The media catalogue from the admin bot: a photo, video or audio an admin sends becomes a sendable asset
(the caption is its title and description); a document with a caption asks whether it is knowledge, a
sendable file or both. A caption that says it is for partners pre-selects that audience. `/media` lists
the assets with audience and delete buttons."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from admin_bot import knowledge as knowledge_upload
from admin_bot.callbacks import AssetAction, MediaUpload
from admin_bot.knowledge import BOT_API_DOWNLOAD_LIMIT, edit
from brain.knowledge.base import KnowledgeBase
from brain.media_library import MediaLibrary, document_text
from storage.media_assets import InvalidAsset, MediaAsset
from storage.records import Conversation

log = logging.getLogger(__name__)

FOR_PARTNERS = re.compile(r"партн|partner|дилер|dealer|reseller|реселер|реселлер", re.IGNORECASE)
AUDIENCES = ("buyer", "partner", "all")
_pending: dict[str, tuple[Message, str]] = {}  # token → (the admin's document message, chosen audience)
PENDING_MAX = 50
DEFAULT_SUFFIX = {"photo": "jpg", "video": "mp4", "audio": "mp3"}


def audience_of(caption: str | None) -> str:
    return "partner" if caption and FOR_PARTNERS.search(caption) else "all"


def audience_label(audience: str) -> str:
    return {"buyer": _("buyers"), "partner": _("partners"), "all": _("everyone")}[audience]


def asset_keyboard(asset: MediaAsset) -> InlineKeyboardMarkup:
    audiences = [
        InlineKeyboardButton(
            text=("✓ " if a == asset.audience else "") + audience_label(a),
            callback_data=AssetAction(asset_id=asset.id, action=a).pack(),  # type: ignore[arg-type]
        )
        for a in AUDIENCES
    ]
    delete = InlineKeyboardButton(
        text=_("Delete"), callback_data=AssetAction(asset_id=asset.id, action="delete").pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[audiences, [delete]])


def asset_line(asset: MediaAsset) -> str:
    return _("📎 {title} · {kind} · {size} KB · for {audience}").format(
        title=asset.title, kind=asset.kind, size=max(1, asset.size // 1024), audience=audience_label(asset.audience)
    )


def _upload_keyboard(token: str, audience: str) -> InlineKeyboardMarkup:
    audiences = [
        InlineKeyboardButton(
            text=("✓ " if a == audience else "") + audience_label(a),
            callback_data=MediaUpload(token=token, action=a).pack(),  # type: ignore[arg-type]
        )
        for a in AUDIENCES
    ]
    targets = [
        InlineKeyboardButton(text=_("📚 Knowledge"), callback_data=MediaUpload(token=token, action="kb").pack()),
        InlineKeyboardButton(text=_("📎 Sendable file"), callback_data=MediaUpload(token=token, action="asset").pack()),
        InlineKeyboardButton(text=_("Both"), callback_data=MediaUpload(token=token, action="both").pack()),
    ]
    return InlineKeyboardMarkup(inline_keyboard=[audiences, targets])


async def on_upload(
    message: Message, bot: Bot, is_admin: bool, handled: Conversation | None, library: MediaLibrary
) -> None:
    assert message.from_user is not None
    if handled is not None:
        raise SkipHandler  # a manager handling a chat is sending this file to the customer
    if not is_admin:
        await message.answer(_("Only admins can add files to the media catalogue."))
        return
    if message.document is not None:  # knowledge, a sendable file, or both: the admin decides
        if len(_pending) >= PENDING_MAX:
            _pending.pop(next(iter(_pending)))
        token = secrets.token_urlsafe(6)
        audience = audience_of(message.caption)
        _pending[token] = (message, audience)
        name = message.document.file_name or "document"
        await message.answer(
            _("What is {name}: knowledge for answers, a file to send to customers, or both? For:").format(name=name),
            reply_markup=_upload_keyboard(token, audience),
        )
        return
    await _add_asset(message, bot, library, audience_of(message.caption))


async def on_upload_choice(
    query: CallbackQuery,
    callback_data: MediaUpload,
    bot: Bot,
    is_admin: bool,
    library: MediaLibrary,
    knowledge: KnowledgeBase,
    files_dir: Path,
) -> None:
    pending = _pending.get(callback_data.token)
    if not is_admin or pending is None:
        await query.answer(_("This upload has expired; send the file again."), show_alert=True)
        return
    original, audience = pending
    if callback_data.action in AUDIENCES:
        _pending[callback_data.token] = (original, callback_data.action)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(
                reply_markup=_upload_keyboard(callback_data.token, callback_data.action)
            )
        return
    _pending.pop(callback_data.token, None)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.action in ("kb", "both"):
        await knowledge_upload.on_document(original, bot, True, None, knowledge, files_dir)
    if callback_data.action in ("asset", "both"):
        await _add_asset(original, bot, library, audience)


async def _add_asset(message: Message, bot: Bot, library: MediaLibrary, audience: str) -> None:
    kind, file = _file_of(message)
    if file is None:
        return
    name = getattr(file, "file_name", None) or f"{kind}.{DEFAULT_SUFFIX.get(kind, 'bin')}"
    if (file.file_size or 0) > BOT_API_DOWNLOAD_LIMIT:
        await message.answer(
            _("{name} is larger than the 20 MB a bot may download. Run on the server: closer media add FILE").format(
                name=name
            )
        )
        return
    status = await message.answer(_("📥 Downloading {name}…").format(name=name))
    buffer = await bot.download(file.file_id)
    data = buffer.read() if buffer else b""
    caption = (message.caption or "").strip()
    title, _sep, description = caption.partition("\n")
    try:
        asset = await library.add(
            data,
            kind=kind,
            title=title.strip() or Path(name).stem,
            filename=name,
            mime_type=getattr(file, "mime_type", None)
            or ("image/jpeg" if kind == "photo" else "application/octet-stream"),
            audience=audience,
            description=description.strip(),
            text=await asyncio.to_thread(document_text, name, data) if kind == "document" else "",
        )
    except InvalidAsset as exc:
        await edit(status, _("❌ Not added. {error}").format(error=exc))
        return
    await edit(status, _("✅ Added to the media catalogue.") + "\n" + asset_line(asset), asset_keyboard(asset))


def _file_of(message: Message) -> tuple[str, object | None]:
    if message.photo:
        return "photo", message.photo[-1]
    for kind in ("video", "audio", "document"):
        item = getattr(message, kind, None)
        if item is not None:
            return kind, item
    return "document", None


async def on_media_list(message: Message, library: MediaLibrary) -> None:
    assets = await library.assets.all()
    if not assets:
        await message.answer(
            _("The media catalogue is empty. Send me a photo, video, audio or document with a caption.")
        )
        return
    for asset in assets[-30:]:
        await message.answer(asset_line(asset), reply_markup=asset_keyboard(asset))


async def on_asset_action(
    query: CallbackQuery, callback_data: AssetAction, is_admin: bool, library: MediaLibrary
) -> None:
    if not is_admin:
        await query.answer(_("Only admins can change the media catalogue."), show_alert=True)
        return
    if callback_data.action == "delete":
        deleted = await library.delete(callback_data.asset_id)
        await query.answer(_("Deleted.") if deleted else _("Already gone."))
        if isinstance(query.message, Message) and deleted:
            await query.message.edit_text(_("🗑 Deleted from the media catalogue."))
        return
    asset = await library.update(callback_data.asset_id, audience=callback_data.action)
    if asset is None:
        await query.answer(_("Already gone."), show_alert=True)
        return
    await query.answer(_("Now for {audience}.").format(audience=audience_label(asset.audience)))
    if isinstance(query.message, Message):
        await query.message.edit_text(asset_line(asset), reply_markup=asset_keyboard(asset))


def build_router() -> Router:
    router = Router(name="admin-media")
    router.message.register(on_upload, F.photo | F.video | F.audio | (F.document & F.caption))
    router.message.register(on_media_list, Command("media"))
    router.callback_query.register(on_upload_choice, MediaUpload.filter())
    router.callback_query.register(on_asset_action, AssetAction.filter())
    return router
