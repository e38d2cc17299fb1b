"""The customers waiting in this replica for turns of the messages it accepted, wherever those turns are
answered: settled here when the turn runs here, or from the result another replica publishes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.context import Accepted
from channels.messages import TurnResult
from channels.turn_codec import RemoteTurnFailed, decode_result

RESULT_WAIT_S = 600.0  # a waiter nobody answered by then is failed (its message is still answered, later)


class Waiters:
    def __init__(self) -> None:
        self._items: dict[str, tuple[Accepted, asyncio.Future[TurnResult], float]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, accepted: Accepted) -> asyncio.Future[TurnResult]:
        """The future of the customer waiting for this message; one already waiting keeps its own."""
        if accepted.message.id in self._items:  # the message queued again (Redis lost its entry)
            return self._items[accepted.message.id][1]
        future: asyncio.Future[TurnResult] = asyncio.get_running_loop().create_future()
        self._items[accepted.message.id] = (accepted, future, time.monotonic())
        return future

    def take(self, message_id: str) -> tuple[Accepted, asyncio.Future[TurnResult]] | None:
        """The waiter of a turn about to run here (it is settled by the turn itself)."""
        item = self._items.pop(message_id, None)
        return (item[0], item[1]) if item else None

    def resolve(self, data: dict[str, Any]) -> None:
        """A result another replica published: `replied` answers the customer, `outcome` ends the wait."""
        item = self._items.get(str(data["message"]))
        if item is None:
            return
        accepted, future, _ = item
        result = decode_result(data)
        if isinstance(result, RemoteTurnFailed):
            accepted.reply_failed(result)
        else:
            accepted.reply_ready(result)
        if data["stage"] != "outcome":
            return
        del self._items[accepted.message.id]
        if future.done():
            return
        if isinstance(result, RemoteTurnFailed):
            future.set_exception(result)
            future.exception()
        else:
            future.set_result(result)

    def expire(self, wait_s: float = RESULT_WAIT_S) -> None:
        cutoff = time.monotonic() - wait_s
        for message_id, (accepted, future, since) in list(self._items.items()):
            if since < cutoff:
                del self._items[message_id]
                error = TimeoutError("no replica reported this turn's result")
                accepted.reply_failed(error)
                if not future.done():
                    future.set_exception(error)
                    future.exception()
