"""/start: the playbook's greeting in the user's language."""

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import Message

from bot.adapter import inbound_from_message
from channels.messages import START_PAYLOAD, Inbound


async def on_start(message: Message, inbound: Inbound) -> None:
    await inbound.handle(inbound_from_message(message, payload=START_PAYLOAD))


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(on_start, CommandStart())
    return router
