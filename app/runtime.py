"""`closer serve`: the HTTP app, the Telegram bot(s) and background work in one process."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import uvicorn

from app.admin_runtime import build_admin_bot
from app.container import Services, open_services
from app.http import create_app
from app.playbook_reload import PlaybookReloader
from app.scheduler import Jobs
from app.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import TelegramRuntime

log = logging.getLogger(__name__)


def build_customer_bot(settings: Settings, services: Services) -> TelegramRuntime | None:
    if settings.telegram_bot_token is None:
        return None
    # aiogram takes seconds to import (pydantic models of the whole Bot API): only when a bot runs.
    from bot.factory import create_bot, create_customer_dispatcher
    from bot.fsm import SharedClientMongoStorage
    from bot.runtime import TelegramRuntime
    from channels.telegram import TelegramOutbound

    bot = create_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base)
    # FSM state lives in the same MongoDB: it survives restarts and is shared by replicas.
    storage = SharedClientMongoStorage(services.mongo_client, db_name=settings.mongodb_db, collection_name="fsm_states")
    dispatcher = create_customer_dispatcher(services.hub, storage)
    services.outbox.register(TelegramOutbound(bot))
    secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else None
    return TelegramRuntime(
        bot, dispatcher, services.inbox, webhook_secret=secret, public_base_url=settings.public_base_url
    )


async def serve(settings: Settings) -> None:
    async with open_services(settings) as services:
        telegram = build_customer_bot(settings, services)
        admin = build_admin_bot(settings, services, telegram)
        routers = [telegram.webhook_router()] if telegram is not None and telegram.webhook_mode else []
        app = create_app(services, routers)
        server = uvicorn.Server(
            uvicorn.Config(
                app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False, lifespan="off"
            )
        )
        if telegram is not None:
            await telegram.start()
        if admin is not None:
            await admin.telegram.start()
        scheduler = Jobs(services, admin).scheduler()
        scheduler.start()
        reloader = PlaybookReloader(settings.playbook, services.brain, services.embedder)
        reloader.reload_on_sighup()
        watcher = asyncio.create_task(reloader.watch()) if settings.playbook else None
        recovered = await services.hub.recover_unanswered()
        if recovered:
            log.info("answered %d messages left unanswered by the previous run", recovered)
        log.info("Closer is up: web chat at http://%s:%d", settings.http_host, settings.http_port)
        try:
            await server.serve()
        finally:
            scheduler.shutdown(wait=False)
            if watcher is not None:
                watcher.cancel()
            if admin is not None:
                await admin.telegram.stop()
            if telegram is not None:
                await telegram.stop()
