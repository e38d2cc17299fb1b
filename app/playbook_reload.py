"""Reload the playbook when its file changes or on SIGHUP; a broken file keeps the old one serving."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from app.playbook_parts import build_router
from brain.playbook import PlaybookError, load_playbook
from brain.service import Brain
from storage.embeddings import Embedder

log = logging.getLogger(__name__)


class PlaybookReloader:
    def __init__(self, path: Path | None, brain: Brain, embedder: Embedder) -> None:
        self._path = path
        self._brain = brain
        self._embedder = embedder
        self._mtime = self._stat()
        self.last_error: str | None = None

    def _stat(self) -> float | None:
        try:
            return self._path.stat().st_mtime if self._path else None
        except OSError:
            return None

    async def reload(self) -> bool:
        try:
            playbook = await asyncio.to_thread(load_playbook, self._path)
        except PlaybookError as exc:
            self.last_error = str(exc)
            log.error("playbook not reloaded, the previous one keeps serving: %s", exc)
            return False
        router = await build_router(playbook, self._embedder)
        self._brain.use_playbook(playbook, router)
        self.last_error = None
        log.info("playbook reloaded (%d categories)", len(playbook.categories))
        return True

    async def check(self) -> bool:
        """Reload when the file's modification time changed; True when a new playbook is in use."""
        mtime = await asyncio.to_thread(self._stat)
        if mtime is None or mtime == self._mtime:
            return False
        self._mtime = mtime
        return await self.reload()

    async def watch(self, interval_s: float = 5.0) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.check()

    def reload_on_sighup(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload()))
