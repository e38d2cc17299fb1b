"""Work that was acknowledged before it was done (a webhook's events, a Telegram update) cannot be handed back
to the platform: while MongoDB cannot be reached, it is retried for about a minute before it is left for later.
Other database errors (a refused write, a document too large) are not retried: waiting would not change them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo.errors import ConnectionFailure

log = logging.getLogger(__name__)

T = TypeVar("T")
FAILURE_TEXT_MAX = 300
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


async def with_storage_retries(what: str, call: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`call(*args)`, again after each delay while MongoDB cannot be reached; the last failure is raised."""
    for delay in RETRY_DELAYS_S:
        try:
            return await call(*args)
        except ConnectionFailure as exc:
            log.warning("%s waits for storage (%s); retrying in %.1f s", what, type(exc).__name__, delay)
            await asyncio.sleep(delay)
    return await call(*args)


def failure_text(error: BaseException) -> str:
    """What is recorded on acknowledged work that failed: the error's kind and message, bounded."""
    return f"{type(error).__name__}: {error}"[:FAILURE_TEXT_MAX]
