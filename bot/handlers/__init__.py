"""Feature routers of the customer bot, in the order they must be tried."""

from aiogram import F, Router

from bot.handlers import messages, start


def get_routers() -> list[Router]:
    """Fresh routers each call, so several dispatchers (tests, restarts) can each attach their own."""
    routers = [start.build_router(), messages.build_router()]
    for router in routers:
        router.message.filter(F.chat.type == "private")
    # The catch-all message router goes last: it answers every update the others did not take.
    return routers
