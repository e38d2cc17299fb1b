"""Prometheus metrics of the message pipeline, on a registry owned by the composition root."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class PipelineMetrics:
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
