"""Why a manager must act, said the way a manager would: "wants to buy: asked for an invoice".

A reason is stored as a kind and a detail (the escalation's, or the customer's words) and worded
at render time, in the reader's language.
"""

from __future__ import annotations

import re

from admin_bot.i18n import N_, Translate
from brain.types import Escalation
from storage.leads import Lead
from storage.manager_cards import CardReason

KINDS = {
    "hot": N_("wants to buy: {detail}"),
    "human": N_("{detail}"),
    "guard": N_("guard: {detail}"),
    "callback": N_("asked for a call back: {detail}"),
    "agent": N_("the assistant handed over: {detail}"),
    "sla": N_("still waiting after {detail} min"),
}
DETAILS = {
    "asked for a person": N_("asked for a person"),
    "pressed the manager button": N_("pressed the manager button"),
    "legal": N_("legal threat"),
    "abuse": N_("abusive message"),
    "self_harm": N_("self-harm risk"),
    "invoice": N_("asked for an invoice"),
    "contract": N_("asked for a contract"),
    "offer": N_("asked for a commercial offer"),
    "order": N_("placed an order"),
    "reserve": N_("asked to reserve"),
    "pay": N_("is ready to pay"),
    "contacts": N_("left contacts"),
    "reply blocked": N_("a reply was blocked"),
}
# Which commitment the customer made, from the words a hot lead's reasons quote (ru / uk / en).
_PURCHASE = [
    ("invoice", re.compile(r"invoice|сч[её]т|рахун", re.IGNORECASE)),
    ("contract", re.compile(r"contract|договор|договір", re.IGNORECASE)),
    ("offer", re.compile(r"offer|quote|proposal|предложени|пропозиці|\bкп\b", re.IGNORECASE)),
    ("reserve", re.compile(r"reserve|book|заброн|резерв", re.IGNORECASE)),
    ("pay", re.compile(r"pay|оплат|сплат", re.IGNORECASE)),
    ("order", re.compile(r"order|buy|purchas|take|заказ|закаж|купи|беру|берем|беремо|замов|оформ", re.IGNORECASE)),
]
_QUOTED = re.compile(r'"([^"]{1,80})"')


def from_escalation(escalation: Escalation) -> CardReason:
    detail = escalation.detail
    if escalation.kind == "guard" and detail.startswith("reply blocked"):
        return CardReason("guard", "reply blocked")
    return CardReason(escalation.kind, detail)


def from_hot_lead(lead: Lead) -> CardReason:
    """The commitment behind a rise to Hot: the first kind the customer's quoted words show."""
    quotes = " ".join(m.group(1) for reason in lead.reasons for m in _QUOTED.finditer(reason))
    for kind, pattern in _PURCHASE:
        if pattern.search(quotes):
            return CardReason("hot", kind)
    if (lead.fields or {}).get("contact"):
        return CardReason("hot", "contacts")
    first = _QUOTED.search(" ".join(lead.reasons))
    return CardReason("hot", f"«{first.group(1)}»" if first else "")


def worded(reason: CardReason, _: Translate) -> str:
    detail = _(DETAILS[reason.text]) if reason.text in DETAILS else reason.text
    template = KINDS.get(reason.kind, "{detail}")
    return _(template).format(detail=detail).rstrip(": ")
