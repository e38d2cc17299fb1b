"""Conversation events: one interface with named methods, one fan-out to every subscriber.

Side effects of a turn (manager cards, CRM webhooks, metrics, the audit trail) subscribe here instead
of hanging on lists of callables. A subscriber overrides only the events it cares about; the fan-out
runs every subscriber, logs a failing one and carries on, so a broken alert never loses a turn.
"""

from __future__ import annotations

import logging

from brain.types import BrainReply, Escalation
from channels.messages import InboundMessage
from storage.leads import Lead, LeadChange
from storage.records import Conversation

log = logging.getLogger(__name__)


class ConversationListener:
    """Named no-op hooks; subclasses override what they handle (the model: openai-agents' RunHooksBase)."""

    async def message_received(self, conversation: Conversation, inbound: InboundMessage) -> None:
        """A customer message was accepted (deduplicated and stored)."""

    async def duplicate_dropped(self, inbound: InboundMessage) -> None:
        """A redelivered message was recognised and dropped."""

    async def message_for_human(self, conversation: Conversation, inbound: InboundMessage) -> None:
        """A customer wrote while a manager owns the conversation: the manager must see it."""

    async def escalated(self, conversation: Conversation, escalation: Escalation) -> None:
        """The conversation moved from the bot to `pending_human`."""

    async def lead_changed(self, change: LeadChange, conversation: Conversation) -> None:
        """A customer turn re-qualified the lead (created, warmer, colder or the same)."""

    async def lead_became_hot(self, lead: Lead, conversation: Conversation) -> None:
        """The lead rose to Hot on this turn (exactly one writer sees the rise)."""

    async def lead_closed(self, lead: Lead, conversation: Conversation, manager_id: int) -> None:
        """A manager marked the lead won or lost (or reopened it: `lead.status` says which)."""

    async def taken_over(self, conversation: Conversation, manager_id: int) -> None:
        """A manager took the conversation (compare-and-set won)."""

    async def released(self, conversation: Conversation, manager_id: int | None, reason: str) -> None:
        """The conversation went back to the bot (`reason`: manager, idle...)."""

    async def reply_sent(self, conversation: Conversation, reply: BrainReply, delivered: bool, seconds: float) -> None:
        """The bot's answer to a turn left through the outbox (or failed to)."""

    async def turn_started(self, conversation: Conversation, waited_s: float) -> None:
        """A turn left the queue, `waited_s` after its message was stored."""

    async def turn_failed(self, conversation: Conversation, error: BaseException) -> None:
        """A turn raised (logged by the queue; the message stays unanswered for a retry)."""

    async def flood_limited(self, conversation: Conversation, inbound: InboundMessage) -> None:
        """A message over the customer's flood limit was stored and not answered."""


class ConversationEvents(ConversationListener):
    """The fan-out: every hook calls every subscriber in order, isolating failures."""

    def __init__(self, subscribers: list[ConversationListener] | None = None) -> None:
        self._subscribers: list[ConversationListener] = list(subscribers or [])

    def subscribe(self, subscriber: ConversationListener) -> None:
        self._subscribers.append(subscriber)

    async def _publish(self, event: str, *args: object) -> None:
        for subscriber in self._subscribers:
            try:
                await getattr(subscriber, event)(*args)
            except Exception:  # a subscriber's failure (an alert, a CRM) must not lose the turn; it is logged
                log.exception("%s failed on %s", type(subscriber).__name__, event)

    async def message_received(self, conversation: Conversation, inbound: InboundMessage) -> None:
        await self._publish("message_received", conversation, inbound)

    async def duplicate_dropped(self, inbound: InboundMessage) -> None:
        await self._publish("duplicate_dropped", inbound)

    async def message_for_human(self, conversation: Conversation, inbound: InboundMessage) -> None:
        await self._publish("message_for_human", conversation, inbound)

    async def escalated(self, conversation: Conversation, escalation: Escalation) -> None:
        await self._publish("escalated", conversation, escalation)

    async def lead_changed(self, change: LeadChange, conversation: Conversation) -> None:
        await self._publish("lead_changed", change, conversation)

    async def lead_became_hot(self, lead: Lead, conversation: Conversation) -> None:
        await self._publish("lead_became_hot", lead, conversation)

    async def lead_closed(self, lead: Lead, conversation: Conversation, manager_id: int) -> None:
        await self._publish("lead_closed", lead, conversation, manager_id)

    async def taken_over(self, conversation: Conversation, manager_id: int) -> None:
        await self._publish("taken_over", conversation, manager_id)

    async def released(self, conversation: Conversation, manager_id: int | None, reason: str) -> None:
        await self._publish("released", conversation, manager_id, reason)

    async def reply_sent(self, conversation: Conversation, reply: BrainReply, delivered: bool, seconds: float) -> None:
        await self._publish("reply_sent", conversation, reply, delivered, seconds)

    async def turn_started(self, conversation: Conversation, waited_s: float) -> None:
        await self._publish("turn_started", conversation, waited_s)

    async def turn_failed(self, conversation: Conversation, error: BaseException) -> None:
        await self._publish("turn_failed", conversation, error)

    async def flood_limited(self, conversation: Conversation, inbound: InboundMessage) -> None:
        await self._publish("flood_limited", conversation, inbound)
