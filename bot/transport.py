"""Telegram transport for both bots: long polling by default, or a webhook at /webhooks/telegram whose
updates are persisted before Telegram gets its 200 and processed in the background; the ones a replica left
behind are taken up by another (`channels.left_behind`)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from aiogram import Bot, Dispatcher
from fastapi import APIRouter, HTTPException, Request
from pymongo.errors import ConnectionFailure, PyMongoError

from channels.intake import IntakeGate
from channels.left_behind import LeftBehind
from channels.storage_retry import failure_text, with_storage_retries

log = logging.getLogger(__name__)

SOURCE = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SHUTDOWN_GRACE_S = 15.0


class TelegramRuntime:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        held: LeftBehind,
        *,
        webhook_secret: str | None = None,
        public_base_url: str | None = None,
        intake: IntakeGate | None = None,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self._held = held
        self._secret = webhook_secret
        self._public_url = public_base_url
        # Webhook updates are stored and acknowledged first; their handling gives way while more are arriving.
        self._intake = intake or IntakeGate()
        self._polling: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}  # the updates this process is handling, by key

    @property
    def webhook_mode(self) -> bool:
        return bool(self._secret and self._public_url)

    async def start(self) -> None:
        if self.webhook_mode:
            assert self._public_url is not None
            url = self._public_url.rstrip("/") + "/webhooks/telegram"
            # The update types the routers handle (with Telegram Business: connections, business messages...).
            allowed = self.dispatcher.resolve_used_update_types()
            await self.bot.set_webhook(url, secret_token=self._secret, allowed_updates=allowed)
            await self.recover()
            self._sweeper = self._held.sweep(self.recover, "Telegram webhook")
            log.info("Telegram webhook set")
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._polling = asyncio.create_task(
                self.dispatcher.start_polling(
                    self.bot, handle_signals=False, close_bot_session=False, polling_timeout=20
                )
            )
            log.info("Telegram long polling started")

    async def recover(self) -> int:
        """Handle the updates left behind (each taken up by one process); how many."""
        taken = await self._held.take(SOURCE, busy=self._tasks)
        for key, payload in taken:
            self._spawn(key, payload)
        if taken:
            log.info("handling %d Telegram updates another run left pending", len(taken))
        return len(taken)

    async def stop(self, grace_s: float = SHUTDOWN_GRACE_S) -> None:
        """Stop receiving; wait up to `grace_s` for the updates in hand (the rest is left for a sweep)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if self._polling is not None:
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:  # polling already ended (e.g. it failed to start)
                log.debug("polling was not running")
            await asyncio.gather(self._polling, return_exceptions=True)
        deadline = time.monotonic() + grace_s
        if self._tasks:
            _, unfinished = await asyncio.wait(list(self._tasks.values()), timeout=grace_s)
            if unfinished:
                for task in unfinished:  # cancelled, not failed: the update stays pending for a sweep
                    task.cancel()
                await asyncio.wait(unfinished, timeout=1)
        inflight = self.dispatcher.get("inflight")
        if inflight is not None and not await inflight.drain(max(0.0, deadline - time.monotonic())):
            log.warning("stopped with Telegram updates still being handled")
        await self.bot.session.close()

    def _spawn(self, key: str, payload: dict[str, Any]) -> None:
        task = asyncio.create_task(self._process(key, payload))
        self._tasks[key] = task
        task.add_done_callback(lambda _: self._tasks.pop(key, None))

    async def _process(self, key: str, payload: dict[str, Any]) -> None:
        try:
            async with self._intake.settled():
                await with_storage_retries(f"update {key}", self.dispatcher.feed_raw_update, self.bot, payload)
        except ConnectionFailure:  # acknowledged already: kept pending, taken up again once nobody holds it
            log.error("Telegram update %s left pending: storage unavailable", key)
            return
        except Exception as exc:  # one bad update must not stop the others; it stays visible as failed
            log.exception("Telegram update %s failed", key)
            await self._mark(key, "failed", error=failure_text(exc))
            return
        await self._mark(key, "done")

    async def _mark(self, key: str, status: str, error: str | None = None) -> None:
        try:
            await self._held.mark(SOURCE, key, status, error=error)
        except PyMongoError as exc:  # still pending: handled once more later, which answers nobody twice
            log.warning("Telegram update %s not marked %s: %s", key, status, type(exc).__name__)

    def webhook_router(self) -> APIRouter:
        router = APIRouter()
        expected = (self._secret or "").encode()

        @router.post("/webhooks/telegram", include_in_schema=False)
        async def telegram_webhook(request: Request) -> dict[str, bool]:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not expected or not secrets.compare_digest(given, expected):
                raise HTTPException(status_code=403, detail="bad secret token")
            try:
                update = await request.json()
            except ValueError:
                raise HTTPException(status_code=400, detail="body is not JSON") from None
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                raise HTTPException(status_code=400, detail="not a Telegram update")
            key = str(update["update_id"])
            try:
                with self._intake.intake():
                    fresh = await self._held.store(SOURCE, key, update)
            except PyMongoError as exc:
                # Not persisted: answer 5xx so Telegram delivers it again.
                log.error("cannot persist Telegram update %s: %s", key, type(exc).__name__)
                raise HTTPException(status_code=503, detail="storage unavailable") from exc
            if fresh:
                self._spawn(key, update)
            return {"ok": True}

        return router
