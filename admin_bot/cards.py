"""What managers see: lead cards and their buttons."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from admin_bot.callbacks import History, MarkLead, Release, TakeOver
from storage.leads import Lead
from storage.records import StoredMessage

ICONS = {"hot": "🔥", "warm": "🌤", "cold": "❄️"}


def lead_card(lead: Lead, last_messages: list[StoredMessage], title: str = "Hot lead") -> str:
    contact = lead.fields.get("contact") or {}
    lines = [
        f"{ICONS.get(lead.temperature, '')} {title}: {lead.name or 'unknown name'} · {lead.channel}",
        f"Score {lead.score}/100 · {lead.temperature.upper()} · lead {lead.id}",
    ]
    if contact.get("phone") or contact.get("email"):
        lines.append("Contact: " + ", ".join(v for v in (contact.get("phone"), contact.get("email")) if v))
    wants = [
        f"{k.replace('_', ' ')}: {lead.fields[k]}"
        for k in ("need", "product_interest", "quantity", "timeline", "budget")
        if lead.fields.get(k)
    ]
    if wants:
        lines.append("Wants: " + "; ".join(wants))
    if lead.reasons:
        lines.append("Why:\n" + "\n".join(f"• {r}" for r in lead.reasons[:5]))
    customer = [m for m in last_messages if m.direction == "in"][-3:]
    if customer:
        lines.append("Last messages:\n" + "\n".join(f"» {m.text[:200]}" for m in customer))
    return "\n".join(lines)[:4000]


def take_over_keyboard(conversation_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Take over", callback_data=TakeOver(conversation_id=conversation_id).pack())]
        ]
    )


def lead_keyboard(lead: Lead) -> InlineKeyboardMarkup:
    conversation = lead.conversation_id
    marks = [
        InlineKeyboardButton(text=f"Mark {t}", callback_data=MarkLead(lead_id=lead.id, temperature=t).pack())
        for t in ("hot", "warm", "cold")
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Take over", callback_data=TakeOver(conversation_id=conversation).pack())],
            marks,
            [InlineKeyboardButton(text="History", callback_data=History(conversation_id=conversation).pack())],
        ]
    )


def release_keyboard(conversation_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Return to bot", callback_data=Release(conversation_id=conversation_id).pack())]
        ]
    )


def history_text(messages: list[StoredMessage]) -> str:
    who = {"in": "Customer", "out": "Bot"}
    lines = []
    for m in messages:
        sender = "Manager" if m.meta.get("sender") == "manager" else who[m.direction]
        lines.append(f"{m.created_at:%d.%m %H:%M} {sender}: {m.text[:300]}")
    return ("\n".join(lines) or "No messages yet.")[-4000:]
