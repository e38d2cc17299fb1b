"""What one turn reads, loaded once when it starts, and the brain's view of it (`Turn`)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from brain.types import DraftSink, HistoryItem, Turn
from channels.messages import InboundMessage, TurnResult
from storage.leads import Lead
from storage.records import Contact, Conversation, StoredMessage

if TYPE_CHECKING:
    from channels.stores import Stores

MEMORY_MESSAGES = 60  # messages loaded per turn; the older ones are condensed into a rolling summary
RECENT_TURNS = 12  # verbatim history given to the brain
QUALIFY_MESSAGES = 10  # the customer's last messages the lead is judged on


def rolling_summary(older: list[HistoryItem], limit: int = 8) -> str | None:
    """What the customer said before the recent window, condensed: their last `limit` earlier messages."""
    said = [" ".join(item.text.split())[:120] for item in older if item.role == "customer"]
    return "; ".join(said[-limit:]) or None


@dataclass(slots=True)
class Accepted:
    inbound: InboundMessage
    contact: Contact
    conversation: Conversation
    message: StoredMessage
    replied: asyncio.Future[TurnResult] | None = None  # resolved when the reply has left (see Submitted)
    drafts: DraftSink | None = None  # the adapter's own sink for a streamed answer (web chat SSE)

    def reply_ready(self, result: TurnResult) -> None:
        if self.replied is not None and not self.replied.done():
            self.replied.set_result(result)

    def reply_failed(self, error: BaseException) -> None:
        if self.replied is not None and not self.replied.done():
            self.replied.set_exception(error)
            self.replied.exception()  # retrieved: the turn's own outcome carries the error to its waiter


@dataclass(slots=True)
class TurnContext:
    """Everything a turn reads, loaded once when it starts."""

    accepted: Accepted
    conversation: Conversation  # as it is now: a manager may have taken it while the turn waited
    history: list[StoredMessage]  # the messages before this one, oldest first
    lead: Lead | None
    started: float
    handled: bool = False  # the message was already answered (or set aside) by an earlier run of its turn
    covered: bool = False  # a later message was answered, with this one in its history (this turn runs late)

    def superseded_texts(self) -> list[str]:
        """The customer's messages since the last answer that were left for this turn to answer with it."""
        texts: list[str] = []
        for message in reversed(self.history):
            if message.direction == "out":
                break
            if message.status == "superseded" and message.text.strip():
                texts.insert(0, message.text.strip())
        return texts

    def customer_texts(self) -> list[str]:
        texts = [m.text for m in self.history if m.direction == "in" and m.text.strip()]
        if self.accepted.inbound.text.strip():
            texts.append(self.accepted.inbound.text)
        return texts[-QUALIFY_MESSAGES:]

    def turn(self) -> Turn:
        """The brain's view of this turn."""
        inbound, conversation = self.accepted.inbound, self.conversation
        words = "\n".join([*self.superseded_texts(), inbound.text.strip()]).strip()
        items = [
            HistoryItem("customer" if m.direction == "in" else "assistant", m.text) for m in self.history if m.text
        ]
        return Turn(
            text=words or (inbound.payload or ""),
            conversation_id=conversation.id,
            channel=inbound.channel,
            previous_language=conversation.language,
            language_hint=inbound.language_hint,
            history=items[-RECENT_TURNS:],
            summary=rolling_summary(items[:-RECENT_TURNS]),
            payload=inbound.payload,
            attachments=[a.kind for a in inbound.attachments],
            message_text=words if inbound.text.strip() else inbound.text,
            customer_texts=self.customer_texts(),
            lead=self.lead,
            audience=self.accepted.contact.audience,
        )


async def load_context(stores: Stores, accepted: Accepted) -> TurnContext:
    """What the turn of `accepted` reads, in one round of concurrent queries."""
    started = time.perf_counter()
    conversation_id, message = accepted.conversation.id, accepted.message
    current, recent, lead = await asyncio.gather(
        stores.conversations.get(conversation_id),
        stores.messages.recent(conversation_id, limit=MEMORY_MESSAGES),
        stores.leads.by_conversation(conversation_id),
    )
    # Customer messages that arrived after this one (a burst waiting in the queue) belong to their own
    # turns; replies sent meanwhile (to the earlier ones) are history. A later one that gave way to this
    # turn (queued again out of order, after Redis lost its streams) is this turn's to answer too.
    history = [
        m
        for m in recent
        if m.id != message.id
        and (m.direction == "out" or m.created_at <= message.created_at or m.status == "superseded")
    ]
    later = [m for m in recent if m.direction == "in" and m.id != message.id and m.created_at > message.created_at]
    mine = next((m for m in recent if m.id == message.id), None)
    if mine is None:  # further back than the memory (a long burst queued behind it): asked for itself
        mine = await stores.messages.get(message.id)
    handled = mine is None or mine.status != "received"
    covered = any(m.status == "answered" for m in later)
    return TurnContext(accepted, current or accepted.conversation, history, lead, started, handled, covered)
