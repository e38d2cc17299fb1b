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

Work acknowledged before it is even accepted (a Telegram update or a Meta webhook body: stored raw, then 200)
is done inside `settled()` instead, which first waits until no acceptance was in flight for SETTLE_S, so that
the short gaps between webhooks do not let it through (measured on the Telegram webhook benchmark: 80 → 386
acknowledgements/s, 8 in flight). Work that finds nothing else in flight, held or being done goes on at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

INTAKE_FIRST_S = 1.0  # the longest a turn gives way, so a steady stream of acceptances never starves turns
# A burst is over once no acceptance was in flight for this long. Shorter than the gap between the messages of a
# steady stream this machine can answer (~40 ms at 25 a second), which would otherwise wait the whole hold each;
# longer than a client's turnaround between two posts of a burst (a few ms). 50 ms made the load through Meta
# webhooks 22.7 turns/s, 15 ms 24.0.
SETTLE_S = 0.015
BURST_HOLD_S = 2.0  # the longest work acknowledged before it is done (a webhook stored raw) waits


class IntakeGate:
    def __init__(self, hold_s: float = INTAKE_FIRST_S, settle_s: float = SETTLE_S) -> None:
        self._hold_s = hold_s
        self._settle_s = settle_s
        self._accepting = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._settled = asyncio.Event()
        self._settled.set()
        self._held = 0  # acknowledged work waiting in `settled()`
        self._doing = 0  # acknowledged work being done inside `settled()`
        self._settle_timer: asyncio.TimerHandle | None = None

    @property
    def accepting(self) -> int:
        return self._accepting

    @contextmanager
    def intake(self) -> Iterator[None]:
        """Around one acceptance."""
        self._accepting += 1
        self._quiet.clear()
        self._settled.clear()
        if self._settle_timer is not None:
            self._settle_timer.cancel()
            self._settle_timer = None
        try:
            yield
        finally:
            self._accepting -= 1
            if not self._accepting:
                self._quiet.set()
                self._settle_timer = asyncio.get_running_loop().call_later(self._settle_s, self._settle)

    def _settle(self) -> None:
        self._settle_timer = None
        self._settled.set()

    async def quiet(self) -> None:
        """Return once no acceptance is in flight, or after the hold at most."""
        if self._accepting:  # under a steady stream turns go on after the hold: it only lets a burst in first
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), self._hold_s)

    @asynccontextmanager
    async def settled(self, hold_s: float = BURST_HOLD_S) -> AsyncIterator[None]:
        """Around work that was acknowledged before it was done: it starts once a burst of acceptances is over
        (none in flight for SETTLE_S), or after `hold_s` at most, so a burst is acknowledged at the pace of
        storing alone and its work follows. Work that comes alone (no acceptance in flight, no other
        acknowledged work waiting or being done) starts at once, also right after an earlier one was done.
        """
        if not self._settled.is_set() and (self._accepting or self._held or self._doing):
            self._held += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._settled.wait(), hold_s)
            finally:
                self._held -= 1
        self._doing += 1
        try:
            yield
        finally:
            self._doing -= 1
