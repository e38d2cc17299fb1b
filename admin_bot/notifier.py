"""What managers are told, as a subscriber of conversation events: one card per conversation, edited as the
conversation changes, with a notification only when a manager must act (a rise to Hot, a request for a
person, the guard stopping a reply, an SLA re-alert), and the customer's words in a taken chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from admin_bot.board import CardBoard
from admin_bot.cards import CardView, card_keyboard, card_text
from admin_bot.i18n import Translate, Translator
from admin_bot.reasons import from_escalation, from_hot_lead, worded
from brain.types import Escalation
from channels.events import ConversationListener
from channels.messages import InboundMessage
from storage.leads import Lead, LeadChange, LeadRepository
from storage.manager_cards import CardReason, ManagerCardRepository
from storage.managers import ManagerRepository
from storage.messages import MessageRepository
from storage.records import Conversation
from storage.repositories import ContactRepository, ConversationRepository, utcnow

log = logging.getLogger(__name__)

Downloader = Callable[[str], Awaitable[bytes]]
PING_QUIET = timedelta(seconds=90)  # events of one act (an invoice request that is also a rise to Hot): one ping
RELAYED_MEDIA = ("photo", "document", "voice", "audio", "video")


class ManagerNotifier(ConversationListener):
    def __init__(
        self,
        bot: Bot,
        board: CardBoard,
        translator: Translator,
        *,
        leads: LeadRepository,
        messages: MessageRepository,
        contacts: ContactRepository,
        conversations: ConversationRepository,
        cards: ManagerCardRepository,
        managers: ManagerRepository,
        downloaders: Mapping[str, Downloader] | None = None,
    ) -> None:
        """`downloaders` fetch a customer's file by its id, per channel (Telegram file ids belong to the
        customer bot)."""
        self._bot = bot
        self._board = board
        self._translator = translator
        self._leads = leads
        self._messages = messages
        self._contacts = contacts
        self._conversations = conversations
        self._cards = cards
        self._managers = managers
        self._downloaders = dict(downloaders or {})
        # conversation → its card's edit lock and how many hold or wait for it. Edits of one card go one at a
        # time, each rendering the state it finds: two at once, the one that read the older state could reach
        # Telegram last and the card would stay stale.
        self._editing: dict[str, tuple[asyncio.Lock, int]] = {}

    @property
    def board(self) -> CardBoard:
        return self._board

    # Events
    async def lead_became_hot(self, lead: Lead, conversation: Conversation) -> None:
        if conversation.owner == "human":
            await self.refresh(conversation.id)
            return
        notify = await self._leads.claim_alert(lead.id, lead.alerts)
        await self.act(conversation.id, from_hot_lead(lead), notify=notify)

    async def escalated(self, conversation: Conversation, escalation: Escalation) -> None:
        await self.act(conversation.id, from_escalation(escalation), notify=True)

    async def lead_changed(self, change: LeadChange, conversation: Conversation) -> None:
        await self.refresh(conversation.id)

    async def lead_closed(self, lead: Lead, conversation: Conversation, manager_id: int) -> None:
        await self.refresh(conversation.id)

    async def taken_over(self, conversation: Conversation, manager_id: int) -> None:
        await self._cards.clear_reasons(conversation.id)
        await self.refresh(conversation.id)

    async def released(self, conversation: Conversation, manager_id: int | None, reason: str) -> None:
        await self.refresh(conversation.id)

    async def message_for_human(self, conversation: Conversation, inbound: InboundMessage) -> None:
        await self.forward_to_manager(conversation, inbound)

    # Cards
    async def act(self, conversation_id: str, reason: CardReason, *, notify: bool, always: bool = False) -> None:
        """A manager must act: the card is posted (the first time) or edited, and pinged unless a ping
        for this card just went out (`always`: even then)."""
        if await self._cards.claim(conversation_id, reason):
            view = await self._view(conversation_id)
            posts = await self._board.post(conversation_id, self._topic_name(view), self._render(view))
            await self._cards.add_posts(conversation_id, posts)
            await self.refresh(conversation_id)  # another replica may have changed it while this one posted
            return
        async with self._one_edit_at_a_time(conversation_id):
            card = await self._cards.add_reason(conversation_id, reason)
            if card is None:
                return
            await self._board.edit(card.posts, self._render(await self._view(conversation_id, card.reasons)))
        quiet = timedelta(0) if always else PING_QUIET
        if notify and await self._cards.claim_ping(conversation_id, quiet):
            await self._board.ping(card.posts, lambda _: "🔔 " + worded(reason, _))

    async def refresh(self, conversation_id: str) -> None:
        """The card shows the conversation as it is now (no card yet: nothing to do)."""
        async with self._one_edit_at_a_time(conversation_id):
            card = await self._cards.get(conversation_id)
            if card is None or not card.posts:
                return
            await self._board.edit(card.posts, self._render(await self._view(conversation_id, card.reasons)))

    @asynccontextmanager
    async def _one_edit_at_a_time(self, conversation_id: str) -> AsyncIterator[None]:
        lock, users = self._editing.get(conversation_id, (asyncio.Lock(), 0))
        self._editing[conversation_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._editing[conversation_id]
            if users == 1:
                del self._editing[conversation_id]
            else:
                self._editing[conversation_id] = (lock, users - 1)

    async def reannounce(self, after: timedelta) -> int:
        """The SLA re-alert: hot leads nobody took and requests for a person still waiting after `after` are
        announced once more, once per conversation and wait."""
        minutes = f"{after.total_seconds() / 60:g}"
        due: list[str] = []
        for lead in await self._leads.hot_unanswered(after):
            # One re-alert per conversation: the lead's claim, and the wait's (it may have had one already).
            if await self._leads.claim_alert(lead.id, 1) and await self._conversations.claim_sla_alert(
                lead.conversation_id
            ):
                due.append(lead.conversation_id)
        for conversation in await self._conversations.waiting_since_before(utcnow() - after):
            if conversation.id not in due and await self._conversations.claim_sla_alert(conversation.id):
                due.append(conversation.id)
        for conversation_id in due:
            await self.act(conversation_id, CardReason("sla", minutes), notify=True, always=True)
        return len(due)

    async def _view(self, conversation_id: str, reasons: list[CardReason] | None = None) -> CardView:
        conversation = await self._conversations.get(conversation_id)
        assert conversation is not None, conversation_id
        lead = await self._leads.by_conversation(conversation_id)
        contact = await self._contacts.get(conversation.contact_id)
        if reasons is None:
            card = await self._cards.get(conversation_id)
            reasons = card.reasons if card else []
        owner_name = None
        if conversation.owner == "human" and conversation.owner_manager_id is not None:
            owner_name = await self._managers.name(conversation.owner_manager_id)
        recent = await self._messages.recent(conversation_id, limit=8)
        return CardView(conversation, lead, contact, reasons, recent, owner_name)

    @staticmethod
    def _render(view: CardView) -> Callable[[Translate], tuple[str, InlineKeyboardMarkup]]:
        return lambda _: (card_text(view, _), card_keyboard(view, _))

    @staticmethod
    def _topic_name(view: CardView) -> str:
        name = (view.contact.name if view.contact else None) or (view.lead.name if view.lead else None)
        return f"{name or 'Customer'} · {view.conversation.channel}"

    # The taken chat
    async def forward_to_manager(self, conversation: Conversation, inbound: InboundMessage) -> None:
        """The customer's words, photos, documents and voice reach the manager who handles the chat."""
        manager_id = conversation.owner_manager_id
        if manager_id is None:
            return
        if conversation.channel == "telegram_business" and conversation.channel_user_id.startswith(f"{manager_id}:"):
            return  # the seller took over their own business chat: they see the customer there already
        chat_id, thread = manager_id, None
        contact = await self._contacts.get(conversation.contact_id)
        who = (contact.name if contact and contact.name else None) or f"{conversation.channel} customer"
        if self._board.group_chat_id is not None:
            chat_id = self._board.group_chat_id
            thread = await self._board.topic(conversation.id, f"{who} · {conversation.channel}")
        header = f"💬 {who} ({conversation.channel}):"
        download = self._downloaders.get(conversation.channel)
        # Telegram and WhatsApp attachments have ids; Messenger and Instagram ones come as URLs.
        media = [a for a in inbound.attachments if a.kind in RELAYED_MEDIA and (a.file_id or a.url)]
        relayed = 0
        if media and download is not None:
            caption = f"{header} {inbound.text}"[:1024]
            for attachment in media:
                try:
                    data = await download(attachment.file_id or attachment.url or "")
                    upload = BufferedInputFile(data, attachment.name or attachment.kind)
                    send = getattr(self._bot, f"send_{attachment.kind}")
                    await send(chat_id, upload, caption=caption, message_thread_id=thread)
                except Exception:  # an expired link or a file too big for the admin bot: the words still go
                    log.warning("a %s from conversation %s could not be relayed", attachment.kind, conversation.id)
                    continue
                caption, relayed = header, relayed + 1
            if relayed == len(media):
                return
        kinds = ", ".join(a.kind for a in inbound.attachments)
        missing = f" [{kinds}: could not be fetched]" if relayed < len(media) and download is not None else ""
        text = (inbound.text or ("" if missing else f"[{kinds or 'empty message'}]")) + missing
        await self._bot.send_message(chat_id, f"{header} {text}".rstrip(), message_thread_id=thread)

    async def idle_released(self, manager_id: int, minutes: float) -> None:
        """The idle timeout gave a manager's chat back to the bot: they are told, in their language."""
        _ = await self._board.translation_for(manager_id)
        text = _("No activity for {minutes} min: the chat went back to the bot. Tap Take over on its card to continue.")
        await self._bot.send_message(manager_id, text.format(minutes=f"{minutes:g}"))
