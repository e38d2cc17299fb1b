"""Feature routers of the customer bot, in the order they must be tried."""

from aiogram import F, Router

from bot.handlers import business, messages, start


def get_routers(*, business_chats: bool = False) -> list[Router]:
    """Fresh routers each call, so several dispatchers (tests, restarts) can each attach their own.
    `business_chats`: also the sellers' Telegram Business chats (their updates are subscribed only then)."""
    routers = [start.build_router(), messages.build_router()]
    for router in routers:
        router.message.filter(F.chat.type == "private")
    if business_chats:
        # First: a tap on a button under a business message belongs to the seller's chat, not the bot's own.
        routers.insert(0, business.build_router())
    # The catch-all message router goes last: it answers every update the others did not take.
    return routers
