"""Sending on Messenger and Instagram through the Graph Send API (`POST {base}/{version}/me/messages`), and the
Graph error handling every Meta sender shares."""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from channels.messages import ChannelCapabilities, DeliveryError, MediaItem, OutboundMessage

log = logging.getLogger(__name__)

QUICK_REPLIES_MAX = 13
# Temporary errors and rate limits: back off and retry (WhatsApp: 130429 throughput, 131000/131016/133004 its own).
RETRYABLE_CODES = {1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 133004}
OUTSIDE_WINDOW = {10, 131047}  # Messenger/Instagram 10 (subcode 2018278), WhatsApp 131047 re-engagement
TOKEN_INVALID = 190
MEDIA_TYPES = {"photo": "image", "video": "video", "audio": "audio", "document": "file"}

TokenAlert = Callable[[str, str], Awaitable[None]]  # (channel, what Meta said): the admins are told once
Step = Callable[[], Awaitable[str | None]]  # one Graph call of a piece; returns the platform message id
STEP_ATTEMPTS = 3


class GraphChannel:
    """What every Meta sender shares: one authorised HTTP client, Graph errors into `DeliveryError`."""

    def __init__(self, name: str, http: httpx.AsyncClient, token: str, on_token_error: TokenAlert | None) -> None:
        self.name = name
        self._http = http
        self._headers = {"Authorization": f"Bearer {token}"}  # the token never leaves this header
        self._on_token_error = on_token_error

    async def _in_order(self, steps: list[Step]) -> str | None:
        """One piece that takes several calls (media, then text). The first call fails as it is (the outbox
        retries the whole piece); once something went out, a later call is retried here, and its final
        failure is permanent: retrying the piece would send what already arrived a second time."""
        last = None
        for index, step in enumerate(steps):
            for attempt in range(1, STEP_ATTEMPTS + 1):
                try:
                    last = await step()
                    break
                except DeliveryError as exc:
                    if index == 0:
                        raise
                    if not exc.transient or attempt == STEP_ATTEMPTS:
                        raise DeliveryError(f"{exc} (after part of the message went out)", transient=False) from exc
                    await asyncio.sleep(min(exc.retry_after_s or 0.5 * 2 ** (attempt - 1), 10.0))
        return last

    async def _call(self, url: str, **request: Any) -> dict[str, Any]:
        try:
            response = await self._http.post(url, headers=self._headers, **request)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: {type(exc).__name__}", transient=True) from exc
        if response.status_code < 400:
            payload = response.json()
            return payload if isinstance(payload, dict) else {}
        raise await self._failure(response)

    async def _failure(self, response: httpx.Response) -> DeliveryError:
        error = graph_error(response)
        code, subcode = error.get("code"), error.get("error_subcode")
        details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
        text = f"{self.name}: Graph error {code}/{subcode}: {str(details or error.get('message', ''))[:200]}"
        if code in OUTSIDE_WINDOW or subcode == 2018278:  # retrying cannot help
            return DeliveryError(text + " (outside the messaging window)", transient=False, code=code)
        if code == TOKEN_INVALID:
            log.error("%s token rejected by Meta: check the access token", self.name)
            if self._on_token_error is not None:
                await self._on_token_error(self.name, text)
            return DeliveryError(text, transient=False, code=code)
        return DeliveryError(text, transient=code in RETRYABLE_CODES or response.status_code >= 500, code=code)


class GraphSender(GraphChannel):
    """One page's (or Instagram account's) sender."""

    def __init__(
        self,
        name: str,
        http: httpx.AsyncClient,
        base: str,
        version: str,
        token: str,
        *,
        human_agent: bool = False,
        on_token_error: TokenAlert | None = None,
    ) -> None:
        super().__init__(name, http, token, on_token_error)
        # Quick replies carry the buttons (titles of at most 20 characters); text up to 2,000 characters.
        self.capabilities = ChannelCapabilities(
            max_text=2000,
            max_buttons=QUICK_REPLIES_MAX,
            button_title_max=20,
            reply_window_hours=24,
            human_agent_hours=7 * 24 if human_agent else None,
        )
        self._root = f"{base.rstrip('/')}/{version}"
        self._url = f"{self._root}/me/messages"

    async def private_reply(self, comment_id: str, text: str) -> str | None:
        """Instagram's private reply: one Direct message to a comment's author (once per comment, 7 days)."""
        body = {"recipient": {"comment_id": comment_id}, "message": {"text": text}}
        return (await self._call(self._url, json=body)).get("message_id")

    async def public_reply(self, comment_id: str, text: str) -> str | None:
        return (await self._call(f"{self._root}/{comment_id}/replies", json={"message": text})).get("id")

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None:
        steps: list[Step] = [
            lambda media=media: self._send_media(recipient_id, media, message.tag)  # type: ignore[misc]
            for media in message.media
            if media.kind in MEDIA_TYPES and (media.url or media.data)
        ]
        if message.text or not steps:
            body: dict[str, Any] = {"text": message.text or "…"}
            if message.buttons:
                body["quick_replies"] = [
                    {"content_type": "text", "title": b.title[:20], "payload": b.payload or b.title}
                    for b in message.buttons[:QUICK_REPLIES_MAX]
                ]
            envelope = _envelope(recipient_id, body, message.tag)
            steps.append(lambda: self._message_id(self._call(self._url, json=envelope)))
        return await self._in_order(steps)

    @staticmethod
    async def _message_id(call: Awaitable[dict[str, Any]]) -> str | None:
        return (await call).get("message_id")

    async def _send_media(self, recipient_id: str, media: MediaItem, tag: str | None) -> str | None:
        kind = MEDIA_TYPES[media.kind]
        if media.url:
            attachment = {"type": kind, "payload": {"url": media.url, "is_reusable": True}}
            return (await self._call(self._url, json=_envelope(recipient_id, {"attachment": attachment}, tag))).get(
                "message_id"
            )
        # Bytes (a manager's photo or document): the Send API's multipart upload, `filedata` next to the JSON.
        envelope = _envelope(recipient_id, {"attachment": {"type": kind, "payload": {"is_reusable": True}}}, tag)
        form = {key: json.dumps(value) if isinstance(value, dict) else value for key, value in envelope.items()}
        mime = mimetypes.guess_type(media.filename or "")[0] or "application/octet-stream"
        files = {"filedata": (media.filename or kind, media.data or b"", mime)}
        return (await self._call(self._url, data=form, files=files)).get("message_id")


def _envelope(recipient_id: str, message: dict[str, Any], tag: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"recipient": {"id": recipient_id}, "messaging_type": "RESPONSE", "message": message}
    if tag:
        body.update(messaging_type="MESSAGE_TAG", tag=tag)
    return body


def graph_error(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {"message": response.text[:200]}
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else {}
