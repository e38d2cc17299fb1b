"""How `closer serve` stops: within a budget, and with its clean-up actually run.

SIGTERM exits within STOP_BUDGET_S, under the 30 s a container gets before SIGKILL (docker-compose's
`stop_grace_period`, Kubernetes' default). HTTP requests in flight get HTTP_GRACE_S, then Meta's bodies, the
turns and Telegram's updates share what is left. Whatever is not finished is taken up by another replica (or at
the next start): nothing is lost, only later.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from types import FrameType

import uvicorn

from channels.web_waits import Stopping

log = logging.getLogger(__name__)

STOP_BUDGET_S = 22.0  # and about 1.5 s more to close the clients and the embedded database
HTTP_GRACE_S = 8
# A web chat request still waiting for its answer this long into the stop gets a 503 "restarting" (its message
# is answered by the next replica, and the same message sent again gets that answer) before uvicorn cuts it.
WEB_ANSWER_WITHIN_S = HTTP_GRACE_S - 1.5


class StoppingServer(uvicorn.Server):
    """uvicorn's server, which also tells the app the moment it begins to stop (`Stopping`)."""

    def __init__(self, config: uvicorn.Config, stopping: Stopping) -> None:
        super().__init__(config)
        self._stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._stopping.event.set()
        super().handle_exit(sig, frame)


class StopBudget:
    def __init__(self, total_s: float) -> None:
        self._deadline = time.monotonic() + total_s

    def left(self, at_most_s: float) -> float:
        return max(0.0, min(at_most_s, self._deadline - time.monotonic()))


def let_cleanup_run() -> None:
    """Install SIGTERM / SIGINT handlers for after uvicorn's own shutdown.

    uvicorn catches the signal, stops serving, puts the handlers it found back and raises the signal again.
    With Python's defaults that killed the process right there, so none of the clean-up after `serve()` ran:
    no turns finished, the replica never left the registry (others waited its timeout). With these, the
    re-raised signal is noted and the clean-up runs; a further signal during it ends the process at once.
    """
    seen: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)
        if len(seen) > 1:
            log.warning("signal %d again while stopping: exiting now", signum)
            os._exit(128 + signum)
        log.info("stopping: finishing what is in hand")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
