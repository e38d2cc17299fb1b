"""CSAT: when a manager hands a conversation back (or it is released for being idle), the customer is asked
to rate it, 1 to 5, with buttons; the answer comes back as a turn (`brain.payloads`) and is stored with it."""

from __future__ import annotations

from collections.abc import Callable

from brain.payloads import csat_buttons
from brain.playbook import Playbook
from channels.events import ConversationListener
from channels.messages import OutboundMessage
from channels.outbox import Outbox
from storage.records import Conversation

NOT_SURVEYED = frozenset({"telegram_business"})


class CsatSurvey(ConversationListener):
    def __init__(self, outbox: Outbox, playbook: Callable[[], Playbook]) -> None:
        self._outbox = outbox
        self._playbook = playbook

    async def released(self, conversation: Conversation, manager_id: int | None, reason: str) -> None:
        """Once per release: the release is a compare-and-set, so exactly one replica publishes it. Not in a
        Telegram Business chat: there the "manager" is the owner writing from their own account."""
        if conversation.channel in NOT_SURVEYED:
            return
        playbook = self._playbook()
        question = playbook.text("csat_question", conversation.language or playbook.default_language)
        await self._outbox.deliver(conversation, OutboundMessage(question, csat_buttons()), meta={"mode": "csat"})
