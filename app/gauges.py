"""Gauges of this replica's state, registered on the composition root's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from app.turn_queue import SharedTurns
from brain.service import Brain
from channels.hub import Hub
from channels.metrics import state_gauges
from storage.cache import Cache


def register_gauges(
    registry: CollectorRegistry, cache_state: Cache, brain: Brain, hub: Hub, shared: SharedTurns | None = None
) -> None:
    """State read when Prometheus scrapes: queue depth, the LLM breaker, the answer cache, Redis degraded, and
    the shards of the shared turn queue this replica reads."""

    def hit_ratio() -> float:
        cache = brain.cache
        looked = cache.hits + cache.misses if cache is not None else 0
        return cache.hits / looked if cache is not None and looked else 0.0

    state_gauges(
        registry,
        {
            "closer_turn_queue_depth": ("Turns queued or running in this replica", lambda: hub.queue_depth),
            "closer_llm_breaker_open": ("1 while the LLM circuit breaker skips the model", lambda: brain.breaker.open),
            "closer_answer_cache_hit_ratio": ("Share of answers served from the answer cache", hit_ratio),
            "closer_redis_degraded": (
                "1 while Redis is unreachable and fast state is per replica",
                lambda: getattr(cache_state, "degraded", False),
            ),
            "closer_turn_shards_owned": (
                "Shards of the shared turn queue this replica reads (0 without one)",
                lambda: shared.queue.shards_owned if shared is not None and shared.queue is not None else 0,
            ),
        },
    )
