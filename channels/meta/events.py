"""What a Meta webhook body is parsed into: customer messages, plus the events that only update state."""

from __future__ import annotations

from dataclasses import dataclass

from channels.messages import InboundMessage


class MalformedWebhook(ValueError):
    """A signed body that is not the platform's envelope: answered 400, nothing stored."""


@dataclass(slots=True)
class Skipped:
    kind: str  # delivery, read, echo, reaction, other


@dataclass(slots=True)
class Unsent:
    channel_message_id: str


@dataclass(slots=True)
class Status:
    """WhatsApp's news about one of our sends: sent, delivered, read or failed (with the error)."""

    platform_message_id: str
    status: str
    error: str | None = None


@dataclass(slots=True)
class Comment:
    """A comment on the business's Instagram post or reel (candidate for one private reply in Direct)."""

    comment_id: str
    author_id: str
    username: str | None
    text: str
    media_id: str | None
    parent_id: str | None = None


Event = InboundMessage | Skipped | Unsent | Status | Comment
