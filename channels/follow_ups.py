"""One follow-up to a warm lead who went silent: after FOLLOW_UP_AFTER_HOURS, inside the platforms' 24-hour
reply window, from the playbook's `texts.follow_up` in the customer's language; never to a conversation a
person owns, never to a customer whose last words were "no". Each lead is decided once (compare-and-set),
so restarts and replicas never send a second one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from brain.follow_up import declined
from brain.playbook import Playbook
from channels.messages import OutboundMessage
from channels.outbox import Outbox
from channels.ports import ConversationStore, MessageStore
from storage.leads import LeadRepository
from storage.repositories import utcnow

REPLY_WINDOW = timedelta(hours=24)  # Meta's standard messaging window (PROTOCOLS.md)


class FollowUps:
    def __init__(
        self,
        leads: LeadRepository,
        conversations: ConversationStore,
        messages: MessageStore,
        outbox: Outbox,
        playbook: Callable[[], Playbook],
        after_hours: float,
    ) -> None:
        self._leads = leads
        self._conversations = conversations
        self._messages = messages
        self._outbox = outbox
        self._playbook = playbook
        self._after = timedelta(hours=after_hours)

    async def run(self) -> int:
        """Send the follow-ups that are due; returns how many were sent."""
        now = utcnow()
        if self._after >= REPLY_WINDOW:
            return 0  # the window would be closed by then: a free-form message is not allowed
        sent = 0
        for lead in await self._leads.silent_warm(now - REPLY_WINDOW, now - self._after):
            conversation = await self._conversations.get(lead.conversation_id)
            if conversation is None or conversation.owner != "ai":
                continue  # a person has it (or had it and will hand it back): they decide
            recent = await self._messages.recent(conversation.id, limit=6)
            last_words = next((m.text for m in reversed(recent) if m.direction == "in"), "")
            if declined(last_words):
                await self._leads.claim_follow_up(lead.id, "declined")
                continue
            if not await self._leads.claim_follow_up(lead.id, "sent"):
                continue  # another replica decided it first
            playbook = self._playbook()
            text = playbook.text("follow_up", conversation.language or playbook.default_language)
            await self._outbox.deliver(conversation, OutboundMessage(text), meta={"mode": "follow_up"})
            sent += 1
        return sent
