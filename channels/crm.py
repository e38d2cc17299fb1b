"""CRM webhooks: a subscriber of conversation events that stores each lead and conversation event first
(`crm_events`), then POSTs it as signed JSON, retried with backoff: nothing is lost on a restart."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Any

import httpx

from channels.events import ConversationListener
from storage.crm_events import CrmEventRepository
from storage.leads import Lead, LeadChange
from storage.records import Conversation

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Closer-Signature"
MAX_ATTEMPTS = 10


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 15 * 2 ** (attempts - 1)))


class CrmWebhook(ConversationListener):
    def __init__(
        self, queue: CrmEventRepository, client: httpx.AsyncClient | None, url: str | None, secret: str | None
    ):
        self._queue = queue
        self._client = client
        self._url = url
        self._secret = secret or ""

    @property
    def enabled(self) -> bool:
        return self._url is not None and self._client is not None

    async def emit(self, event_type: str, data: dict[str, Any]) -> None:
        if self.enabled:
            await self._queue.enqueue(event_type, data)

    async def taken_over(self, conversation: Conversation, manager_id: int) -> None:
        await self.emit("conversation.taken_over", {"conversation_id": conversation.id, "manager_id": manager_id})

    async def released(self, conversation: Conversation, manager_id: int | None, reason: str) -> None:
        await self.emit("conversation.released", {"conversation_id": conversation.id, "reason": reason})

    async def lead_changed(self, change: LeadChange, conversation: Conversation) -> None:
        data = _lead_data(change.lead)
        if change.created:
            await self.emit("lead.created", data)
        elif change.previous_temperature != change.lead.temperature:
            await self.emit("lead.updated", data)
        if change.became_hot:
            await self.emit("lead.hot", data)

    async def lead_closed(self, lead: Lead, conversation: Conversation, manager_id: int) -> None:
        event = {"won": "lead.won", "lost": "lead.lost"}.get(lead.status, "lead.reopened")
        await self.emit(event, _lead_data(lead) | {"status": lead.status, "manager_id": manager_id})

    async def flush(self) -> int:
        """Send what is due; returns how many were delivered."""
        if not self.enabled:
            return 0
        assert self._client is not None and self._url is not None
        delivered = 0
        for event in await self._queue.due():
            body = json.dumps(
                {
                    "id": str(event["_id"]),
                    "type": event["type"],
                    "created_at": event["created_at"].isoformat(),
                    "data": event["data"],
                },
                ensure_ascii=False,
                default=str,
            ).encode()
            headers = {"Content-Type": "application/json", "X-Closer-Event": event["type"]}
            if self._secret:
                headers[SIGNATURE_HEADER] = sign(body, self._secret)
            attempts = int(event.get("attempts", 0)) + 1
            try:
                response = await self._client.post(self._url, content=body, headers=headers)
                ok, error = response.is_success, f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"
            if ok:
                await self._queue.sent(event["_id"])
                delivered += 1
            else:
                retry = backoff(attempts) if attempts < MAX_ATTEMPTS else None
                log.warning("CRM event %s attempt %d failed: %s", event["type"], attempts, error)
                await self._queue.failed_attempt(event["_id"], attempts, retry, error)
        return delivered


def _lead_data(lead: Lead) -> dict[str, Any]:
    return {
        "lead_id": lead.id,
        "conversation_id": lead.conversation_id,
        "channel": lead.channel,
        "name": lead.name,
        "temperature": lead.temperature,
        "score": lead.score,
        "reasons": lead.reasons,
        "fields": lead.fields,
    }
