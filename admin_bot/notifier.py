"""What managers are told, as a subscriber of conversation events: hot-lead cards (once per rise),
requests for a person, re-announcements, and the customer's words in a taken chat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from aiogram import Bot
from aiogram.types import BufferedInputFile

from admin_bot.cards import lead_card, lead_keyboard, take_over_keyboard
from brain.types import Escalation
from channels.events import ConversationListener
from channels.messages import InboundMessage
from storage.leads import Lead, LeadRepository
from storage.records import Conversation
from storage.repositories import ContactRepository, ConversationRepository, MessageRepository

log = logging.getLogger(__name__)

Downloader = Callable[[str], Awaitable[bytes]]


class ManagerNotifier(ConversationListener):
    def __init__(
        self,
        bot: Bot,
        managers: list[int],
        leads: LeadRepository,
        messages: MessageRepository,
        contacts: ContactRepository,
        conversations: ConversationRepository,
        *,
        group_chat_id: int | None = None,
        downloaders: Mapping[str, Downloader] | None = None,
    ) -> None:
        """With `group_chat_id` (a forum supergroup) each conversation gets a topic there; otherwise
        managers are written to in private chats. `downloaders` fetch a customer's file by its id, per
        channel (Telegram file ids belong to the customer bot)."""
        self._bot = bot
        self._conversations = conversations
        self._group = group_chat_id
        self._managers = managers
        self._leads = leads
        self._messages = messages
        self._contacts = contacts
        self._downloaders = dict(downloaders or {})

    async def lead_became_hot(self, lead: Lead, conversation: Conversation) -> None:
        if conversation.owner == "human":
            return
        if await self._leads.claim_alert(lead.id, lead.alerts):
            await self.announce(lead, "Hot lead")

    async def escalated(self, conversation: Conversation, escalation: Escalation) -> None:
        """A customer asked for a person (or the guard handed them over): managers get a card to take it."""
        lead = await self._leads.by_conversation(conversation.id)
        if lead is not None:
            await self.announce(lead, "Customer asks for a manager")
            return
        await self._post(
            conversation.id,
            f"Customer · {conversation.channel}",
            (f"🙋 Customer asks for a manager · {conversation.channel}"),
            take_over_keyboard(conversation.id),
        )

    async def message_for_human(self, conversation: Conversation, inbound: InboundMessage) -> None:
        await self.forward_to_manager(conversation, inbound)

    async def announce(self, lead: Lead, title: str) -> None:
        recent = await self._messages.recent(lead.conversation_id, limit=8)
        topic_name = f"{lead.name or 'Customer'} · {lead.channel}"
        await self._post(lead.conversation_id, topic_name, lead_card(lead, recent, title), lead_keyboard(lead))

    async def _post(self, conversation_id: str, topic_name: str, text: str, keyboard) -> None:
        """To the conversation's topic in the managers' group, or to every manager privately."""
        if self._group is not None:
            topic = await self._topic(conversation_id, topic_name)
            await self._bot.send_message(self._group, text, message_thread_id=topic, reply_markup=keyboard)
            return
        for manager_id in self._managers:
            await self._bot.send_message(manager_id, text, reply_markup=keyboard)

    async def _topic(self, conversation_id: str, name: str) -> int:
        """The conversation's forum topic, created on first use."""
        assert self._group is not None
        topic = await self._conversations.manager_topic(conversation_id)
        if topic is None:
            created = await self._bot.create_forum_topic(self._group, name[:128])
            topic = created.message_thread_id
            await self._conversations.set_manager_topic(conversation_id, topic)
        return topic

    async def reannounce(self, after: timedelta) -> int:
        """Hot leads nobody took within `after` are announced once more."""
        count = 0
        for lead in await self._leads.hot_unanswered(after):
            if await self._leads.claim_alert(lead.id, 1):
                await self.announce(lead, "Still waiting for a manager")
                count += 1
        return count

    async def forward_to_manager(self, conversation: Conversation, inbound: InboundMessage) -> None:
        manager_id = conversation.owner_manager_id
        if manager_id is None:
            return
        chat_id, thread = manager_id, None
        if self._group is not None:
            chat_id, thread = self._group, await self._topic(conversation.id, f"Customer · {conversation.channel}")
        contact = await self._contacts.get(conversation.contact_id)
        who = (contact.name if contact and contact.name else None) or f"{conversation.channel} customer"
        header = f"💬 {who} ({conversation.channel}):"
        download = self._downloaders.get(conversation.channel)
        for attachment in inbound.attachments:
            if attachment.kind in ("photo", "document") and attachment.file_id and download is not None:
                upload = BufferedInputFile(
                    await download(attachment.file_id), attachment.name or f"{attachment.kind}.bin"
                )
                caption = f"{header} {inbound.text}"[:1024]
                if attachment.kind == "photo":
                    await self._bot.send_photo(chat_id, upload, caption=caption, message_thread_id=thread)
                else:
                    await self._bot.send_document(chat_id, upload, caption=caption, message_thread_id=thread)
                return
        kinds = ", ".join(a.kind for a in inbound.attachments)
        text = inbound.text or f"[{kinds or 'empty message'}]"
        await self._bot.send_message(chat_id, f"{header} {text}", message_thread_id=thread)

    async def tell(self, manager_id: int, text: str) -> None:
        await self._bot.send_message(manager_id, text)
