"""Meta webhook bodies stored raw before the 200; their events handled afterwards.

One document is all a webhook costs before it is acknowledged: handling its events first (through the hub:
contact, conversation, message, three MongoDB commands each) held a body of five customer messages for fifteen
commands, 27 acknowledgements/s (`bench.meta_webhooks`). The events are handled once the burst of webhooks has
settled (`IntakeGate.settled`), each sender's in the order their webhooks were stored, different senders'
concurrently; a sender's bodies after one that storage kept from being handled wait with it.

The replica that stored a body holds it; one whose holder is gone, or that nobody has held for a while, is
taken up by one live replica, at its start or by its sweep (`channels.left_behind`). Handling a body twice is
harmless anyway (the hub drops messages it already has, statuses and deletions are idempotent, comments are
claimed once).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from pymongo.errors import ConnectionFailure, PyMongoError

from channels.intake import BURST_HOLD_S, IntakeGate
from channels.left_behind import LeftBehind
from channels.messages import InboundMessage
from channels.meta.events import Event
from channels.storage_retry import failure_text, with_storage_retries

log = logging.getLogger(__name__)

EventHandler = Callable[[str, Event], Awaitable[None]]
BodyParser = Callable[[str, Any], list[Event]]
STOP_GRACE_S = 10.0
Turn = tuple[Coroutine[Any, Any, None], "asyncio.Future[bool]"]  # one sender's events, and when they are done


class LeftPending(Exception):
    """An earlier body of the same sender is waiting for storage: this one waits with it, in order."""


class MetaIntake:
    def __init__(
        self,
        held: LeftBehind,
        gate: IntakeGate,
        parse: BodyParser,
        handle: EventHandler,
    ) -> None:
        self._held = held
        self._gate = gate
        self._parse = parse
        self._handle = handle
        # sender → resolves when its latest scheduled events are done: True when they were left pending
        self._tails: dict[str, asyncio.Future[bool]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}  # the bodies this process is handling, by key
        self._sweeper: asyncio.Task[None] | None = None

    async def accept(self, channel: str, decoded: Any, events: list[Event]) -> int:
        """Store a verified, parsed body (PyMongoError when it cannot be: the caller answers 5xx and Meta
        delivers it again); the customer messages in it, 0 when the same body was stored before."""
        text = json.dumps(decoded, ensure_ascii=False, sort_keys=True)
        key = hashlib.sha256(text.encode()).hexdigest()
        with self._gate.intake():
            fresh = await self._held.store(channel, key, {"body": text})
        if not fresh:
            return 0
        self._schedule(channel, key, events, hold=True)
        return sum(isinstance(event, InboundMessage) for event in events)

    async def start(self, channels: list[str]) -> None:
        """Take up what a stopped or dead process left behind, then sweep for it."""
        await self.recover(channels)
        self._sweeper = self._held.sweep(lambda: self.recover(channels), "Meta webhook")

    async def recover(self, channels: list[str]) -> int:
        """Handle the bodies left behind (each taken up by one process); how many."""
        recovered = 0
        for channel in channels:
            for key, payload in await self._held.take(channel, busy=self._tasks):
                try:
                    events = self._parse(channel, json.loads(payload["body"]))
                except (ValueError, TypeError, AttributeError, KeyError) as exc:  # a body an older version accepted
                    await self._held.mark(channel, key, "failed", error=failure_text(exc))
                    continue
                self._schedule(channel, key, events, hold=False)
                recovered += 1
        if recovered:
            log.info("handling %d Meta webhook bodies another run left pending", recovered)
        return recovered

    async def idle(self) -> None:
        """Return once every stored body has been handled (or left pending for a later sweep)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks.values()))

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Let the bodies being handled finish (bounded); what is left stays pending for a sweep."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if not self._tasks:
            return
        _, unfinished = await asyncio.wait(list(self._tasks.values()), timeout=grace_s)
        for task in unfinished:
            task.cancel()
        if unfinished:
            log.warning("stopped with %d Meta webhook bodies still pending", len(unfinished))
            await asyncio.wait(unfinished, timeout=1)

    def _schedule(self, channel: str, key: str, events: list[Event], *, hold: bool) -> None:
        """Queue each sender's events behind that sender's earlier ones, now, in the order bodies are stored.
        Events without a sender (statuses, deletions, comments) have no order to keep and wait for nobody."""
        groups: list[tuple[str | None, list[Event]]] = []
        by_sender: dict[str, list[Event]] = {}
        for event in events:
            user = getattr(event, "channel_user_id", None)
            if user:
                by_sender.setdefault(f"{channel}:{user}", []).append(event)
            else:
                groups.append((None, [event]))
        turns: list[Turn] = []
        for sender, group in [*by_sender.items(), *groups]:
            before = self._tails.get(sender) if sender else None
            done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            if sender:
                self._tails[sender] = done
            turns.append((self._in_turn(channel, sender, group, before, done), done))
        task = asyncio.create_task(self._body(channel, key, turns, hold))
        self._tasks[key] = task
        task.add_done_callback(lambda _: self._tasks.pop(key, None))

    async def _body(self, channel: str, key: str, turns: list[Turn], hold: bool) -> None:
        try:
            async with self._gate.settled(hold_s=BURST_HOLD_S if hold else 0):
                outcomes = await asyncio.gather(*(turn for turn, _ in turns), return_exceptions=True)
        except asyncio.CancelledError:  # stopping: the body stays pending for a sweep
            for turn, done in turns:
                if inspect.getcoroutinestate(turn) == inspect.CORO_CREATED:
                    turn.close()  # never started: nothing to clean up, no "never awaited" warning
                if not done.done():
                    done.set_result(True)  # the sender's later bodies wait for the sweep too
            raise
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if any(isinstance(failure, ConnectionFailure | LeftPending) for failure in failures):
            log.error("%s webhook body %s left pending: storage unavailable", channel, key[:12])
            return  # taken up by a sweep once nobody has held it for a while
        error = next((failure_text(f) for f in failures), None)
        try:
            await self._held.mark(channel, key, "failed" if error else "done", error=error)
        except PyMongoError as exc:  # still pending: handled once more later, which answers nobody twice
            log.warning("%s webhook body %s not marked handled: %s", channel, key[:12], type(exc).__name__)

    async def _in_turn(
        self,
        channel: str,
        sender: str | None,
        group: list[Event],
        before: asyncio.Future[bool] | None,
        done: asyncio.Future[bool],
    ) -> None:
        failed: Exception | None = None
        left_pending = False
        try:
            if before is not None and await asyncio.shield(before):
                left_pending = True
                raise LeftPending(f"an earlier body of {sender} is waiting for storage")
            for event in group:
                try:
                    await with_storage_retries(f"{channel} event", self._handle, channel, event)
                except ConnectionFailure:
                    left_pending = True  # the rest of this sender's events (and bodies) wait, in order
                    raise
                except Exception as exc:  # one bad event does not stop the sender's next one
                    log.exception("%s webhook event failed", channel)
                    failed = failed or exc
            if failed is not None:
                raise failed
        finally:
            if not done.done():
                done.set_result(left_pending)
            if sender and self._tails.get(sender) is done:
                del self._tails[sender]
