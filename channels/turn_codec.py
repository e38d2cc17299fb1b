"""A turn's result as JSON, for the replica that accepted the message when another one answered it: what a
synchronous channel (the web chat) answers with, nothing more (the brain's reply stays where it was made)."""

from __future__ import annotations

import json
from typing import Any

from brain.types import Button
from channels.messages import MediaItem, OutboundMessage, TurnResult


class RemoteTurnFailed(RuntimeError):
    """The replica that answered the turn reports that it failed."""


def encode_result(message_id: str, stage: str, result: TurnResult | None, error: BaseException | None) -> str:
    data: dict[str, Any] = {"message": message_id, "stage": stage}
    if error is not None:
        data["error"] = f"{type(error).__name__}: {error}"
    elif result is not None:
        data["result"] = {
            "conversation_id": result.conversation_id,
            "duplicate": result.duplicate,
            "superseded": result.superseded,
            "limited": result.limited,
            "replies": [_reply(r) for r in result.replies],
        }
    return json.dumps(data, ensure_ascii=False)


def _reply(message: OutboundMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "buttons": [[b.title, b.payload] for b in message.buttons],
        "media": [[m.kind, m.url, m.title] for m in message.media if m.url],
        "contact_request": message.contact_request,
    }


def decode_result(data: dict[str, Any]) -> TurnResult | RemoteTurnFailed:
    if "error" in data:
        return RemoteTurnFailed(data["error"])
    raw = data.get("result") or {}
    replies = [
        OutboundMessage(
            text=r["text"],
            buttons=[Button(title, payload) for title, payload in r["buttons"]],
            media=[MediaItem(kind, url=url, title=title) for kind, url, title in r["media"]],
            contact_request=r.get("contact_request"),
        )
        for r in raw.get("replies", [])
    ]
    return TurnResult(
        duplicate=raw.get("duplicate", False),
        conversation_id=raw.get("conversation_id"),
        replies=replies,
        superseded=raw.get("superseded", False),
        limited=raw.get("limited", False),
    )
