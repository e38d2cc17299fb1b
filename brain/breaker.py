"""The LLM circuit breaker: after repeated failures the model is skipped for a while (served offline)."""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    """After `threshold` failures in a row the LLM is skipped for `cooldown_s`."""

    def __init__(
        self, threshold: int = 3, cooldown_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold, self.cooldown_s, self._clock = threshold, cooldown_s, clock
        self._failures = 0
        self._open_until = 0.0

    @property
    def open(self) -> bool:
        return self._clock() < self._open_until

    def success(self) -> None:
        self._failures = 0

    def failure(self) -> None:
        self._failures += 1
        if self._failures >= self.threshold:
            self._open_until = self._clock() + self.cooldown_s
            self._failures = 0
