"""The turn queue of several replicas, on Redis Streams (`storage.turn_stream`).

A replica that accepts a message (persisted first) adds it to its conversation's shard and keeps the customer's
waiter. The replica holding that shard's lease reads it and runs the turn in its own per-conversation lanes
(`InProcessTurnQueue`: order and burst merging as in one process), acknowledges it when the turn is done, and
publishes the result to the accepting replica when that is another one. Shards are shared out evenly among the
live replicas; one that dies stops renewing its leases, and whoever takes a shard claims what it had read but
not finished (`TurnDispatch` turns entries into turns). A turn is never answered twice: the hub skips a
message that is no longer `received`.

While Redis is down the replica answers what it accepts itself (degraded: no order across replicas).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from channels.context import Accepted
from channels.messages import TurnResult
from channels.shard_share import ShardShare
from channels.turn_codec import encode_result
from channels.turn_dispatch import TurnDispatch
from channels.turn_waiters import Waiters
from channels.turns import InProcessTurnQueue, forward
from storage.turn_stream import TurnStream

log = logging.getLogger(__name__)

READ_BATCH = 64
READ_BLOCK_MS = 500
STALE_MS = 60_000  # a pending entry idle this long and not in hand here is read again
STOP_TASKS_S = 5.0  # how long a stop waits for its cancelled reading, renewing and results loops
REDIS_RETRY_S = 5.0  # while Redis is down, accepted turns try it again after this long


class StreamTurnQueue:
    def __init__(
        self,
        stream: TurnStream,
        lanes: InProcessTurnQueue[Accepted, TurnResult],
        restore: Callable[[str], Awaitable[Accepted | None]],
        unanswered: Callable[[], Awaitable[list[Accepted]]],
        replica: str,
        lease_s: float,
    ) -> None:
        self._stream = stream
        self._lanes = lanes
        self._unanswered = unanswered  # the messages this replica accepted that are not answered yet
        self._replica = replica
        self._lease_ms = int(lease_s * 1000)
        self._tick_s = min(lease_s / 3, 1.0)  # a replica that joins gets its share within seconds
        self._waiters = Waiters()  # customers waiting here, whichever replica answers their turn
        self._adding: asyncio.Queue[tuple[str, Accepted]] = asyncio.Queue()
        self._share = ShardShare(stream, replica, self._lease_ms, self._take, self._settle)
        self._dispatch = TurnDispatch(lanes, self._waiters, restore, replica, self._acknowledge, self._report)
        self._epoch: str | None = None  # the streams' marker when this replica last looked
        self._here: set[str] = set()  # messages answered in this replica's lanes while Redis was down
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
        loops = [self._add_loop(), self._results_loop(), self._watch_loop()]
        if consume:
            loops += [self._dispatch.run(), self._balance_loop(), self._read_loop()]
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
                        self._answer_here(key, turn, waiter[1])
            finally:
                for _ in batch:
                    self._adding.task_done()

    def _answer_here(self, key: str, turn: Accepted, waiter: asyncio.Future[TurnResult]) -> None:
        message_id = turn.message.id
        self._here.add(message_id)
        outcome = self._lanes.put(key, turn)
        outcome.add_done_callback(lambda _: self._here.discard(message_id))
        forward(outcome, waiter)

    # -- reading and answering -----------------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        while True:
            async with self._reading:
                shards = sorted(self._share.owned)
                if shards:
                    try:
                        self._dispatch.submit(await self._stream.read(self._replica, shards, READ_BATCH, READ_BLOCK_MS))
                        self._redis_back()
                    except (RedisError, OSError) as exc:
                        self._redis_down(exc)
                    except Exception:  # what was read stays pending and is read again by `_reclaim_stale`
                        log.exception("reading turns failed")
                        await asyncio.sleep(self._tick_s)
            if not shards or self._down:
                await asyncio.sleep(self._tick_s)

    async def _acknowledge(self, shard: int, entry_id: str) -> None:
        try:
            await self._stream.done(shard, entry_id)
        except (RedisError, OSError) as exc:  # stays pending: a later holder's claim finds it answered and skips it
            log.warning("could not acknowledge turn entry %s (%s)", entry_id, type(exc).__name__)

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
                    try:
                        self._waiters.resolve(json.loads(payload))
                    except (ValueError, KeyError, TypeError):  # one bad payload must not end the loop
                        log.exception("a turn result from another replica is malformed: ignored")
            except (RedisError, OSError) as exc:
                self._redis_down(exc)
                await asyncio.sleep(self._tick_s)

    async def _watch_loop(self) -> None:
        """Expire waiters nobody answers, and notice Redis coming back without its data."""
        while True:
            self._waiters.expire()
            try:
                await self._check_epoch()
            except (RedisError, OSError) as exc:
                self._redis_down(exc)
            except Exception:  # the database is away: the next round tries again
                log.exception("re-adding this replica's unanswered messages failed")
            await asyncio.sleep(self._tick_s)

    async def _check_epoch(self) -> None:
        """The streams carry a marker; a new one means Redis lost its data (restarted without persistence),
        and with it the entries of this replica's unanswered messages: those are added again. Entries still
        in hand somewhere are settled by the turn already running (`TurnDispatch`) or skipped as answered."""
        epoch = await self._stream.epoch(uuid.uuid4().hex)
        if self._epoch is None or epoch == self._epoch:
            self._epoch = epoch
            return
        await self._stream.ensure_groups()
        # Not those whose turn is queued or running here: an entry queued behind its own turn would make it give way.
        unanswered = [a for a in await self._unanswered() if not self._in_hand(a.message.id)]
        log.error("Redis lost the turn queue: %d unanswered messages of this replica are queued again", len(unanswered))
        for accepted in unanswered:
            self.put(accepted.conversation.id, accepted)
        self._epoch = epoch

    def _in_hand(self, message_id: str) -> bool:
        return message_id in self._here or self._dispatch.has(message_id)

    # -- sharing the shards ------------------------------------------------------------------------------------

    async def _balance_loop(self) -> None:
        while True:
            try:
                await self._share.balance(share=not self._stopping)
                if not self._stopping:
                    await self._reclaim_stale()
            except (RedisError, OSError) as exc:
                self._redis_down(exc)
            await asyncio.sleep(self._tick_s)

    async def _reclaim_stale(self) -> None:
        """Entries of this replica's shards read long ago and not in hand here (a read cut short, an
        acknowledgement lost while Redis was away) are read again; the hub skips those already answered."""
        for shard in sorted(self._share.owned):
            stale = self._dispatch.submit(await self._stream.claim_pending(self._replica, shard, STALE_MS))
            if stale:
                log.warning("turn shard %d: %d entries left unfinished are read again", shard, stale)

    async def _take(self, shard: int) -> None:
        """Claim what the shard's previous holder read and did not finish."""
        claimed = self._dispatch.submit(await self._stream.claim_pending(self._replica, shard))
        if claimed:
            log.info("turn shard %d: took over %d unfinished turns", shard, claimed)

    async def _settle(self, shard: int) -> None:
        async with self._reading:  # a read already under way may still bring this shard's entries
            pass
        await self._dispatch.settle(shard)

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
        with contextlib.suppress(TimeoutError):  # what was read reaches the lanes
            await asyncio.wait_for(self._dispatch.flushed(), max(0.0, deadline - time.monotonic()))
        finished = await self._lanes.drain(max(0.0, deadline - time.monotonic()))
        await self._dispatch.quiet(deadline - time.monotonic())
        if self._side:
            await asyncio.wait(set(self._side), timeout=max(0.1, deadline - time.monotonic()))
        busy = {shard for shard in self._share.held if self._dispatch.running(shard)}
        if busy:  # released, another replica would answer them again while they still run here
            log.warning("turn shards %s still have turns running: taken when their leases lapse", sorted(busy))
        try:
            await self._share.give_up(keep=busy)
        except (RedisError, OSError) as exc:
            log.warning("could not give the turn shards up (%s): they are taken when the leases expire", exc)
        for task in self._tasks:
            task.cancel()
        done, stuck = await asyncio.wait(self._tasks, timeout=STOP_TASKS_S)  # a stop never hangs on one of them
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.error("turn queue task %s had failed", task.get_name(), exc_info=task.exception())
        if stuck:
            log.warning("%d turn queue tasks did not stop within %s s", len(stuck), STOP_TASKS_S)
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
