"""Entries read from the turn shards become turns in this replica's lanes, in stream order (`StreamTurnQueue`).

Loading a message accepted elsewhere waits on the database; it runs here, off the loops that read the streams
and renew the leases, so an outage of MongoDB never costs a replica its shards. An entry is in hand from the
moment it is read until its turn is done, so nothing reads it twice meanwhile; and a message named by two
entries (the orphan sweep re-added it, or Redis lost its streams) gets one turn that settles both.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from functools import partial

from pymongo.errors import ConnectionFailure

from channels.context import Accepted
from channels.messages import TurnResult
from channels.turn_waiters import Waiters
from channels.turns import InProcessTurnQueue, copy_outcome
from storage.turn_stream import Entry

log = logging.getLogger(__name__)

LOAD_ATTEMPTS = 10  # about half a minute of retries; then the entry is left pending for the sweep of stale ones

Turn = tuple[Accepted, asyncio.Future[TurnResult] | None]  # the turn and the local waiter it settles, if any
Report = Callable[[str, str, str, asyncio.Future[TurnResult]], None]  # origin, message id, stage, outcome


class TurnDispatch:
    def __init__(
        self,
        lanes: InProcessTurnQueue[Accepted, TurnResult],
        waiters: Waiters,
        restore: Callable[[str], Awaitable[Accepted | None]],
        replica: str,
        acknowledge: Callable[[int, str], Awaitable[None]],
        report: Report,
    ) -> None:
        self._lanes = lanes
        self._waiters = waiters
        self._restore = restore  # a message accepted by another replica, loaded from the database
        self._replica = replica
        self._acknowledge = acknowledge
        self._report = report  # a result for the replica that accepted the message
        self._batches: asyncio.Queue[list[Entry]] = asyncio.Queue()
        # (shard, entry id) read here and not finished; ids alone repeat across shards (one millisecond's adds)
        self._in_hand: set[tuple[int, str]] = set()
        self._turns: dict[str, asyncio.Future[TurnResult]] = {}  # message id -> its turn running here
        self._running: defaultdict[int, int] = defaultdict(int)  # shard -> entries in hand
        self._idle: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)  # set when that count is 0
        self._side: set[asyncio.Task[None]] = set()

    def submit(self, entries: list[Entry]) -> int:
        """Queue entries just read or claimed; those already in hand here are ignored. Returns how many are new."""
        fresh = [entry for entry in entries if entry[:2] not in self._in_hand]
        for shard, entry_id, _ in fresh:
            self._in_hand.add((shard, entry_id))
            self._running[shard] += 1
            self._idle[shard].clear()
        if fresh:
            self._batches.put_nowait(fresh)
        return len(fresh)

    def has(self, message_id: str) -> bool:
        """Whether this message's turn is queued or running here."""
        return message_id in self._turns

    def running(self, shard: int) -> int:
        return self._running[shard]

    async def settle(self, shard: int) -> None:
        """Return when no entry of `shard` is in hand here."""
        if self._running[shard] > 0:
            await self._idle[shard].wait()

    async def flushed(self) -> None:
        """Return when every submitted batch is in the lanes (or set aside)."""
        await self._batches.join()

    async def run(self) -> None:
        """Load each batch together, then queue its turns in stream order."""
        while True:
            batch = await self._batches.get()
            try:
                loaded = await asyncio.gather(*(self._load(*entry) for entry in batch), return_exceptions=True)
                for (shard, entry_id, fields), turn in zip(batch, loaded, strict=True):
                    if isinstance(turn, BaseException):  # left pending: the stale sweep reads it again
                        log.error("turn entry %s could not be loaded", entry_id, exc_info=turn)
                        self._release(shard, entry_id)
                    elif turn is None:
                        self._release(shard, entry_id)
                    else:
                        self._start(shard, entry_id, fields, turn)
            finally:
                self._batches.task_done()

    def _start(self, shard: int, entry_id: str, fields: dict[str, str], turn: Turn) -> None:
        accepted, waiter = turn
        message_id = accepted.message.id
        outcome = self._turns.get(message_id)
        if outcome is None:
            outcome = self._lanes.put(fields["k"], accepted)
            self._turns[message_id] = outcome
            outcome.add_done_callback(lambda _: self._turns.pop(message_id, None))
        else:  # its first entry is still queued or running: a second turn would supersede the first, then skip
            log.info("turn entry %s names message %s, already in hand: settled by the same turn", entry_id, message_id)
        outcome.add_done_callback(partial(self._finished, shard, entry_id, fields["o"], accepted, waiter))

    async def _load(self, shard: int, entry_id: str, fields: dict[str, str]) -> Turn | None:
        """The turn an entry names: the waiter kept here, or the message loaded (its result reported back).
        None when there is nothing to answer (acknowledged) or the database stayed away (left pending)."""
        if not {"m", "k", "o"} <= fields.keys():
            log.error("turn entry %s is malformed (%s): dropped", entry_id, sorted(fields))
            await self._acknowledge(shard, entry_id)
            return None
        message_id, origin = fields["m"], fields["o"]
        waiter = self._waiters.take(message_id) if origin == self._replica else None
        if waiter is not None:
            return waiter
        try:
            restored = await self._restored(message_id)
        except Exception:
            log.exception("gave up loading message %s for turn entry %s: it is read again later", message_id, entry_id)
            return None
        if restored is None:
            log.warning("turn entry %s names message %s, which is gone", entry_id, message_id)
            await self._acknowledge(shard, entry_id)
            return None
        restored.replied = asyncio.get_running_loop().create_future()
        restored.replied.add_done_callback(partial(self._report, origin, message_id, "replied"))
        return restored, None

    async def _restored(self, message_id: str) -> Accepted | None:
        """Retried while the database is away: the shard's later turns wait behind this one anyway."""
        attempt = 0
        while True:
            try:
                return await self._restore(message_id)
            except Exception as exc:
                attempt += 1
                if attempt == LOAD_ATTEMPTS:
                    raise
                if attempt == 1:
                    log.warning("cannot load message %s for its turn (%s); retrying", message_id, type(exc).__name__)
                await asyncio.sleep(min(5.0, 0.1 * 2**attempt))

    def _finished(
        self,
        shard: int,
        entry_id: str,
        origin: str,
        accepted: Accepted,
        waiter: asyncio.Future[TurnResult] | None,
        outcome: asyncio.Future[TurnResult],
    ) -> None:
        if not outcome.cancelled():  # a no-op for the entry whose turn it was: that turn replied already
            error = outcome.exception()
            if error is None:
                accepted.reply_ready(outcome.result())
            else:
                accepted.reply_failed(error)
        if waiter is not None:
            copy_outcome(outcome, waiter)
        else:
            self._report(origin, accepted.message.id, "outcome", outcome)
        if outcome.cancelled() or isinstance(outcome.exception(), ConnectionFailure):
            # Cut short by this replica stopping, or MongoDB away for longer than the turn waited: left pending,
            # for the shard's next holder or this one's re-read of stale entries.
            self._release(shard, entry_id)
        else:
            self._spawn(self._acknowledged(shard, entry_id))

    async def _acknowledged(self, shard: int, entry_id: str) -> None:
        try:
            await self._acknowledge(shard, entry_id)
        finally:
            self._release(shard, entry_id)

    def _release(self, shard: int, entry_id: str) -> None:
        self._in_hand.discard((shard, entry_id))
        self._running[shard] -= 1
        if not self._running[shard]:
            self._idle[shard].set()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    async def quiet(self, timeout_s: float) -> None:
        """Wait (at most `timeout_s`) for acknowledgements still under way."""
        if self._side:
            await asyncio.wait(set(self._side), timeout=max(0.1, timeout_s))
