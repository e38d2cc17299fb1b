"""What the brain takes in and gives back; no channel or framework types."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from storage.leads import Lead

Mode = Literal["offline", "llm", "fallback", "canned", "cache", "guard", "learned"]
Temperature = Literal["hot", "warm", "cold"]

# Button and event payloads every channel may send.
START_PAYLOAD = "start"  # a conversation opened (/start, the web page loading)
CONTACT_PAYLOAD = "contact"  # the customer shared their own phone number (Telegram's contact button)
HUMAN_PAYLOAD = "human"  # the "talk to a manager" button

# Receives a streamed answer's text so far, as it grows; "" withdraws what was shown (the guard stopped it).
DraftSink = Callable[[str], Awaitable[None]]


@dataclass(slots=True)
class Button:
    title: str
    payload: str


@dataclass(slots=True)
class Media:
    """A file to send with the reply (partner presentations, videos, price lists)."""

    kind: str  # photo | video | document | audio
    url: str | None = None
    title: str | None = None
    asset_id: str | None = None  # a catalogue asset: each channel delivers it its own way


@dataclass(slots=True)
class HistoryItem:
    role: Literal["customer", "assistant", "manager"]
    text: str


@dataclass(slots=True)
class Turn:
    text: str  # what to answer: the customer's words, or the payload of the button they tapped
    conversation_id: str
    channel: str
    previous_language: str | None = None
    language_hint: str | None = None
    history: list[HistoryItem] = field(default_factory=list)
    summary: str | None = None  # earlier turns, condensed, for long conversations
    max_reply_chars: int = 4000
    payload: str | None = None
    attachments: list[str] = field(default_factory=list)  # kinds of what came with the message (photo, voice...)
    message_text: str = ""  # the customer's own words in this message ("" for a bare button tap)
    customer_texts: list[str] = field(default_factory=list)  # the customer's recent messages, this one last
    lead: Lead | None = None  # the conversation's lead before this turn
    audience: str = "unknown"  # the contact's: buyer | partner | unknown (partner-only assets need partner)


@dataclass(slots=True)
class Usage:
    tokens: int = 0
    cost_usd: float = 0.0
    llm_calls: int = 0
    latency_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Escalation:
    """Why a conversation needs a person: `kind` is human (asked), guard, callback...; `detail` says more."""

    kind: str
    detail: str = ""


@dataclass(slots=True)
class LeadAssessment:
    temperature: Temperature
    score: int
    reasons: list[str]
    fields: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Question:
    """A qualification question asked with the reply (`field`: need, timeline, contact...)."""

    field: str
    text: str


@dataclass(slots=True)
class BrainReply:
    """The complete decision for one customer turn."""

    text: str
    language: str
    intent: str
    mode: Mode
    buttons: list[Button] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    escalation: Escalation | None = None
    usage: Usage = field(default_factory=Usage)
    error: str | None = None
    guard: str | None = None  # what tripped (inbound) or was breached (outbound), for the audit trail
    urgency: str = "normal"
    audience: str = "unknown"
    secondary: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # extra knowledge text a tool retrieved (for the guard)
    pending_action: dict[str, str] | None = None  # a tool's action waiting for the customer's confirmation
    request_contact: bool = False  # the agent asked for contacts (LLM tool)
    contact_button: str | None = None  # label of the channel's "share my number" button, when one is offered
    lead_fields: dict[str, str] = field(default_factory=dict)  # what the customer wants, noted by a tool
    lead: LeadAssessment | None = None  # this turn's qualification (None: nothing to qualify)
    question: Question | None = None  # a qualification question to ask after the text
    unanswered: bool = False  # the bot had no answer to give: a knowledge gap (shown in the stats)
    rating: int | None = None  # the customer's CSAT answer (1-5) this turn carried

    @property
    def escalate(self) -> bool:
        return self.escalation is not None

    @property
    def full_text(self) -> str:
        """The text the customer reads: the answer, then the qualification question if any."""
        return f"{self.text}\n\n{self.question.text}" if self.question else self.text
