"""Storage round-trips as a metric: every command the MongoDB driver sends, counted by name."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from pymongo import monitoring


class CommandCounter(monitoring.CommandListener):
    """`closer_storage_commands_total{command}`; `closer bench` divides it by the turns it ran."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._commands = Counter(
            "closer_storage_commands_total", "MongoDB commands sent, by command", ["command"], registry=registry
        )

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self._commands.labels(event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Counted when sent."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Counted when sent; failures are counted by kind in `closer_errors_total`."""
