"""The audit trail (`events` collection) as a subscriber: escalations, takeovers, releases, guard trips."""

from __future__ import annotations

from brain.types import BrainReply, Escalation
from channels.events import ConversationListener
from storage.leads import Lead
from storage.records import Conversation
from storage.repositories import AuditLog


class AuditTrail(ConversationListener):
    def __init__(self, log: AuditLog) -> None:
        self._log = log

    async def escalated(self, conversation: Conversation, escalation: Escalation) -> None:
        await self._log.record(
            "conversation.escalated", conversation_id=conversation.id, reason=escalation.kind, detail=escalation.detail
        )

    async def taken_over(self, conversation: Conversation, manager_id: int) -> None:
        await self._log.record("conversation.taken_over", conversation_id=conversation.id, manager_id=manager_id)

    async def lead_closed(self, lead: Lead, conversation: Conversation, manager_id: int) -> None:
        await self._log.record(
            "lead.closed", conversation_id=conversation.id, lead_id=lead.id, status=lead.status, manager_id=manager_id
        )

    async def released(self, conversation: Conversation, manager_id: int | None, reason: str) -> None:
        await self._log.record(
            "conversation.released", conversation_id=conversation.id, manager_id=manager_id, reason=reason
        )

    async def reply_sent(self, conversation: Conversation, reply: BrainReply, delivered: bool, seconds: float) -> None:
        if reply.guard:
            await self._log.record("guard", detail=reply.guard, conversation_id=conversation.id)
