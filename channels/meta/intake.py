"""Meta webhook bodies stored raw before the 200; their events handled afterwards.

One document is all a webhook costs before it is acknowledged: handling its events first (through the hub:
contact, conversation, message, three MongoDB commands each) held a body of five customer messages for fifteen
commands, 27 acknowledgements/s (`bench.meta_webhooks`). The events are handled once the burst of webhooks has
settled (`IntakeGate.settled`), each sender's in the order their webhooks were stored, different senders'
concurrently. A body still pending after a crash is handled again at start; handling twice is harmless
(the hub drops messages it already has, statuses and deletions are idempotent, comments are claimed once),
and so is a body that storage kept from being handled for longer than the retries last: a sweep every minute
picks up what has been pending for STUCK_AFTER_S, on whichever replica runs it.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from pymongo.errors import PyMongoError

from channels.intake import BURST_HOLD_S, IntakeGate
from channels.messages import InboundMessage
from channels.meta.events import Event
from channels.ports import UpdateInbox
from channels.storage_retry import with_storage_retries

log = logging.getLogger(__name__)

EventHandler = Callable[[str, Event], Awaitable[None]]
BodyParser = Callable[[str, Any], list[Event]]
STOP_GRACE_S = 15.0
SWEEP_EVERY_S = 60.0
STUCK_AFTER_S = 300.0  # pending this long: its handling gave up (storage away) or its replica died


class MetaIntake:
    def __init__(
        self,
        inbox: UpdateInbox,
        gate: IntakeGate,
        parse: BodyParser,
        handle: EventHandler,
        *,
        sweep_every_s: float = SWEEP_EVERY_S,
        stuck_after_s: float = STUCK_AFTER_S,
    ) -> None:
        self._inbox = inbox
        self._gate = gate
        self._parse = parse
        self._handle = handle
        self._tails: dict[str, asyncio.Future[None]] = {}  # sender → when its latest scheduled events are done
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_hand: set[str] = set()  # keys of the bodies this process is handling
        self._sweep_every_s = sweep_every_s
        self._stuck_after_s = stuck_after_s
        self._sweeper: asyncio.Task[None] | None = None

    async def accept(self, channel: str, decoded: Any, events: list[Event]) -> int:
        """Store a verified, parsed body (PyMongoError when it cannot be: the caller answers 5xx and Meta
        delivers it again); the customer messages in it, 0 when the same body was stored before."""
        text = json.dumps(decoded, ensure_ascii=False, sort_keys=True)
        key = hashlib.sha256(text.encode()).hexdigest()
        with self._gate.intake():
            fresh = await self._inbox.store(channel, key, {"body": text})
        if not fresh:
            return 0
        self._schedule(channel, key, events, hold=True)
        return sum(isinstance(event, InboundMessage) for event in events)

    async def start(self, channels: list[str]) -> None:
        """Handle what the last run left pending, then sweep for bodies whose handling got stuck."""
        await self.recover(channels)
        self._sweeper = asyncio.create_task(self._sweep(channels))

    async def recover(self, channels: list[str], older_than_s: float | None = None) -> int:
        """Handle the bodies stored but not handled (before the last stop or crash, or for `older_than_s`);
        how many there were."""
        recovered = 0
        for channel in channels:
            for key, payload in await self._inbox.pending(channel, older_than_s=older_than_s):
                if key in self._in_hand:
                    continue
                try:
                    events = self._parse(channel, json.loads(payload["body"]))
                except (ValueError, TypeError, AttributeError, KeyError) as exc:  # a body an older version accepted
                    await self._inbox.mark(channel, key, "failed", error=f"{type(exc).__name__}: {exc}"[:300])
                    continue
                self._schedule(channel, key, events, hold=False)
                recovered += 1
        if recovered:
            log.info("handling %d Meta webhook bodies left pending", recovered)
        return recovered

    async def _sweep(self, channels: list[str]) -> None:
        while True:
            await asyncio.sleep(self._sweep_every_s)
            try:
                await self.recover(channels, older_than_s=self._stuck_after_s)
            except PyMongoError as exc:  # storage still away: the next sweep tries again
                log.warning("Meta webhook sweep skipped: %s", type(exc).__name__)

    async def idle(self) -> None:
        """Return once every stored body has been handled (or given up on until the next start)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Let the bodies being handled finish (bounded); what is left stays pending for the next start."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if not self._tasks:
            return
        _, unfinished = await asyncio.wait(set(self._tasks), timeout=grace_s)
        for task in unfinished:
            task.cancel()
        if unfinished:
            log.warning("stopped with %d Meta webhook bodies still pending", len(unfinished))
            await asyncio.wait(unfinished, timeout=1)

    def _schedule(self, channel: str, key: str, events: list[Event], *, hold: bool) -> None:
        """Queue each sender's events behind that sender's earlier ones, now, in the order bodies are stored."""
        by_sender: dict[str, list[Event]] = {}
        for event in events:
            by_sender.setdefault(f"{channel}:{getattr(event, 'channel_user_id', None) or ''}", []).append(event)
        turns: list[Coroutine[Any, Any, None]] = []
        for sender, group in by_sender.items():
            before = self._tails.get(sender)
            done = asyncio.get_running_loop().create_future()
            self._tails[sender] = done
            turns.append(self._in_turn(channel, sender, group, before, done))
        task = asyncio.create_task(self._body(channel, key, turns, hold))
        self._tasks.add(task)
        self._in_hand.add(key)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._in_hand.discard(key))

    async def _body(self, channel: str, key: str, turns: list[Coroutine[Any, Any, None]], hold: bool) -> None:
        try:
            async with self._gate.settled(hold_s=BURST_HOLD_S if hold else 0):
                outcomes = await asyncio.gather(*turns, return_exceptions=True)
        except asyncio.CancelledError:  # stopping: the body stays pending for the next start
            for turn in turns:
                if inspect.getcoroutinestate(turn) == inspect.CORO_CREATED:
                    turn.close()  # never started: nothing to clean up, no "never awaited" warning
            raise
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if any(isinstance(failure, PyMongoError) for failure in failures):
            log.error("%s webhook body %s left pending: storage unavailable", channel, key[:12])
            return  # handled again by the sweep or at the next start
        error = next((f"{type(f).__name__}: {f}"[:300] for f in failures), None)
        try:
            await self._inbox.mark(channel, key, "failed" if error else "done", error=error)
        except PyMongoError as exc:  # still pending: handled once more later, which answers nobody twice
            log.warning("%s webhook body %s not marked handled: %s", channel, key[:12], type(exc).__name__)

    async def _in_turn(
        self,
        channel: str,
        sender: str,
        group: list[Event],
        before: asyncio.Future[None] | None,
        done: asyncio.Future[None],
    ) -> None:
        failed: Exception | None = None
        try:
            if before is not None:
                await asyncio.shield(before)
            for event in group:
                try:
                    await with_storage_retries(f"{channel} event", self._handle, channel, event)
                except PyMongoError:
                    raise  # storage is still away: the rest of this sender's events wait for the next start
                except Exception as exc:  # one bad event does not stop the sender's next one
                    log.exception("%s webhook event failed", channel)
                    failed = failed or exc
            if failed is not None:
                raise failed
        finally:
            done.set_result(None)
            if self._tails.get(sender) is done:
                del self._tails[sender]
