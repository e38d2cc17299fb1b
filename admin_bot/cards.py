"""What managers see: the one card per conversation, its buttons, and a chat's history.

Every function takes `_`, the translation for the reader's language (a handler passes aiogram's
`gettext`; the notifier a `Translator` for each manager), so one card reads right in ru, uk and en.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from admin_bot.callbacks import CloseLead, History, MarkLead, Release, SetAudience, TakeOver
from admin_bot.i18n import N_, Translate
from admin_bot.reasons import worded
from brain.lead_fields import describe_fields
from storage.leads import Lead
from storage.manager_cards import CardReason
from storage.records import Contact, Conversation, StoredMessage

ICONS = {"hot": "🔥", "warm": "🌤", "cold": "❄️"}
CARD_LIMIT = 4000  # Telegram allows 4096 characters a message


TEMPERATURES = {"hot": N_("HOT"), "warm": N_("WARM"), "cold": N_("COLD")}
OUTCOMES = {"won": N_("✅ Won: became a customer"), "lost": N_("❌ Lost")}
FIELD_LABELS = {
    "quantity": N_("Quantity"),
    "product_interest": N_("Product"),
    "timeline": N_("When"),
    "budget": N_("Budget"),
    "company": N_("Company"),
    "decision_role": N_("Role"),
}


@dataclass(slots=True)
class CardView:
    """Everything a card shows, gathered by the notifier."""

    conversation: Conversation
    lead: Lead | None = None
    contact: Contact | None = None
    reasons: list[CardReason] = field(default_factory=list)
    last_messages: list[StoredMessage] = field(default_factory=list)
    owner_name: str | None = None


def card_text(view: CardView, _: Translate) -> str:
    lead, conversation, contact = view.lead, view.conversation, view.contact
    who = (contact.name if contact else None) or (lead.name if lead else None) or _("Customer")
    if contact and contact.username:
        who += f" (@{contact.username})"
    lines = []
    if lead is not None:
        temperature = _(TEMPERATURES.get(lead.temperature, lead.temperature))
        lines.append(
            f"{ICONS.get(lead.temperature, '')} {temperature} {lead.score}/100 · {who} · {conversation.channel}"
        )
    else:
        lines.append(f"💬 {who} · {conversation.channel}")
    if view.reasons:
        lines.append("❗ " + _("Needs a manager") + ": " + "; ".join(worded(r, _) for r in view.reasons))
    lines.append(_owner_line(view, _))
    if lead is not None and lead.status in OUTCOMES:
        lines.append(_(OUTCOMES[lead.status]))
    described = describe_fields(lead.fields) if lead is not None else {}
    contact_text = described.pop("contact", None) or _contact_text(contact)
    wants = [f"{_(FIELD_LABELS[k])}: {described[k]}" for k in FIELD_LABELS if described.get(k)]
    if wants:
        lines.append(_("Wants") + ": " + " · ".join(wants))
    if contact_text:
        lines.append(_("Contact") + ": " + contact_text)
    if lead is not None and lead.reasons:
        lines.append(_("Why") + ":\n" + "\n".join(f"• {r}" for r in lead.reasons[:5]))
    customer = [m for m in view.last_messages if m.direction == "in" and m.text][-3:]
    if customer:
        lines.append(_("Last messages") + ":\n" + "\n".join(f"» {m.text[:200]}" for m in customer))
    if lead is not None:
        lines.append(_("Lead") + f" {lead.id}")
    return "\n".join(lines)[:CARD_LIMIT]


def _owner_line(view: CardView, _: Translate) -> str:
    owner = view.conversation.owner
    if owner == "human":
        name = view.owner_name or str(view.conversation.owner_manager_id or "")
        return "👤 " + _("Handled by {name}").format(name=name)
    if owner == "pending_human":
        return "⏳ " + _("Waiting for a manager")
    return "🤖 " + _("The bot is answering")


def _contact_text(contact: Contact | None) -> str:
    if contact is None:
        return ""
    return ", ".join(v for v in (contact.phone, contact.email) if v)


def card_keyboard(view: CardView, _: Translate) -> InlineKeyboardMarkup:
    conversation = view.conversation.id
    if view.conversation.owner == "human":
        first = InlineKeyboardButton(
            text=_("Return to bot"), callback_data=Release(conversation_id=conversation).pack()
        )
    else:
        first = InlineKeyboardButton(text=_("Take over"), callback_data=TakeOver(conversation_id=conversation).pack())
    rows = [[first]]
    if view.lead is not None:
        lead_id = view.lead.id
        rows.append(
            [
                InlineKeyboardButton(
                    text=f"{ICONS[t]} {_(TEMPERATURES[t])}",
                    callback_data=MarkLead(lead_id=lead_id, temperature=t).pack(),
                )
                for t in ("hot", "warm", "cold")
            ]
        )
        rows.append(_outcome_buttons(view.lead, _))
    partner = view.contact is not None and view.contact.audience == "partner"
    switch = InlineKeyboardButton(
        text=_("🛒 Make a buyer") if partner else _("🤝 Make a partner"),
        callback_data=SetAudience(conversation_id=conversation, audience="buyer" if partner else "partner").pack(),
    )
    history = InlineKeyboardButton(text=_("History"), callback_data=History(conversation_id=conversation).pack())
    rows.append([history, switch])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _outcome_buttons(lead: Lead, _: Translate) -> list[InlineKeyboardButton]:
    if lead.status in OUTCOMES:
        reopen = CloseLead(lead_id=lead.id, outcome="open").pack()
        return [InlineKeyboardButton(text=_("↩️ Reopen"), callback_data=reopen)]
    return [
        InlineKeyboardButton(text=_("✅ Won"), callback_data=CloseLead(lead_id=lead.id, outcome="won").pack()),
        InlineKeyboardButton(text=_("❌ Lost"), callback_data=CloseLead(lead_id=lead.id, outcome="lost").pack()),
    ]


def take_over_keyboard(conversation_id: str, _: Translate) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=_("Take over"), callback_data=TakeOver(conversation_id=conversation_id).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def release_keyboard(conversation_id: str, _: Translate) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=_("Return to bot"), callback_data=Release(conversation_id=conversation_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def history_text(messages: list[StoredMessage], _: Translate) -> str:
    who = {"in": _("Customer"), "out": _("Bot")}
    lines = []
    for m in messages:
        sender = _("Manager") if m.meta.get("sender") == "manager" else who[m.direction]
        lines.append(f"{m.created_at:%d.%m %H:%M} {sender}: {m.text[:300]}")
    return ("\n".join(lines) or _("No messages yet."))[-CARD_LIMIT:]
