"""Problems only an admin can fix (a rejected access token): logged, and told to the admins once each."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

AlertSink = Callable[[str], Awaitable[None]]


class OpsAlerts:
    def __init__(self) -> None:
        self._sinks: list[AlertSink] = []
        self._raised: set[str] = set()

    def subscribe(self, sink: AlertSink) -> None:
        self._sinks.append(sink)

    async def once(self, key: str, text: str) -> bool:
        """Tell every sink, unless `key` was already told in this process; True when told now. When no sink
        could deliver it, the next occurrence tries again."""
        if key in self._raised:
            return False
        self._raised.add(key)
        log.error("admin alert: %s", text)
        delivered = not self._sinks
        for sink in self._sinks:
            try:
                await sink(text)
                delivered = True
            except Exception:  # one broken sink (say, the admin bot blocked) must not hide the others
                log.exception("an admin alert could not be delivered")
        if not delivered:
            self._raised.discard(key)
        return delivered
