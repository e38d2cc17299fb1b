"""/start: the playbook's greeting in the user's language."""

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bot.adapter import inbound_from_message
from channels.messages import START_PAYLOAD, Inbound


async def on_start(message: Message, command: CommandObject, inbound: Inbound) -> None:
    """`t.me/<bot>?start=partner` arrives as `/start partner`: the argument is the customer's referral."""
    incoming = inbound_from_message(message, payload=START_PAYLOAD)
    incoming.referral = (command.args or "").strip()[:64] or None
    await inbound.handle(incoming)


def build_router() -> Router:
    router = Router(name="start")
    router.message.register(on_start, CommandStart())
    return router
