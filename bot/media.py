"""Files to a Telegram chat: by this bot's cached `file_id` when there is one (no upload), else uploaded
once and the new `file_id` remembered; a `file_id` Telegram rejects is forgotten and the file re-uploaded."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup

from channels.messages import MediaItem, OutboundMessage

log = logging.getLogger(__name__)
CAPTION_MAX = 1024


class FileIds(Protocol):
    async def remember_file_id(self, asset_id: str, bot_id: str, file_id: str | None) -> None: ...

    async def data_of(self, asset_id: str) -> bytes | None: ...


class TelegramMedia:
    def __init__(self, bot: Bot, file_ids: FileIds | None = None) -> None:
        self._bot = bot
        self._file_ids = file_ids

    async def send(
        self,
        chat_id: int,
        message: OutboundMessage,
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None,
        business_connection_id: str | None,
    ) -> str:
        """Each item in turn; the text rides as the first caption when it fits (1,024 characters)."""
        caption = message.text if len(message.text) <= CAPTION_MAX else None
        common = {"reply_markup": markup, "business_connection_id": business_connection_id}
        sent_id = ""
        for i, item in enumerate(message.media):
            sent = await self._one(chat_id, item, caption if i == 0 else None, common)
            if sent is not None:
                sent_id = str(sent.message_id)
        if caption is None and message.text:
            sent_id = str((await self._bot.send_message(chat_id, message.text, **common)).message_id)
        return sent_id

    async def _one(self, chat_id: int, item: MediaItem, caption: str | None, common: dict[str, Any]) -> Message | None:
        if item.file_id:
            try:
                return await self._send(chat_id, item.kind, item.file_id, caption, common)
            except TelegramBadRequest as exc:  # a file_id of another bot, or one Telegram no longer knows
                log.warning("file_id of asset %s rejected (%s): uploading again", item.asset_id, exc.message)
                await self._remember(item, None)
                if item.data is None and self._file_ids is not None and item.asset_id:
                    item.data = await self._file_ids.data_of(item.asset_id)
                if item.data is None:
                    raise
        source = BufferedInputFile(item.data, item.filename or "file") if item.data is not None else item.url
        if source is None:
            return None
        sent = await self._send(chat_id, item.kind, source, caption, common)
        if item.data is not None and item.asset_id:
            await self._remember(item, _file_id(sent))
        return sent

    async def _send(
        self, chat_id: int, kind: str, source: str | BufferedInputFile, caption: str | None, common: dict[str, Any]
    ) -> Message:
        send = {
            "photo": self._bot.send_photo,
            "video": self._bot.send_video,
            "audio": self._bot.send_audio,
        }.get(kind, self._bot.send_document)
        return await send(chat_id, source, caption=caption, **common)

    async def _remember(self, item: MediaItem, file_id: str | None) -> None:
        if self._file_ids is not None and item.asset_id:
            await self._file_ids.remember_file_id(item.asset_id, str(self._bot.id), file_id)


def _file_id(sent: Message) -> str | None:
    if sent.photo:
        return sent.photo[-1].file_id
    for kind in ("video", "audio", "document"):
        item = getattr(sent, kind, None)
        if item is not None:
            return str(item.file_id)
    return None
