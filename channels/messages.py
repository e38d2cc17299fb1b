"""One internal message type for every channel, what each channel can render, and the two interfaces
an adapter is given: `Inbound` (hand a message in) and `OutboundChannel` (what it implements to send)."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from brain.types import CONTACT_PAYLOAD, START_PAYLOAD, BrainReply, Button, DraftSink

__all__ = [
    "CONTACT_PAYLOAD",
    "START_PAYLOAD",
    "Attachment",
    "ChannelCapabilities",
    "DeliveryError",
    "DraftSink",
    "DraftingChannel",
    "Inbound",
    "InboundMessage",
    "MediaItem",
    "OutboundChannel",
    "OutboundMessage",
    "Submitted",
    "Template",
    "TurnResult",
]


PARTNER_LINK = re.compile(r"^(partner|dealer|reseller)", re.IGNORECASE)


@dataclass(slots=True)
class Attachment:
    kind: str  # photo | video | document | audio | voice | sticker | location | other
    file_id: str | None = None
    url: str | None = None
    mime_type: str | None = None
    name: str | None = None


@dataclass(slots=True)
class InboundMessage:
    channel: str
    channel_user_id: str
    channel_message_id: str
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    payload: str | None = None
    language_hint: str | None = None
    user_name: str | None = None
    username: str | None = None
    referral: str | None = None  # where the customer came from (a deep link's or an ad's `ref`)
    phone: str | None = None  # a number the platform vouches for (WhatsApp's sender): the contact's phone
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def from_partner_link(self) -> bool:
        """Came through a partner deep link (t.me/bot?start=partner, m.me/page?ref=dealer...)."""
        return bool(self.referral and PARTNER_LINK.match(self.referral))

    def stored_meta(self) -> dict[str, object]:
        """What is kept with the stored message besides its text: attachment kinds, payload, referral."""
        meta: dict[str, object] = {"attachments": [a.kind for a in self.attachments]} if self.attachments else {}
        if self.payload:
            meta["payload"] = self.payload
        if self.referral:
            meta["referral"] = self.referral
        return meta


@dataclass(slots=True)
class MediaItem:
    kind: str  # photo | video | document
    url: str | None = None
    title: str | None = None
    data: bytes | None = None  # uploaded bytes (e.g. a file a manager sent through the admin bot)
    filename: str | None = None
    asset_id: str | None = None  # a catalogue asset: the outbox fills in bytes, a cached file id or a link
    file_id: str | None = None  # Telegram: this bot's cached file_id for the asset


@dataclass(slots=True)
class OutboundMessage:
    text: str
    buttons: list[Button] = field(default_factory=list)
    media: list[MediaItem] = field(default_factory=list)
    # Label of a "share my phone number" button, where the channel has one (Telegram); text elsewhere.
    contact_request: str | None = None
    # Meta's message tag for a send outside the 24-hour window (`HUMAN_AGENT`: a manager's reply); set by the outbox.
    tag: str | None = None
    template: Template | None = None  # a WhatsApp message template: the one thing sendable outside the window


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    language: str  # Meta's code, e.g. en_US, ru, uk
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChannelCapabilities:
    max_text: int = 4096
    max_buttons: int = 3
    button_title_max: int = 20
    supports_buttons: bool = True
    drafts: bool = False  # can show a streamed answer as it is written (Telegram's sendMessageDraft)
    # Hours after the customer's last message during which the platform accepts a reply (Meta: 24); None = any time.
    reply_window_hours: float | None = None
    # Past the window: hours during which a manager's reply may still go with the HUMAN_AGENT tag (Messenger and
    # Instagram, 7 days, when the app has the permission and the setting is on); None = not at all.
    human_agent_hours: float | None = None
    templates: bool = False  # WhatsApp: approved templates can be sent outside the window
    # Nothing leaves the process (web chat: the reply travels back in the HTTP response), so a piece is stored
    # as sent in one write instead of "sending", then "sent".
    in_process: bool = False


class DeliveryError(Exception):
    """A send failed. `transient` failures are retried; permanent ones are recorded and given up."""

    def __init__(
        self, message: str, *, transient: bool, retry_after_s: float | None = None, code: int | None = None
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after_s = retry_after_s
        self.code = code  # the platform's error code, when it gave one (Meta's `error.code`)


class OutboundChannel(Protocol):
    """Sends one message to one recipient; returns the platform's message id when there is one."""

    name: str
    capabilities: ChannelCapabilities

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None: ...


class DraftingChannel(OutboundChannel, Protocol):
    """A channel whose `capabilities.drafts` is set: an ephemeral preview that the final `send` replaces."""

    async def draft(self, recipient_id: str, draft_id: int, text: str) -> None: ...


@dataclass(slots=True)
class TurnResult:
    """What came of one inbound message: the replies sent (for channels that answer in the response)."""

    duplicate: bool = False
    conversation_id: str | None = None
    replies: list[OutboundMessage] = field(default_factory=list)
    reply: BrainReply | None = None
    # A newer message of the same customer arrived before this answer left: one answer covers them all.
    superseded: bool = False
    limited: bool = False  # over the customer's flood limit: stored, not answered (the first gets a notice)


@dataclass(slots=True)
class Submitted:
    """An accepted (or recognised as duplicate) message. `replied` resolves as soon as the reply has left
    (what a synchronous channel answers with); `outcome` when the whole turn is done (the lead refined,
    managers and CRM told)."""

    duplicate: bool
    conversation_id: str | None
    replied: Awaitable[TurnResult]
    outcome: Awaitable[TurnResult]


class Inbound(Protocol):
    """What an adapter hands its messages to. `submit` returns once the message is stored (so a webhook
    may be acknowledged) and the turn is queued; `handle` also waits for the whole turn."""

    async def submit(self, message: InboundMessage, drafts: DraftSink | None = None) -> Submitted:
        """`drafts` receives a streamed answer as it grows (a channel that shows it itself, e.g. SSE)."""
        ...

    async def handle(self, message: InboundMessage) -> TurnResult: ...

    async def earlier_answer(self, channel: str, channel_message_id: str) -> TurnResult | None:
        """For a message sent again (a client's retry): what it got the first time, marked `duplicate`; None
        while it is still unanswered."""
        ...
