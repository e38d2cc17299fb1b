"""FSM storage on the application's shared MongoDB client."""

from __future__ import annotations

from aiogram.fsm.storage.pymongo import PyMongoStorage


class SharedClientMongoStorage(PyMongoStorage):
    """aiogram closes its storage on shutdown; this client belongs to the composition root, which closes it."""

    async def close(self) -> None:
        return None
