"""Counts each customer's messages in the fast state and applies `brain.flood.FloodPolicy`."""

from __future__ import annotations

from brain.flood import FloodPolicy, Verdict
from channels.ports import FastState


class FloodGate:
    def __init__(self, state: FastState, policy: FloodPolicy) -> None:
        self._state = state
        self.policy = policy

    async def check(self, contact_id: str) -> Verdict:
        silenced = await self._state.get(f"flood:silent:{contact_id}") is not None
        count = 0 if silenced else await self._state.incr(f"flood:n:{contact_id}", self.policy.window_s)
        verdict = self.policy.verdict(count, silenced)
        if verdict == "notice":
            await self._state.set(f"flood:silent:{contact_id}", "1", self.policy.silence_s)
        return verdict
