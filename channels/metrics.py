"""Prometheus metrics of the message pipeline, fed by conversation events, on the composition root's registry."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from brain.types import BrainReply, Escalation
from channels.events import ConversationListener
from channels.messages import InboundMessage
from storage.records import Conversation

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)


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
            buckets=LATENCY_BUCKETS,
        )
        self.outbound = Counter(
            "closer_outbound_messages_total",
            "Bot replies by channel and result",
            ["channel", "result"],
            registry=registry,
        )
        self.model_seconds = Histogram(
            "closer_brain_model_seconds",
            "Time the brain spent waiting on the model per turn",
            ["mode"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )
        self.queue_wait = Histogram(
            "closer_turn_queue_wait_seconds",
            "From a stored message to its turn starting (queue lag)",
            ["channel"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )
        self.tokens = Counter("closer_llm_tokens_total", "LLM tokens used by replies", ["mode"], registry=registry)
        self.cost = Counter("closer_llm_cost_usd_total", "LLM cost of replies in USD", ["mode"], registry=registry)
        self.errors = Counter("closer_errors_total", "Errors by kind", ["kind"], registry=registry)
        self.flooded = Counter(
            "closer_flood_limited_total", "Messages over a customer's flood limit", ["channel"], registry=registry
        )

    async def message_received(self, conversation: Conversation, inbound: InboundMessage) -> None:
        self.inbound.labels(inbound.channel).inc()

    async def duplicate_dropped(self, inbound: InboundMessage) -> None:
        self.duplicates.labels(inbound.channel).inc()

    async def reply_sent(self, conversation: Conversation, reply: BrainReply, delivered: bool, seconds: float) -> None:
        self.replies.labels(conversation.channel, reply.mode).inc()
        self.turn_seconds.labels(conversation.channel).observe(seconds)
        self.outbound.labels(conversation.channel, "sent" if delivered else "failed").inc()
        if not delivered:
            self.errors.labels("delivery").inc()
        if reply.usage.llm_calls:
            self.model_seconds.labels(reply.mode).observe(reply.usage.latency_ms / 1000)
            self.tokens.labels(reply.mode).inc(reply.usage.tokens)
            self.cost.labels(reply.mode).inc(reply.usage.cost_usd)

    async def turn_started(self, conversation: Conversation, waited_s: float) -> None:
        self.queue_wait.labels(conversation.channel).observe(waited_s)

    async def turn_failed(self, conversation: Conversation, error: BaseException) -> None:
        self.errors.labels("turn").inc()

    async def flood_limited(self, conversation: Conversation, inbound: InboundMessage) -> None:
        self.flooded.labels(inbound.channel).inc()

    async def escalated(self, conversation: Conversation, escalation: Escalation) -> None:
        self.escalations.inc()


def state_gauges(registry: CollectorRegistry, readings: dict[str, tuple[str, Callable[[], float]]]) -> None:
    """Gauges read when Prometheus scrapes: `name -> (help, reading)` (queue depth, breaker, cache hit rate...)."""
    for name, (help_text, reading) in readings.items():
        Gauge(name, help_text, registry=registry).set_function(reading)
