"""Prometheus metrics of the message pipeline, fed by conversation events, on the composition root's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from brain.types import BrainReply, Escalation
from channels.events import ConversationListener
from channels.messages import InboundMessage
from storage.records import Conversation


class PipelineMetrics(ConversationListener):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.inbound = Counter(
            "closer_inbound_messages_total", "Customer messages accepted", ["channel"], registry=registry
        )
        self.duplicates = Counter(
            "closer_duplicate_messages_total", "Redeliveries dropped", ["channel"], registry=registry
        )
        self.replies = Counter("closer_replies_total", "Replies by brain mode", ["channel", "mode"], registry=registry)
        self.escalations = Counter("closer_escalations_total", "Conversations handed to a human", registry=registry)
        self.turn_seconds = Histogram(
            "closer_turn_seconds",
            "Time from accepted message to sent reply",
            ["channel"],
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
        )

    async def message_received(self, conversation: Conversation, inbound: InboundMessage) -> None:
        self.inbound.labels(inbound.channel).inc()

    async def duplicate_dropped(self, inbound: InboundMessage) -> None:
        self.duplicates.labels(inbound.channel).inc()

    async def reply_sent(self, conversation: Conversation, reply: BrainReply, delivered: bool, seconds: float) -> None:
        self.replies.labels(conversation.channel, reply.mode).inc()
        self.turn_seconds.labels(conversation.channel).observe(seconds)

    async def escalated(self, conversation: Conversation, escalation: Escalation) -> None:
        self.escalations.inc()
