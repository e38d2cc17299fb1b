"""Sending on WhatsApp through the Cloud API (`POST {base}/{version}/{PHONE_NUMBER_ID}/messages`).

Buttons become reply buttons (at most 3), a list past that (up to 10 rows); media go by link or are uploaded
first (`/media`, multipart); templates are the one thing sendable outside the 24-hour window. Meta's
"too many messages to this user" (131056) paces that recipient before the retry.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
from typing import Any

import httpx

from brain.types import Button
from channels.messages import ChannelCapabilities, DeliveryError, MediaItem, OutboundMessage, Template
from channels.meta.graph import GraphChannel, Step, TokenAlert
from channels.outbox import split_text

REPLY_BUTTONS_MAX, LIST_ROWS_MAX = 3, 10
INTERACTIVE_BODY_MAX = 1024
PAIR_RATE_LIMIT = 131056
MEDIA_TYPES = {"photo": "image", "video": "video", "audio": "audio", "document": "document"}
LIST_LABEL = "☰"  # the list's open button: no language is known here, a symbol reads in every one


class WhatsAppSender(GraphChannel):
    def __init__(
        self,
        http: httpx.AsyncClient,
        base: str,
        version: str,
        phone_number_id: str,
        token: str,
        *,
        pair_pace_s: float = 6.0,
        on_token_error: TokenAlert | None = None,
    ) -> None:
        super().__init__("whatsapp", http, token, on_token_error)
        self.capabilities = ChannelCapabilities(
            max_text=4096, max_buttons=LIST_ROWS_MAX, button_title_max=24, reply_window_hours=24, templates=True
        )
        root = f"{base.rstrip('/')}/{version}"
        self._root, self._messages_url, self._media_url = (
            root,
            f"{root}/{phone_number_id}/messages",
            f"{root}/{phone_number_id}/media",
        )
        self._pace_s = pair_pace_s
        self._next_at: dict[str, float] = {}  # recipient → earliest next send (after a 131056)

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None:
        if message.template is not None:
            return await self._post(recipient_id, {"type": "template", "template": _template(message.template)})
        steps: list[Step] = [
            lambda media=media: self._send_media(recipient_id, media)  # type: ignore[misc]
            for media in message.media
            if media.kind in MEDIA_TYPES and (media.url or media.data)
        ]
        if message.text or not steps:
            steps += self._text_steps(recipient_id, message.text or "…", message.buttons)
        return await self._in_order(steps)

    async def _send_media(self, recipient_id: str, media: MediaItem) -> str | None:
        return await self._post(recipient_id, await self._media(media))

    def _text_steps(self, recipient_id: str, text: str, buttons: list[Button]) -> list[Step]:
        if not buttons:
            content = {"type": "text", "text": {"body": text, "preview_url": True}}
            return [lambda: self._post(recipient_id, content)]
        # An interactive body holds 1,024 characters: longer text goes first on its own.
        *before, body = split_text(text, INTERACTIVE_BODY_MAX) or ["…"]
        steps: list[Step] = [
            lambda piece=piece: self._post(recipient_id, {"type": "text", "text": {"body": piece}})  # type: ignore[misc]
            for piece in before
        ]
        interactive = {"type": "interactive", "interactive": _interactive(body, buttons)}
        steps.append(lambda: self._post(recipient_id, interactive))
        return steps

    async def _media(self, media: MediaItem) -> dict[str, Any]:
        kind = MEDIA_TYPES[media.kind]
        item: dict[str, Any] = {"link": media.url} if media.url else {"id": await self._upload(media, kind)}
        if media.title and kind != "audio":  # WhatsApp takes no caption on audio
            item["caption"] = media.title[:1024]
        if kind == "document":
            item["filename"] = media.filename or media.title or "document"
        return {"type": kind, kind: item}

    async def _upload(self, media: MediaItem, kind: str) -> str:
        default = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg"}.get(kind, "application/pdf")
        mime = mimetypes.guess_type(media.filename or "")[0] or default
        files = {"file": (media.filename or kind, media.data or b"", mime)}
        uploaded = await self._call(self._media_url, data={"messaging_product": "whatsapp", "type": mime}, files=files)
        if not uploaded.get("id"):
            raise DeliveryError("whatsapp: media upload returned no id", transient=True)
        return str(uploaded["id"])

    async def download(self, media_id: str) -> bytes:
        """A customer's photo or document (for the manager): its URL from Graph, then the bytes, both authorised."""
        info = await self._http.get(f"{self._root}/{media_id}", headers=self._headers)
        info.raise_for_status()
        data = await self._http.get(str(info.json()["url"]), headers=self._headers)
        data.raise_for_status()
        return data.content

    async def _post(self, recipient_id: str, content: dict[str, Any]) -> str | None:
        wait = self._next_at.get(recipient_id, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient_id, **content}
        try:
            sent = await self._call(self._messages_url, json=body)
        except DeliveryError as exc:
            if exc.code == PAIR_RATE_LIMIT:
                self._next_at[recipient_id] = time.monotonic() + self._pace_s
                raise DeliveryError(str(exc), transient=True, retry_after_s=self._pace_s, code=exc.code) from exc
            raise
        ids = [m.get("id") for m in sent.get("messages", []) if isinstance(m, dict)]
        return str(ids[0]) if ids and ids[0] else None


def _interactive(body: str, buttons: list[Button]) -> dict[str, Any]:
    if len(buttons) <= REPLY_BUTTONS_MAX:
        replies = [{"type": "reply", "reply": {"id": _id(b), "title": b.title[:20]}} for b in buttons]
        return {"type": "button", "body": {"text": body}, "action": {"buttons": replies}}
    rows = [{"id": _id(b), "title": b.title[:24]} for b in buttons[:LIST_ROWS_MAX]]
    return {"type": "list", "body": {"text": body}, "action": {"button": LIST_LABEL, "sections": [{"rows": rows}]}}


def _id(button: Button) -> str:
    return (button.payload or button.title)[:256]


def _template(template: Template) -> dict[str, Any]:
    body: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if template.parameters:
        parameters = [{"type": "text", "text": p} for p in template.parameters]
        body["components"] = [{"type": "body", "parameters": parameters}]
    return body
