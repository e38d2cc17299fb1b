"""Messenger and Instagram webhook bodies (`object: page | instagram`) into the one `InboundMessage`.

Every entry and every event of a batch is read. Customer messages become `InboundMessage`; deliveries,
reads, echoes of our own sends and reactions are `Skipped` (state, never answered); an unsend is
`Unsent` (the stored message is marked deleted).
"""

from __future__ import annotations

from typing import Any

from channels.messages import Attachment, InboundMessage
from channels.meta.events import Comment, Event, MalformedWebhook, Skipped, Unsent

OBJECTS = {"messenger": "page", "instagram": "instagram"}
ATTACHMENT_KINDS = {"image": "photo", "video": "video", "audio": "audio", "file": "document", "location": "location"}


def parse(channel: str, body: Any) -> list[Event]:
    if not isinstance(body, dict) or body.get("object") != OBJECTS[channel] or not isinstance(body.get("entry"), list):
        raise MalformedWebhook(f"not a {channel} webhook envelope")
    events: list[Event] = []
    for entry in body["entry"]:
        if not isinstance(entry, dict):
            raise MalformedWebhook("entry is not an object")
        for item in entry.get("messaging", []) or []:
            events.append(_event(channel, item))
        for change in entry.get("changes", []) or []:
            events.append(_change(change, str(entry.get("id", ""))))
    return events


def _change(change: Any, account_id: str) -> Event:
    """Instagram `comments` become `Comment` (the account's own replies are skipped); other fields are state."""
    if not isinstance(change, dict) or change.get("field") != "comments":
        return Skipped(str(change.get("field", "change")) if isinstance(change, dict) else "change")
    value = change.get("value")
    author = value.get("from") if isinstance(value, dict) else None
    if not isinstance(value, dict) or not isinstance(author, dict) or not value.get("id") or not author.get("id"):
        raise MalformedWebhook("a comment without id or from.id")
    if str(author["id"]) == account_id:
        return Skipped("own comment")
    media = value.get("media") if isinstance(value.get("media"), dict) else {}
    return Comment(
        comment_id=str(value["id"]),
        author_id=str(author["id"]),
        username=str(author["username"])[:64] if isinstance(author.get("username"), str) else None,
        text=str(value.get("text") or ""),
        media_id=str(media["id"]) if media.get("id") else None,
        parent_id=str(value["parent_id"]) if value.get("parent_id") else None,
    )


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
        attachments = [_attachment(a) for a in message.get("attachments", []) or [] if isinstance(a, dict)]
        # A post shared without words asks about it: its caption is the question the brain can look up.
        shared = next((a.name for a in attachments if a.kind == "share" and a.name), "")
        return InboundMessage(
            channel=channel,
            channel_user_id=sender,
            channel_message_id=mid,
            text=str(message.get("text") or shared),
            attachments=attachments,
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
    title = payload.get("title")
    return Attachment(ATTACHMENT_KINDS.get(kind, kind), url=url, name=str(title) if title else None)


def _ref(referral: Any) -> str | None:
    return str(referral["ref"]) if isinstance(referral, dict) and referral.get("ref") else None
