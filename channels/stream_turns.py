"""The turn queue of several replicas, on Redis Streams (`storage.turn_stream`).

A replica that accepts a message (persisted first) adds it to its conversation's shard and keeps the customer's
waiter. The replica holding that shard's lease reads it and runs the turn in its own per-conversation lanes
(`InProcessTurnQueue`: order and burst merging as in one process), acknowledges it when the turn is done, and
publishes the result to the accepting replica when that is another one. Shards are shared out evenly among the
live replicas; one that dies stops renewing its leases, and whoever takes a shard claims what it had read but
not finished. A turn is never answered twice: the hub skips a message that is no longer `received`.

While Redis is down the replica answers what it accepts itself (degraded: no order across replicas).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from functools import partial

from redis.exceptions import RedisError

from channels.context import Accepted
from channels.messages import TurnResult
from channels.shard_share import ShardShare
from channels.turn_codec import encode_result
from channels.turn_waiters import Waiters
from channels.turns import InProcessTurnQueue, copy_outcome, forward
from storage.turn_stream import Entry, TurnStream

log = logging.getLogger(__name__)

READ_BATCH = 64
READ_BLOCK_MS = 500
STALE_MS = 60_000  # a pending entry idle this long and not in hand here is read again
REDIS_RETRY_S = 5.0  # while Redis is down, accepted turns try it again after this long


class StreamTurnQueue:
    def __init__(
        self,
        stream: TurnStream,
        lanes: InProcessTurnQueue[Accepted, TurnResult],
        restore: Callable[[str], Awaitable[Accepted | None]],
        replica: str,
        lease_s: float,
    ) -> None:
        self._stream = stream
        self._lanes = lanes
        self._restore = restore  # a message accepted by another replica, loaded from the database
        self._replica = replica
        self._lease_ms = int(lease_s * 1000)
        self._tick_s = min(lease_s / 3, 1.0)  # a replica that joins gets its share within seconds
        self._waiters = Waiters()  # customers waiting here, whichever replica answers their turn
        self._adding: asyncio.Queue[tuple[str, Accepted]] = asyncio.Queue()
        self._share = ShardShare(stream, replica, self._lease_ms, self._take, self._settle)
        self._running: defaultdict[int, int] = defaultdict(int)  # shard -> turns read and not finished
        self._idle: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)  # set when that count is 0
        # (shard, entry id) read here and not finished; ids alone repeat across shards (one millisecond's adds)
        self._in_hand: set[tuple[int, str]] = set()
        self._reading = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._side: set[asyncio.Task[None]] = set()
        self._down = False
        self._retry_at = 0.0
        self._stopping = False
        self._reader: asyncio.Task[None] | None = None

    async def start(self, consume: bool) -> None:
        """Start adding and listening for results; with `consume`, also take a share of the shards."""
        await self._stream.ensure_groups()
        loops = [self._add_loop(), self._results_loop()]
        if consume:
            loops += [self._balance_loop(), self._read_loop()]
        self._tasks = [asyncio.create_task(loop, name="turn-stream") for loop in loops]
        self._reader = self._tasks[-1] if consume else None

    # -- accepting ---------------------------------------------------------------------------------------------

    def put(self, key: str, turn: Accepted) -> asyncio.Future[TurnResult]:
        future = self._waiters.add(turn)
        self._adding.put_nowait((key, turn))
        return future

    async def _add_loop(self) -> None:
        """One writer, so a conversation's messages reach their stream in the order they were accepted."""
        while True:
            batch = [await self._adding.get()]
            while not self._adding.empty() and len(batch) < 200:
                batch.append(self._adding.get_nowait())
            try:
                if self._down and time.monotonic() < self._retry_at:
                    raise ConnectionError("Redis was unreachable moments ago")  # do not wait on its timeout again
                await self._stream.add_many(
                    [(key, {"m": t.message.id, "k": key, "o": self._replica}) for key, t in batch]
                )
                self._redis_back()
            except (RedisError, OSError) as exc:
                self._redis_down(exc)
                for key, turn in batch:  # answered here, unordered across replicas, until Redis is back
                    waiter = self._waiters.take(turn.message.id)
                    if waiter is not None:
                        forward(self._lanes.put(key, turn), waiter[1])
            finally:
                for _ in batch:
                    self._adding.task_done()

    # -- reading and answering -----------------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        while True:
            async with self._reading:
                shards = sorted(self._share.owned)
                if shards:
                    try:
                        await self._dispatch(await self._stream.read(self._replica, shards, READ_BATCH, READ_BLOCK_MS))
                        self._redis_back()
                    except (RedisError, OSError) as exc:
                        self._redis_down(exc)
                    except Exception:  # what was read stays pending and is read again by `_reclaim_stale`
                        log.exception("reading turns failed")
                        await asyncio.sleep(self._tick_s)
            if not shards or self._down:
                await asyncio.sleep(self._tick_s)

    async def _dispatch(self, entries: list[Entry]) -> None:
        """Messages accepted elsewhere are loaded together; their turns are queued in stream order."""
        fresh = [entry for entry in entries if entry[:2] not in self._in_hand]
        loaded = await asyncio.gather(*(self._load(*entry) for entry in fresh))
        for (shard, entry_id, fields), turn in zip(fresh, loaded, strict=True):
            if turn is None:
                continue
            accepted, future = turn
            self._in_hand.add((shard, entry_id))
            self._running[shard] += 1
            self._idle[shard].clear()
            outcome = self._lanes.put(fields["k"], accepted)
            outcome.add_done_callback(partial(self._finished, shard, entry_id, fields["o"], fields["m"], future))

    async def _load(
        self, shard: int, entry_id: str, fields: dict[str, str]
    ) -> tuple[Accepted, asyncio.Future[TurnResult] | None] | None:
        """The turn an entry names: the waiter kept here, or the message loaded (its result reported back)."""
        if not {"m", "k", "o"} <= fields.keys():
            log.error("turn entry %s is malformed (%s): dropped", entry_id, sorted(fields))
            await self._stream.done(shard, entry_id)
            return None
        message_id, origin = fields["m"], fields["o"]
        waiter = self._waiters.take(message_id) if origin == self._replica else None
        if waiter is not None:
            return waiter
        restored = await self._restored(message_id)
        if restored is None:
            log.warning("turn entry %s names message %s, which is gone", entry_id, message_id)
            await self._stream.done(shard, entry_id)
            return None
        restored.replied = asyncio.get_running_loop().create_future()
        restored.replied.add_done_callback(partial(self._report, origin, message_id, "replied"))
        return restored, None

    async def _restored(self, message_id: str) -> Accepted | None:
        """Retried while the database is down: the shard's later turns must wait behind this one anyway."""
        attempt = 0
        while True:
            try:
                return await self._restore(message_id)
            except Exception:
                if attempt == 0:
                    log.exception("cannot load message %s for its turn; retrying", message_id)
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
                attempt += 1

    def _finished(
        self,
        shard: int,
        entry_id: str,
        origin: str,
        message_id: str,
        future: asyncio.Future[TurnResult] | None,
        outcome: asyncio.Future[TurnResult],
    ) -> None:
        if future is not None:
            copy_outcome(outcome, future)
        else:
            self._report(origin, message_id, "outcome", outcome)
        self._spawn(self._acknowledge(shard, entry_id))

    async def _acknowledge(self, shard: int, entry_id: str) -> None:
        try:
            await self._stream.done(shard, entry_id)
        except (RedisError, OSError) as exc:  # stays pending: a later holder's claim finds it answered and skips it
            log.warning("could not acknowledge turn entry %s (%s)", entry_id, type(exc).__name__)
        finally:
            self._in_hand.discard((shard, entry_id))
            self._running[shard] -= 1
            if not self._running[shard]:
                self._idle[shard].set()

    def _report(self, origin: str, message_id: str, stage: str, done: asyncio.Future[TurnResult]) -> None:
        if done.cancelled():
            return
        error = done.exception()
        payload = encode_result(message_id, stage, None if error else done.result(), error)
        self._spawn(self._publish(origin, payload))

    async def _publish(self, origin: str, payload: str) -> None:
        try:
            await self._stream.publish(origin, payload)
        except (RedisError, OSError) as exc:  # the customer's waiter there times out; the answer itself went out
            log.warning("could not report a turn's result to replica %s (%s)", origin, type(exc).__name__)

    async def _results_loop(self) -> None:
        while True:
            try:
                async for payload in self._stream.results(self._replica):
                    self._waiters.resolve(json.loads(payload))
            except (RedisError, OSError) as exc:
                self._redis_down(exc)
                await asyncio.sleep(self._tick_s)

    # -- sharing the shards ------------------------------------------------------------------------------------

    async def _balance_loop(self) -> None:
        while True:
            try:
                await self._share.balance(share=not self._stopping)
                if not self._stopping:
                    await self._reclaim_stale()
            except (RedisError, OSError) as exc:
                self._redis_down(exc)
            self._waiters.expire()
            await asyncio.sleep(self._tick_s)

    async def _reclaim_stale(self) -> None:
        """Entries of this replica's shards read long ago and not in hand here (a read cut short, an
        acknowledgement lost while Redis was away) are read again; the hub skips those already answered."""
        for shard in sorted(self._share.owned):
            stale = await self._stream.claim_pending(self._replica, shard, STALE_MS)
            if stale:
                log.warning("turn shard %d: %d entries left unfinished are read again", shard, len(stale))
                await self._dispatch(stale)

    async def _take(self, shard: int) -> None:
        """Claim what the shard's previous holder read and did not finish."""
        claimed = await self._stream.claim_pending(self._replica, shard)
        if claimed:
            log.info("turn shard %d: took over %d unfinished turns", shard, len(claimed))
        await self._dispatch(claimed)

    async def _settle(self, shard: int) -> None:
        async with self._reading:  # a read already under way may still bring this shard's entries
            pass
        if self._running[shard] > 0:
            await self._idle[shard].wait()

    # -- the TurnQueue interface -----------------------------------------------------------------------------

    def waiting(self, key: str) -> int:
        return self._lanes.waiting(key)

    @property
    def pending(self) -> int:
        return self._lanes.pending + len(self._waiters)

    @property
    def shards_owned(self) -> int:
        return len(self._share.owned)

    async def drain(self, timeout_s: float) -> bool:
        """Stop reading, finish what was read, then give the shards up at once (others claim what is left)."""
        if not self._tasks:
            return await self._lanes.drain(timeout_s)
        deadline = time.monotonic() + timeout_s
        with contextlib.suppress(TimeoutError):  # what was accepted reaches the stream before this replica goes
            await asyncio.wait_for(self._adding.join(), timeout_s)
        self._stopping = True  # the leases are still renewed: nobody may take these turns while they run
        if self._reader is not None:
            self._reader.cancel()  # nothing new is read
        finished = await self._lanes.drain(max(0.0, deadline - time.monotonic()))
        if self._side:
            await asyncio.wait(set(self._side), timeout=max(0.1, deadline - time.monotonic()))
        try:
            await self._share.give_up()
        except (RedisError, OSError) as exc:
            log.warning("could not give the turn shards up (%s): they are taken when the leases expire", exc)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        return finished

    # -- helpers -------------------------------------------------------------------------------------------------

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    def _redis_down(self, exc: BaseException) -> None:
        self._retry_at = time.monotonic() + REDIS_RETRY_S
        if not self._down:
            log.error("Redis is unreachable (%s): turns are answered where they are accepted", type(exc).__name__)
        self._down = True

    def _redis_back(self) -> None:
        if self._down:
            log.warning("Redis is back: turns are shared among the replicas again")
        self._down = False
