"""Messenger and Instagram webhook bodies (`object: page | instagram`) into the one `InboundMessage`.

Every entry and every event of a batch is read. Customer messages become `InboundMessage`; deliveries,
reads, echoes of our own sends and reactions are `Skipped` (state, never answered); an unsend is
`Unsent` (the stored message is marked deleted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from channels.messages import Attachment, InboundMessage

OBJECTS = {"messenger": "page", "instagram": "instagram"}
ATTACHMENT_KINDS = {"image": "photo", "video": "video", "audio": "audio", "file": "document", "location": "location"}


class MalformedWebhook(ValueError):
    """A signed body that is not the platform's envelope: answered 400, nothing stored."""


@dataclass(slots=True)
class Skipped:
    kind: str  # delivery, read, echo, reaction, other


@dataclass(slots=True)
class Unsent:
    channel_message_id: str


Event = InboundMessage | Skipped | Unsent


def parse(channel: str, body: Any) -> list[Event]:
    if not isinstance(body, dict) or body.get("object") != OBJECTS[channel] or not isinstance(body.get("entry"), list):
        raise MalformedWebhook(f"not a {channel} webhook envelope")
    events: list[Event] = []
    for entry in body["entry"]:
        if not isinstance(entry, dict):
            raise MalformedWebhook("entry is not an object")
        for item in entry.get("messaging", []) or []:
            events.append(_event(channel, item))
        for change in entry.get("changes", []) or []:  # comments and the like: not Direct messages (yet)
            events.append(Skipped(str(change.get("field", "change")) if isinstance(change, dict) else "change"))
    return events


def _event(channel: str, item: Any) -> Event:
    if not isinstance(item, dict) or not isinstance(item.get("sender"), dict) or "id" not in item["sender"]:
        raise MalformedWebhook("a messaging event without sender.id")
    sender = str(item["sender"]["id"])
    message, postback = item.get("message"), item.get("postback")
    for kind in ("delivery", "read", "reaction"):
        if kind in item:
            return Skipped(kind)
    if "message_seen" in item or "messaging_seen" in item:
        return Skipped("read")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return Skipped("echo")
        mid = message.get("mid")
        if not isinstance(mid, str) or not mid:
            raise MalformedWebhook("a message without mid")
        if message.get("is_deleted"):
            return Unsent(mid)
        quick = message.get("quick_reply") or {}
        return InboundMessage(
            channel=channel,
            channel_user_id=sender,
            channel_message_id=mid,
            text=str(message.get("text") or ""),
            attachments=[_attachment(a) for a in message.get("attachments", []) or [] if isinstance(a, dict)],
            payload=quick.get("payload") if isinstance(quick, dict) else None,
            referral=_ref(message.get("referral") or item.get("referral")),
            raw=item,
        )
    if isinstance(postback, dict):
        mid = postback.get("mid") or f"postback:{sender}:{item.get('timestamp', '')}"
        return InboundMessage(
            channel=channel,
            channel_user_id=sender,
            channel_message_id=str(mid),
            text=str(postback.get("title") or ""),
            payload=postback.get("payload"),
            referral=_ref(postback.get("referral")),
            raw=item,
        )
    return Skipped("other")


def _attachment(raw: dict[str, Any]) -> Attachment:
    kind = str(raw.get("type", "other"))
    payload = raw.get("payload") if isinstance(raw.get("payload"), dict) else {}
    url = payload.get("url") if kind != "story_mention" else None  # story media is not ours to keep
    return Attachment(ATTACHMENT_KINDS.get(kind, kind), url=url)


def _ref(referral: Any) -> str | None:
    return str(referral["ref"]) if isinstance(referral, dict) and referral.get("ref") else None
