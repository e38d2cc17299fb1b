"""WhatsApp Cloud API webhook bodies (`object: whatsapp_business_account`) into the one `InboundMessage`.

Each `entry[].changes[].value` may carry `contacts[]` (profile name, `wa_id` = the phone number),
`messages[]` (customer messages: answered), `statuses[]` (our sends: sent/delivered/read/failed, recorded
on the outgoing message, never answered) and `errors[]`. Every entry, change and item is read.
"""

from __future__ import annotations

from typing import Any

from channels.messages import Attachment, InboundMessage
from channels.meta.events import Event, MalformedWebhook, Skipped, Status

MEDIA_KINDS = {"image": "photo", "video": "video", "audio": "audio", "document": "document", "sticker": "sticker"}


def parse_whatsapp(body: Any) -> list[Event]:
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        raise MalformedWebhook("not a whatsapp webhook envelope")
    if not isinstance(body.get("entry"), list):
        raise MalformedWebhook("entry is not a list")
    events: list[Event] = []
    for entry in body["entry"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes", []), list):
            raise MalformedWebhook("entry is not an object with changes")
        for change in entry.get("changes", []):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                raise MalformedWebhook("a change without value")
            if change.get("field") != "messages":
                events.append(Skipped(str(change.get("field", "change"))))
                continue
            events.extend(_value(value))
    return events


def _value(value: dict[str, Any]) -> list[Event]:
    names = {
        str(c.get("wa_id")): (c.get("profile") or {}).get("name")
        for c in value.get("contacts", []) or []
        if isinstance(c, dict)
    }
    events: list[Event] = [_message(item, names) for item in _items(value, "messages")]
    events.extend(_status(item) for item in _items(value, "statuses"))
    for error in _items(value, "errors"):
        events.append(Skipped(f"error {error.get('code')}"))
    return events


def _items(value: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = value.get(key, []) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedWebhook(f"{key} is not a list of objects")
    return items


def _message(item: dict[str, Any], names: dict[str, Any]) -> Event:
    sender, wamid, kind = item.get("from"), item.get("id"), str(item.get("type", ""))
    if not isinstance(sender, str) or not sender or not isinstance(wamid, str) or not wamid:
        raise MalformedWebhook("a message without from or id")
    if kind == "reaction":
        return Skipped("reaction")
    text, payload, attachments = "", None, []
    content = item.get(kind) if isinstance(item.get(kind), dict) else {}
    if kind == "text":
        text = str(content.get("body") or "")
    elif kind == "interactive":  # a tap on our reply buttons or list
        chosen = content.get(str(content.get("type", ""))) or {}
        text, payload = str(chosen.get("title") or ""), chosen.get("id")
    elif kind == "button":  # a template's quick-reply button
        text, payload = str(content.get("text") or ""), content.get("payload")
    elif kind in MEDIA_KINDS:
        text = str(content.get("caption") or "")
        attachments.append(
            Attachment(
                MEDIA_KINDS[kind],
                file_id=content.get("id"),
                mime_type=content.get("mime_type"),
                name=content.get("filename"),
            )
        )
    elif kind == "location":
        where = ", ".join(str(content[k]) for k in ("name", "address") if content.get(k))
        text = where
        attachments.append(Attachment("location", url=f"geo:{content.get('latitude')},{content.get('longitude')}"))
    else:  # unsupported, order, system, contacts...: stored and answered like any message the bot cannot read
        attachments.append(Attachment("other", name=kind or None))
    referral = item.get("referral")  # Click-to-WhatsApp ads
    return InboundMessage(
        channel="whatsapp",
        channel_user_id=sender,
        channel_message_id=wamid,
        text=text,
        attachments=attachments,
        payload=str(payload) if payload else None,
        user_name=names.get(sender),
        phone=f"+{sender}" if sender.isdigit() else None,
        referral=str(referral.get("source_id") or referral.get("source_url"))
        if isinstance(referral, dict) and (referral.get("source_id") or referral.get("source_url"))
        else None,
        raw=item,
    )


def _status(item: dict[str, Any]) -> Status:
    wamid, state = item.get("id"), item.get("status")
    if not isinstance(wamid, str) or not isinstance(state, str):
        raise MalformedWebhook("a status without id or status")
    errors = item.get("errors") or []
    error = None
    if state == "failed" and isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        details = (first.get("error_data") or {}).get("details") if isinstance(first.get("error_data"), dict) else None
        error = f"{first.get('code')}: {details or first.get('title') or first.get('message') or ''}"[:300]
    return Status(wamid, state, error)
