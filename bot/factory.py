"""Builds the customer bot: a Bot bound to TELEGRAM_API_BASE, its Dispatcher and routers, its transport."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage

from bot.business import BusinessChats
from bot.handlers import get_routers
from bot.inflight import InFlightUpdates
from bot.session import PinnedResponseSession
from bot.transport import TelegramRuntime
from channels.intake import IntakeGate
from channels.left_behind import LeftBehind
from channels.messages import Inbound


def create_bot(token: str, api_base: str) -> Bot:
    """A Bot talking to `api_base` (Telegram's cloud, a local Bot API server, or a test server)."""
    session = PinnedResponseSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    return Bot(token=token, session=session)


def create_customer_dispatcher(
    inbound: Inbound, storage: BaseStorage | None = None, business: BusinessChats | None = None
) -> Dispatcher:
    """Handlers receive `inbound` (and `business`, for the sellers' Telegram Business chats) by name
    (aiogram's workflow data)."""
    dispatcher = Dispatcher(storage=storage, inbound=inbound) if storage else Dispatcher(inbound=inbound)
    inflight = InFlightUpdates()
    dispatcher.update.outer_middleware(inflight)
    dispatcher["inflight"] = inflight
    if business is not None:
        dispatcher["business"] = business
    dispatcher.include_routers(*get_routers(business_chats=business is not None))
    return dispatcher


def create_customer_bot(
    token: str,
    api_base: str,
    inbound: Inbound,
    updates: LeftBehind,
    *,
    storage: BaseStorage | None = None,
    business: BusinessChats | None = None,
    webhook_secret: str | None = None,
    public_base_url: str | None = None,
    intake: IntakeGate | None = None,
) -> TelegramRuntime:
    bot = create_bot(token, api_base)
    dispatcher = create_customer_dispatcher(inbound, storage, business)
    return TelegramRuntime(
        bot, dispatcher, updates, webhook_secret=webhook_secret, public_base_url=public_base_url, intake=intake
    )
