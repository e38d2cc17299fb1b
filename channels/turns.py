"""The turn queue between accepting a message and responding to it.

`TurnQueue` is the small interface the hub talks to. `InProcessTurnQueue` serves one replica: turns of
one conversation run one after another in arrival order, different conversations run concurrently.
`channels.stream_turns.StreamTurnQueue` shares turns among several replicas through Redis Streams, in
front of these lanes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class TurnQueue(Protocol[T, R]):
    def put(self, key: str, turn: T) -> asyncio.Future[R]:
        """Queue a turn behind the earlier turns with the same `key` (the conversation id)."""
        ...

    def waiting(self, key: str) -> int:
        """How many turns with this `key` wait behind the one running now (newer messages of the customer)."""
        ...

    async def drain(self, timeout_s: float) -> bool:
        """Wait for every queued turn; False when some were still running at the timeout (they are cancelled)."""
        ...

    @property
    def pending(self) -> int:
        """Turns queued or running (the queue depth)."""
        ...


class InProcessTurnQueue(Generic[T, R]):
    """Per-key FIFO lanes, each worked by one task that exists only while its lane has turns."""

    def __init__(self, worker: Callable[[T], Awaitable[R]], max_running: int = 32) -> None:
        self._worker = worker
        # Turns beyond this many wait their turn: hundreds running at once would starve the event loop that must
        # also accept (persist and acknowledge) new messages; waiting on a model, 32 at once keep it busy.
        self._running = asyncio.Semaphore(max_running)
        self._lanes: dict[str, deque[tuple[T, asyncio.Future[R]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def put(self, key: str, turn: T) -> asyncio.Future[R]:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        lane = self._lanes.get(key)
        if lane is not None:  # a task is already working this conversation: wait behind it
            lane.append((turn, future))
            return future
        self._lanes[key] = deque([(turn, future)])
        task = asyncio.create_task(self._work(key), name=f"turns:{key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return future

    async def _work(self, key: str) -> None:
        lane = self._lanes[key]
        try:
            while lane:
                turn, future = lane[0]
                try:
                    async with self._running:
                        result = await self._worker(turn)
                except Exception as exc:  # logged here (a webhook turn may have no waiter), handed to any waiter
                    log.exception("turn of conversation %s failed", key)
                    if not future.done():
                        future.set_exception(exc)
                        future.exception()  # retrieved: asyncio must not report it a second time
                else:
                    if not future.done():
                        future.set_result(result)
                lane.popleft()
        finally:
            for _, future in lane:  # only when this task itself was cancelled (shutdown)
                future.cancel()
            del self._lanes[key]

    def waiting(self, key: str) -> int:
        lane = self._lanes.get(key)
        return len(lane) - 1 if lane else 0

    @property
    def pending(self) -> int:
        return sum(len(lane) for lane in self._lanes.values())

    async def drain(self, timeout_s: float) -> bool:
        if not self._tasks:
            return True
        _, still_running = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in still_running:  # stopping: their messages stay unanswered, for another replica or the next start
            task.cancel()
        if still_running:
            await asyncio.wait(still_running, timeout=1.0)
        return not still_running


# Puts a queue shared by several replicas in front of one replica's own lanes (`channels.stream_turns`).
Distributor = Callable[[InProcessTurnQueue[T, R]], TurnQueue[T, R]]


def copy_outcome(source: asyncio.Future[R], target: asyncio.Future[R]) -> None:
    """Settle `target` as `source` was settled (result, error or cancellation)."""
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())  # type: ignore[arg-type]
        target.exception()
    else:
        target.set_result(source.result())


def forward(source: asyncio.Future[R], target: asyncio.Future[R]) -> None:
    """Settle `target` when `source` is settled."""
    source.add_done_callback(partial(copy_outcome, target=target))
