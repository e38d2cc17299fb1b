"""Builds the admin bot's dispatcher: access control first, then commands, buttons and the relay."""

from __future__ import annotations

from aiogram import Dispatcher

from admin_bot.access import AccessMiddleware
from admin_bot.handlers import AdminServices, button_router, command_router, relay_router
from admin_bot.knowledge import knowledge_router
from admin_bot.teaching import teaching_router
from bot.inflight import InFlightUpdates


def create_admin_dispatcher(admin: AdminServices, managers: set[int], admins: set[int]) -> Dispatcher:
    dispatcher = Dispatcher(admin=admin)
    access = AccessMiddleware(managers, admins)
    dispatcher.message.outer_middleware(access)
    dispatcher.callback_query.outer_middleware(access)
    inflight = InFlightUpdates()
    dispatcher.update.outer_middleware(inflight)
    dispatcher["inflight"] = inflight
    group = admin.group_chat_id
    # Private chats with managers, and the managers' forum group when there is one.
    dispatcher.message.filter(lambda message: message.chat.type == "private" or message.chat.id == group)
    # Knowledge uploads come before the relay: a file from an admin who handles no chat teaches the bot.
    dispatcher.include_routers(command_router(), button_router())
    if admin.examples is not None and admin.knowledge is not None:
        dispatcher.include_router(teaching_router(admin.examples, admin.knowledge))
    dispatcher.include_routers(knowledge_router(), relay_router())
    return dispatcher
