"""Sending on Messenger and Instagram through the Graph Send API (`POST {base}/{version}/me/messages`)."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from channels.messages import ChannelCapabilities, DeliveryError, OutboundMessage

log = logging.getLogger(__name__)

QUICK_REPLIES_MAX = 13
RETRYABLE_CODES = {1, 2, 4, 17, 32, 613}  # temporary errors and rate limits: back off and retry
MEDIA_TYPES = {"photo": "image", "video": "video", "audio": "audio", "document": "file"}


class GraphSender:
    """One page's (or Instagram account's) sender; the token never leaves the Authorization header."""

    def __init__(self, name: str, http: httpx.AsyncClient, base: str, version: str, token: str) -> None:
        self.name = name
        # Quick replies carry the buttons (titles of at most 20 characters); text up to 2,000 characters.
        self.capabilities = ChannelCapabilities(
            max_text=2000, max_buttons=QUICK_REPLIES_MAX, button_title_max=20, reply_window_hours=24
        )
        self._http = http
        self._url = f"{base.rstrip('/')}/{version}/me/messages"
        self._headers = {"Authorization": f"Bearer {token}"}

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None:
        last_id = None
        for media in message.media:
            if media.url and media.kind in MEDIA_TYPES:
                attachment = {"type": MEDIA_TYPES[media.kind], "payload": {"url": media.url, "is_reusable": True}}
                last_id = await self._post(recipient_id, {"attachment": attachment})
        if message.text or not message.media:
            body: dict[str, Any] = {"text": message.text or "…"}
            if message.buttons:
                body["quick_replies"] = [
                    {"content_type": "text", "title": b.title[:20], "payload": b.payload or b.title}
                    for b in message.buttons[:QUICK_REPLIES_MAX]
                ]
            last_id = await self._post(recipient_id, body)
        return last_id

    async def _post(self, recipient_id: str, message: dict[str, Any]) -> str | None:
        body = {"recipient": {"id": recipient_id}, "messaging_type": "RESPONSE", "message": message}
        try:
            response = await self._http.post(self._url, json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: {type(exc).__name__}", transient=True) from exc
        if response.status_code < 400:
            return response.json().get("message_id")
        error = _error(response)
        code, subcode = error.get("code"), error.get("error_subcode")
        text = f"{self.name}: Graph error {code}/{subcode}: {str(error.get('message', ''))[:200]}"
        if code == 10 or subcode == 2018278:  # outside the 24-hour window: retrying cannot help
            raise DeliveryError(text + " (outside the messaging window)", transient=False)
        if code == 190:
            log.error("%s token rejected by Meta: check the access token", self.name)
            raise DeliveryError(text, transient=False)
        raise DeliveryError(text, transient=code in RETRYABLE_CODES or response.status_code >= 500)


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {"message": response.text[:200]}
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else {}
