"""Builds the customer bot: a Bot bound to TELEGRAM_API_BASE and a Dispatcher with the routers."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage

from bot.handlers import get_routers
from bot.inflight import InFlightUpdates
from channels.hub import Hub


def create_bot(token: str, api_base: str) -> Bot:
    """A Bot talking to `api_base` (Telegram's cloud, a local Bot API server, or a test server)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    return Bot(token=token, session=session)


def create_customer_dispatcher(hub: Hub, storage: BaseStorage | None = None) -> Dispatcher:
    dispatcher = Dispatcher(storage=storage, hub=hub) if storage else Dispatcher(hub=hub)
    inflight = InFlightUpdates()
    dispatcher.update.outer_middleware(inflight)
    dispatcher["inflight"] = inflight
    dispatcher.include_routers(*get_routers())
    return dispatcher
