"""How long a synchronous web chat request waits for its answer, and what it says when it cannot have it.

A replica that is stopping (a deploy) lets requests in flight wait for their answers until just before its HTTP
grace ends; a request still waiting then gets a 503 "restarting" instead of being cut. Its message is stored and
is answered by the next replica: the client sends the same `message_id` again and gets that answer, once it
exists (a repeated message is never answered twice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

from channels.messages import Inbound, InboundMessage, TurnResult

T = TypeVar("T")
REPEAT_WAIT_S = 20.0  # a message sent again waits this long for the first one's answer
REPEAT_POLL_S = 0.5
RESTART_RETRY_AFTER_S = 3


@dataclass
class Stopping:
    """Set when the replica begins to stop; requests still waiting `answer_within_s` later are told so."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    answer_within_s: float = 6.5


class Restarting(Exception):
    """The replica stopped before the answer came: the client should send the same message again."""


async def before_stop(waiting: Awaitable[T], stopping: Stopping | None) -> T:
    """What `waiting` gives; Restarting when the replica is stopping and it did not come in time."""
    if stopping is None:
        return await waiting
    result = asyncio.ensure_future(waiting)
    deadline = asyncio.create_task(_stop_deadline(stopping))
    try:
        await asyncio.wait({result, deadline}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        deadline.cancel()
    if not result.done():  # the turn goes on (or its message waits for the next replica); only this wait ends
        if result is not waiting:
            result.cancel()  # a wait of our own (a repeated message polling), not the turn's future
        raise Restarting("the service is restarting; send the same message_id again for the answer")
    return result.result()


async def _stop_deadline(stopping: Stopping) -> None:
    await stopping.event.wait()
    await asyncio.sleep(stopping.answer_within_s)


async def earlier_answer(inbound: Inbound, message: InboundMessage, duplicate: TurnResult) -> TurnResult:
    """What the first delivery of a repeated message got, waiting for it a while if it is still being answered
    (the client retried while the turn ran, or the replica that took it stopped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPEAT_WAIT_S
    while True:
        found = await inbound.earlier_answer(message.channel, message.channel_message_id)
        if found is not None:
            return found
        if loop.time() >= deadline:
            return duplicate
        await asyncio.sleep(REPEAT_POLL_S)
