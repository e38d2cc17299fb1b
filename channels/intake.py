"""Intake first: while messages are being accepted (deduped and stored, so that their webhook can be
acknowledged), new turns wait a moment before they start.

Both share one event loop. Under a burst a turn costs the loop many times what an acceptance does, so turns
started in the middle of the burst would slow every acknowledgement behind them, and platforms redeliver what
they do not see acknowledged in time. A lone message is never held: its own acceptance is over when its turn
starts, and nothing else is in flight.

The hub waits here inside a turn's running slot, on purpose: while acceptances go on, at most that many
turns (MAX_RUNNING_TURNS) start per hold. Waiting before the slot was measured and not kept: every queued
turn slipped through the first quiet instant between two webhooks, and acknowledgement fell back to where it
was without the gate (20.5 against 26 webhooks/s).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

INTAKE_FIRST_S = 1.0  # the longest a turn gives way, so a steady stream of acceptances never starves turns


class IntakeGate:
    def __init__(self, hold_s: float = INTAKE_FIRST_S) -> None:
        self._hold_s = hold_s
        self._accepting = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @property
    def accepting(self) -> int:
        return self._accepting

    @contextmanager
    def intake(self) -> Iterator[None]:
        """Around one acceptance."""
        self._accepting += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._accepting -= 1
            if not self._accepting:
                self._quiet.set()

    async def quiet(self) -> None:
        """Return once no acceptance is in flight, or after the hold at most."""
        if self._accepting:  # under a steady stream turns go on after the hold: it only lets a burst in first
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), self._hold_s)
