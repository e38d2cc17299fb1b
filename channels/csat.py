"""CSAT: when a manager hands a conversation back (or it is released for being idle), or when a chat the bot
handled goes quiet, the customer is asked to rate it, 1 to 5, with buttons; the answer comes back as a turn
(`brain.payloads`) and is stored with it. One question per conversation per `RESURVEY_AFTER`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from brain.payloads import csat_buttons
from brain.playbook import Playbook
from channels.events import ConversationListener
from channels.follow_ups import REPLY_WINDOW
from channels.messages import OutboundMessage
from channels.outbox import Outbox
from storage.leads import LeadRepository
from storage.records import Conversation
from storage.repositories import ConversationRepository, utcnow

NOT_SURVEYED = frozenset({"telegram_business"})
RESURVEY_AFTER = timedelta(days=7)  # a regular customer is not asked after every chat


class CsatSurvey(ConversationListener):
    def __init__(self, outbox: Outbox, playbook: Callable[[], Playbook], conversations: ConversationRepository) -> None:
        self._outbox = outbox
        self._playbook = playbook
        self._conversations = conversations

    async def ask(self, conversation: Conversation) -> None:
        playbook = self._playbook()
        question = playbook.text("csat_question", conversation.language or playbook.default_language)
        await self._outbox.deliver(conversation, OutboundMessage(question, csat_buttons()), meta={"mode": "csat"})

    async def released(self, conversation: Conversation, manager_id: int | None, reason: str) -> None:
        """Once per release: the release is a compare-and-set, so exactly one replica publishes it. Not in a
        Telegram Business chat: there the "manager" is the owner writing from their own account."""
        if conversation.channel in NOT_SURVEYED:
            return
        await self._conversations.claim_csat(conversation.id, utcnow())  # the quiet-chat survey skips it now
        await self.ask(conversation)

    async def ask_quiet(self, leads: LeadRepository, quiet_hours: float) -> int:
        """Chats the bot handled alone, silent for `quiet_hours` inside the reply window, are asked once.
        Open warm and hot leads are left to the follow-up: one unsolicited message, not two."""
        now = utcnow()
        quiet = timedelta(hours=quiet_hours)
        if quiet >= REPLY_WINDOW:
            return 0
        asked = 0
        quiet_chats = await self._conversations.quiet_since(
            now - REPLY_WINDOW, now - quiet, now - RESURVEY_AFTER, sorted(NOT_SURVEYED)
        )
        for conversation in quiet_chats:
            lead = await leads.by_conversation(conversation.id)
            if lead is not None and lead.status == "open" and lead.temperature in ("hot", "warm"):
                await self._conversations.claim_csat(conversation.id, now - RESURVEY_AFTER)  # decided: not asked
                continue
            if await self._conversations.claim_csat(conversation.id, now - RESURVEY_AFTER):
                await self.ask(conversation)
                asked += 1
        return asked
