"""What the brain takes in and gives back; no channel or framework types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["offline", "llm", "fallback", "canned", "cache", "guard", "learned"]


@dataclass(slots=True)
class Button:
    title: str
    payload: str


@dataclass(slots=True)
class HistoryItem:
    role: Literal["customer", "assistant", "manager"]
    text: str


@dataclass(slots=True)
class Turn:
    text: str
    conversation_id: str
    channel: str
    previous_language: str | None = None
    language_hint: str | None = None
    history: list[HistoryItem] = field(default_factory=list)
    summary: str | None = None  # earlier turns, condensed, for long conversations
    max_reply_chars: int = 4000
    payload: str | None = None


@dataclass(slots=True)
class Usage:
    tokens: int = 0
    cost_usd: float = 0.0
    llm_calls: int = 0
    latency_ms: float = 0.0


@dataclass(slots=True)
class BrainReply:
    text: str
    language: str
    intent: str
    mode: Mode
    buttons: list[Button] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    escalate: bool = False
    usage: Usage = field(default_factory=Usage)
    error: str | None = None
    guard: str | None = None  # what tripped (inbound) or was breached (outbound), for the audit trail
    urgency: str = "normal"
    audience: str = "unknown"
    secondary: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # extra knowledge text a tool retrieved (for the guard)
    pending_action: dict[str, str] | None = None  # a tool's action waiting for the customer's confirmation
    request_contact: bool = False  # offer the channel's "share my number" button with this reply
    lead_fields: dict[str, str] = field(default_factory=dict)  # what the customer wants, noted by a tool


HUMAN_PAYLOAD = "human"
