"""How a catalogue asset reaches each channel, within its limits (PROTOCOLS.md).

Telegram: this bot's cached `file_id` (the bytes are read only if Telegram rejects it); Messenger,
Instagram and WhatsApp: a signed link they fetch when PUBLIC_BASE_URL is set, else the bytes uploaded;
the web chat and widget: a signed link. A file over the channel's limit becomes a signed link in the text
(or, without a public address, the note that a manager will send it). A deleted asset is left out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from channels.media_links import MediaLinks
from channels.messages import MediaItem, OutboundMessage
from storage.media_assets import MediaAsset

log = logging.getLogger(__name__)

MB = 1024 * 1024
# Largest file per kind ("*": every other kind) a channel accepts; Instagram sends only PDF documents.
LIMITS: dict[str, dict[str, int]] = {
    "telegram": {"photo": 10 * MB, "*": 50 * MB},
    "telegram_business": {"photo": 10 * MB, "*": 50 * MB},
    "messenger": {"photo": 8 * MB, "*": 25 * MB},
    "instagram": {"photo": 8 * MB, "*": 25 * MB},
    "whatsapp": {"photo": 5 * MB, "video": 16 * MB, "audio": 16 * MB, "*": 100 * MB},
}
LINKED = {"web", "console"}  # channels that show a link (or an inline player) instead of a file


class AssetFiles(Protocol):
    async def get(self, asset_id: str) -> MediaAsset | None: ...

    async def read(self, asset: MediaAsset) -> bytes | None: ...


class MediaDelivery:
    def __init__(self, assets: AssetFiles, links: MediaLinks, too_big: Callable[[str | None], str]) -> None:
        self._assets = assets
        self._links = links
        self._too_big = too_big  # language → the fallback line (`{title}`, `{url}`) for a file over the limit
        self.bot_keys: dict[str, str] = {}  # channel → the Telegram bot's id (a file_id belongs to one bot)

    async def prepare(self, channel: str, message: OutboundMessage, language: str | None) -> OutboundMessage:
        """`message` with its catalogue media made sendable on `channel`."""
        if not any(m.asset_id for m in message.media):
            return message
        too_big = self._too_big(language)
        kept: list[MediaItem] = []
        notes: list[str] = []
        for item in message.media:
            if item.asset_id is None:
                kept.append(item)
                continue
            asset = await self._assets.get(item.asset_id)
            if asset is None:
                log.warning("asset %s is gone from the catalogue: not sent", item.asset_id)
                continue
            if channel in LINKED:
                item.url = self._links.link(asset.id, absolute=self._links.public_base is not None)
                kept.append(item)
            elif _too_big(channel, asset):
                url = self._links.link(asset.id)
                notes.append(too_big.format(title=asset.title, url=url or "—"))
            elif await self._fill(channel, item, asset):
                kept.append(item)
        message.media = kept
        if notes:
            message.text = "\n\n".join([message.text, *notes]) if message.text else "\n\n".join(notes)
        return message

    async def _fill(self, channel: str, item: MediaItem, asset: MediaAsset) -> bool:
        item.filename = asset.filename
        item.title = item.title or asset.title
        if channel in self.bot_keys:
            item.file_id = asset.file_ids.get(self.bot_keys[channel])
            if item.file_id:
                return True  # sent by file_id: the bytes are read only if Telegram rejects it
        elif (link := self._links.link(asset.id)) is not None:
            item.url = link  # Meta fetches it: nothing to upload
            return True
        item.data = await self._assets.read(asset)
        if item.data is None:
            log.error("asset %s: its file %s is missing on disk", asset.id, asset.filename)
            return False
        return True


def _too_big(channel: str, asset: MediaAsset) -> bool:
    limits = LIMITS.get(channel)
    if limits is None:
        return False
    if channel == "instagram" and asset.kind == "document" and not asset.filename.lower().endswith(".pdf"):
        return True  # Instagram sends only PDF files: a link is the way
    return asset.size > limits.get(asset.kind, limits["*"])
