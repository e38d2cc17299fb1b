"""Tools the support agent may call in LLM mode: small typed functions whose docstrings describe them.

A tool that changes something the customer cares about (a call-back) does not act: it asks the
customer to confirm with buttons, and the brain acts on the confirmation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from brain.knowledge.passages import Passage

Search = Callable[[str, str | None], Awaitable[list[Passage]]]


class SearchKnowledge(BaseModel):
    """Search the company's knowledge base. `query`: what to look for; `namespace`: kb, partner or faq."""

    query: str = Field(min_length=2, max_length=300)
    namespace: str | None = Field(default=None, pattern="^(kb|partner|faq)$")


class Escalate(BaseModel):
    """Ask a human manager to join this chat. `reason`: one short sentence for the manager."""

    reason: str = Field(min_length=2, max_length=300)


class RequestCallback(BaseModel):
    """Offer the customer a phone call from a manager. `phone`: the number the customer gave;
    `when`: the time they asked for. The customer confirms with a button before anything happens."""

    phone: str
    when: str = Field(min_length=1, max_length=100)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if sum(ch.isdigit() for ch in value) < 9 or re.search(r"[^\d\s()+.-]", value):
            raise ValueError("phone must be a phone number with at least 9 digits")
        return value.strip()


class RequestContact(BaseModel):
    """Ask the customer for a phone number or email so a manager can follow up; where the channel can, they
    also get a "share my number" button. `reason`: why you ask, in a few words."""

    reason: str = Field(min_length=2, max_length=200)


class UpdateLead(BaseModel):
    """Note for the sales team what the customer wants, in their own words (short phrases; give only what
    they said): `need`, `product_interest`, `quantity`, `timeline`, `budget`."""

    model_config = ConfigDict(extra="forbid")

    need: str | None = Field(default=None, max_length=200)
    product_interest: str | None = Field(default=None, max_length=200)
    quantity: str | None = Field(default=None, max_length=100)
    timeline: str | None = Field(default=None, max_length=100)
    budget: str | None = Field(default=None, max_length=100)


TOOLS: dict[str, type[BaseModel]] = {
    "search_knowledge": SearchKnowledge,
    "escalate": Escalate,
    "request_callback": RequestCallback,
    "request_contact": RequestContact,
    "update_lead": UpdateLead,
}


def tool_specs(allowed: list[str]) -> list[dict[str, Any]]:
    """OpenAI tool definitions for the tools a playbook category allows (shared: read, never changed)."""
    return [_tool_spec(name) for name in allowed if name in TOOLS]


@cache
def _tool_spec(name: str) -> dict[str, Any]:
    """Built once per tool: pydantic's JSON schema costs about half a millisecond a model, every LLM turn."""
    model = TOOLS[name]
    schema = model.model_json_schema()
    schema.pop("title", None)
    description = (model.__doc__ or "").strip().replace("\n    ", " ")
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


@dataclass(slots=True)
class ToolEffects:
    escalation: str | None = None  # the agent's reason for asking a manager in
    confirm: dict[str, str] | None = None
    passages: list[Passage] = field(default_factory=list)
    errors: int = 0
    request_contact: bool = False
    lead_fields: dict[str, str] = field(default_factory=dict)


async def run_tool(name: str, raw_arguments: str, search: Search, effects: ToolEffects) -> str:
    """Run one tool call; bad arguments come back to the model as an error it can correct."""
    model = TOOLS.get(name)
    if model is None:
        effects.errors += 1
        return f"error: unknown tool {name!r}"
    try:
        args = model.model_validate(json.loads(raw_arguments or "{}"))
    except (json.JSONDecodeError, ValidationError) as exc:
        effects.errors += 1
        return f"error: invalid arguments for {name}: {str(exc)[:300]}"
    if isinstance(args, SearchKnowledge):
        found = await search(args.query, args.namespace)
        effects.passages += found
        return "\n\n".join(f"[{p.title} — {p.section}] {p.text}" for p in found) or "nothing found"
    if isinstance(args, Escalate):
        effects.escalation = args.reason
        return "ok: a manager has been asked to join this chat"
    if isinstance(args, RequestContact):
        effects.request_contact = True
        return "ok: ask the customer for their phone or email in your reply"
    if isinstance(args, UpdateLead):
        noted = {k: v.strip() for k, v in args.model_dump().items() if v and v.strip()}
        if not noted:
            effects.errors += 1
            return "error: give at least one of need, product_interest, quantity, timeline, budget"
        effects.lead_fields.update(noted)
        return "ok: noted for the sales team: " + ", ".join(noted)
    assert isinstance(args, RequestCallback)
    effects.confirm = {"action": "callback", "phone": args.phone, "when": args.when}
    return "pending: the customer sees Yes/No buttons to confirm the call-back; ask them to tap Yes"
