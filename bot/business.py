"""Telegram Business: a seller connects the bot to their own Telegram account, and the assistant answers
their customers in the seller's personal chats, on the seller's behalf.

Those chats are channel `telegram_business`, each customer keyed by the seller and the chat
(`<owner id>:<chat id>`): a person writing to the bot directly and to a seller's account has two
conversations, as Telegram keeps the chats apart. Replies go through the owner's current connection, only
while it is enabled and grants the reply right. When the owner writes in a chat themselves, the chat is
taken over in their name, as if a manager had tapped Take over: the bot steps back until the idle release
or a Return to bot.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BusinessConnection, Message

from bot.adapter import TelegramOutbound
from bot.media import FileIds
from channels.messages import ChannelCapabilities, DeliveryError, OutboundMessage
from channels.ownership import Ownership
from storage.business_connections import BusinessConnectionRecord, BusinessConnectionRepository
from storage.messages import DuplicateMessage, MessageRepository
from storage.repositories import ContactRepository, ConversationRepository

log = logging.getLogger(__name__)

CHANNEL = "telegram_business"
# The reply right covers "private chats that had incoming messages in the last 24 hours" (Bot API).
REPLY_WINDOW_HOURS = 24.0


def chat_key(owner_id: int, chat_id: int) -> str:
    """The customer's id on this channel: whose business account, which chat."""
    return f"{owner_id}:{chat_id}"


def parse_chat_key(key: str) -> tuple[int, int]:
    owner, _, chat = key.partition(":")
    return int(owner), int(chat)


def connection_record(connection: BusinessConnection) -> BusinessConnectionRecord:
    """What Telegram says the connection allows. Bot API 9.0 moved `can_reply` into `rights`; both are read."""
    rights = connection.rights.model_dump(exclude_none=True) if connection.rights is not None else {}
    can_reply = bool(rights.get("can_reply", connection.can_reply or False))
    return BusinessConnectionRecord(
        id=connection.id,
        owner_id=connection.user.id,
        user_chat_id=connection.user_chat_id,
        enabled=connection.is_enabled,
        can_reply=can_reply,
        rights={k: bool(v) for k, v in rights.items()},
    )


class BusinessChats:
    """What happens in the sellers' chats besides the customers' messages, which go to the hub."""

    def __init__(
        self,
        connections: BusinessConnectionRepository,
        contacts: ContactRepository,
        conversations: ConversationRepository,
        messages: MessageRepository,
        ownership: Ownership,
    ) -> None:
        self._connections = connections
        self._contacts = contacts
        self._conversations = conversations
        self._messages = messages
        self._ownership = ownership

    async def connected(self, connection: BusinessConnection) -> BusinessConnectionRecord:
        """A connection was made, changed or cut; the bot answers in its chats only while it may reply."""
        record = connection_record(connection)
        await self._connections.save(record)
        if not record.enabled:
            state = "disabled: the bot stops answering there"
        elif not record.can_reply:
            state = "without the reply right: messages are read, not answered"
        else:
            state = "active"
        log.info("business connection %s of user %s %s", record.id, record.owner_id, state)
        return record

    async def connection(self, bot: Bot, connection_id: str) -> BusinessConnectionRecord:
        """The stored connection, or Telegram's word on it when this one was made while the bot was away."""
        record = await self._connections.get(connection_id)
        if record is not None:
            return record
        return await self.connected(await bot.get_business_connection(connection_id))

    async def owner_wrote(self, record: BusinessConnectionRecord, message: Message) -> None:
        """The seller wrote in a chat by hand: stored as a manager's message, the chat taken over in their name."""
        key = chat_key(record.owner_id, message.chat.id)
        chat = message.chat
        name = " ".join(part for part in (chat.first_name, chat.last_name) if part) or chat.title
        contact = await self._contacts.upsert(CHANNEL, key, name=name, username=chat.username)
        conversation = await self._conversations.open(contact, None)
        kinds = [k for k in ("photo", "document", "video", "voice", "audio", "sticker") if getattr(message, k)]
        try:
            await self._messages.add(
                conversation.id,
                CHANNEL,
                "out",
                message.text or message.caption or "",
                status="sent",
                channel_message_id=f"{key}:{message.message_id}",
                meta={
                    "sender": "manager",
                    "business_owner": record.owner_id,
                    **({"attachments": kinds} if kinds else {}),
                },
            )
        except DuplicateMessage:
            return  # a redelivered update: the takeover happened the first time
        taken = await self._ownership.take_over(conversation.id, record.owner_id)
        if not taken.won:
            log.info("conversation %s: the owner wrote while manager %s handles it", conversation.id, taken.owner_id)
            return
        await self._ownership.touch(conversation.id)  # the owner's activity postpones the idle release

    async def deleted(self, record: BusinessConnectionRecord, chat_id: int, message_ids: list[int]) -> int:
        """Customer messages deleted in a seller's chat stay in the record, marked deleted."""
        key = chat_key(record.owner_id, chat_id)
        marked = 0
        for message_id in message_ids:
            marked += await self._messages.mark_deleted(CHANNEL, f"{key}:{message_id}")
        return marked


async def show_typing(bot: Bot, record: BusinessConnectionRecord, chat_id: int) -> None:
    """`typing…` in the seller's chat (one action: it shows for about five seconds); only where the bot may write."""
    if not record.may_reply:
        return
    try:
        await bot.send_chat_action(chat_id, "typing", business_connection_id=record.id)
    except TelegramAPIError as exc:  # a cosmetic hint: the reply itself is what must arrive
        log.debug("typing in business chat %s failed: %s", chat_id, exc)


class TelegramBusinessOutbound:
    """Sends on behalf of a seller's business account through their current connection."""

    name = CHANNEL
    capabilities = ChannelCapabilities(
        max_text=4096, max_buttons=8, button_title_max=64, reply_window_hours=REPLY_WINDOW_HOURS
    )

    def __init__(self, bot: Bot, connections: BusinessConnectionRepository, file_ids: FileIds | None = None) -> None:
        self._telegram = TelegramOutbound(bot, file_ids)
        self._connections = connections

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None:
        owner_id, chat_id = parse_chat_key(recipient_id)
        record = await self._connections.of_owner(owner_id)
        if record is None or not record.may_reply:
            state = "missing" if record is None else "disabled" if not record.enabled else "without the reply right"
            # Permanent: the outbox records the message as failed and sends nothing.
            raise DeliveryError(f"business connection of {owner_id} is {state}", transient=False)
        return await self._telegram.send_to_chat(chat_id, message, business_connection_id=record.id)
