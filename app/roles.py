"""`closer serve --role`: which share of the work one replica takes.

Every role keeps the replica heartbeat and the recovery sweep (any live replica adopts what a dead one left
unanswered) and serves /healthz, /readyz and /metrics for its probes. With Redis, turns are shared through the
turn queue (`channels.stream_turns`) by every role but `scheduler`, a conversation's order held by its shard;
without it they run where they were accepted. The bots are built everywhere to send replies and cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["all", "web", "worker", "bots", "scheduler"]
ROLES: tuple[Role, ...] = ("all", "web", "worker", "bots", "scheduler")


@dataclass(frozen=True, slots=True)
class Duties:
    web: bool  # web chat, REST API, Meta and Telegram webhooks (behind a load balancer: any number of replicas)
    bots: bool  # Telegram long polling of the customer and admin bots (one replica: Telegram allows one poller)
    scheduler: bool  # idle release, SLA alerts, follow-ups (each run claimed in Redis: once across replicas)
    turns: bool  # answers a share of the turns of the shared queue

    @classmethod
    def of(cls, role: Role) -> Duties:
        """`worker`: no entry point of its own; it answers its share of the turns and what dead replicas left."""
        everything = role == "all"
        return cls(
            web=everything or role == "web",
            bots=everything or role == "bots",
            scheduler=everything or role == "scheduler",
            turns=role != "scheduler",
        )
