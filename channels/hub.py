"""The inbound pipeline: dedupe -> persist -> ownership -> brain -> outbox. Nothing channel-specific."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from brain.service import Brain
from brain.types import BrainReply, HistoryItem, Turn
from channels.lead_tracking import LeadTracker
from channels.messages import CONTACT_PAYLOAD, START_PAYLOAD, InboundMessage, OutboundMessage
from channels.metrics import PipelineMetrics
from channels.outbox import Outbox
from storage.cache import Cache
from storage.leads import Lead, LeadChange
from storage.records import Contact, Conversation, StoredMessage
from storage.repositories import (
    ContactRepository,
    ConversationRepository,
    DuplicateMessage,
    EventLog,
    MessageRepository,
)

log = logging.getLogger(__name__)

DEDUPE_TTL_S = 3 * 24 * 3600
NO_LEAD_INTENTS = ("greeting", "unsupported", "empty", "too_long")
RECENT_TURNS = 12  # verbatim history given to the brain
MEMORY_MESSAGES = 60  # older ones are condensed into a rolling summary


def rolling_summary(older: list[HistoryItem], limit: int = 8) -> str | None:
    """What the customer said before the recent window, condensed: their last `limit` earlier messages."""
    said = [" ".join(item.text.split())[:120] for item in older if item.role == "customer"]
    return "; ".join(said[-limit:]) or None


@dataclass(slots=True)
class Accepted:
    inbound: InboundMessage
    contact: Contact
    conversation: Conversation
    message: StoredMessage


@dataclass(slots=True)
class HandleResult:
    duplicate: bool = False
    conversation_id: str | None = None
    replies: list[OutboundMessage] = field(default_factory=list)
    reply: BrainReply | None = None


@dataclass(slots=True)
class Repositories:
    contacts: ContactRepository
    conversations: ConversationRepository
    messages: MessageRepository
    events: EventLog


HumanListener = Callable[[Conversation, InboundMessage], Awaitable[None]]


class Hub:
    def __init__(
        self,
        repos: Repositories,
        cache: Cache,
        brain: Brain,
        outbox: Outbox,
        metrics: PipelineMetrics,
        max_inbound_chars: int = 8000,
        leads: LeadTracker | None = None,
    ) -> None:
        self.leads = leads
        # Called with each customer message that arrives while a human owns the conversation.
        self.human_listeners: list[HumanListener] = []
        # Called once when a conversation is escalated to a human (ai -> pending_human).
        self.escalation_listeners: list[Callable[[Conversation], Awaitable[None]]] = []
        self._repos = repos
        self._cache = cache
        self._brain = brain
        self._outbox = outbox
        self._metrics = metrics
        self._max_chars = max_inbound_chars

    async def handle(self, inbound: InboundMessage) -> HandleResult:
        accepted = await self.accept(inbound)
        if accepted is None:
            return HandleResult(duplicate=True)
        return await self.respond(accepted)

    async def accept(self, inbound: InboundMessage) -> Accepted | None:
        """Persist the message (before any webhook is acknowledged); None for a redelivery."""
        key = f"dedupe:{inbound.channel}:{inbound.channel_message_id}"
        if await self._cache.get(key) is not None:
            self._metrics.duplicates.labels(inbound.channel).inc()
            return None
        contact = await self._repos.contacts.upsert(
            inbound.channel,
            inbound.channel_user_id,
            name=inbound.user_name,
            username=inbound.username,
            language=inbound.language_hint,
        )
        conversation = await self._repos.conversations.open(contact, None)
        meta = {"attachments": [a.kind for a in inbound.attachments]} if inbound.attachments else {}
        if inbound.payload:
            meta["payload"] = inbound.payload
        try:
            stored = await self._repos.messages.add(
                conversation.id,
                inbound.channel,
                "in",
                inbound.text,
                status="received",
                channel_message_id=inbound.channel_message_id,
                meta=meta,
            )
        except DuplicateMessage:
            # The unique index is the authority; the cache mark only saves the next lookup.
            await self._cache.set(key, "1", DEDUPE_TTL_S)
            self._metrics.duplicates.labels(inbound.channel).inc()
            return None
        await self._cache.set(key, "1", DEDUPE_TTL_S)
        self._metrics.inbound.labels(inbound.channel).inc()
        return Accepted(inbound, contact, conversation, stored)

    async def respond(self, accepted: Accepted) -> HandleResult:
        started = time.perf_counter()
        inbound, conversation = accepted.inbound, accepted.conversation
        result = HandleResult(conversation_id=conversation.id)
        current = await self._repos.conversations.get(conversation.id) or conversation
        if current.owner == "human":
            # A manager owns the chat: the bot stays silent; the message goes to the manager.
            await self._repos.messages.set_status(accepted.message.id, "for_human")
            for listener in self.human_listeners:
                await listener(current, inbound)
            await self._track_lead(accepted, current)
            return result
        reply = await self._think(accepted, current)
        lead_change = None
        if reply.intent not in NO_LEAD_INTENTS:
            lead_change = await self._track_lead(accepted, current)
        outbound = OutboundMessage(text=reply.text, buttons=reply.buttons)
        if reply.request_contact:
            outbound.contact_request = self._brain.playbook.text("share_phone_button", reply.language)
        if lead_change is not None and reply.lead_fields and self.leads is not None:
            await self.leads.note(lead_change.lead, reply.lead_fields)
        plain = not reply.escalate and not reply.request_contact and reply.mode not in ("guard", "canned")
        if lead_change is not None and plain:  # (an agent that asked for contacts has asked its question)
            await self._ask_qualification_question(lead_change.lead, reply, outbound)
        meta = {
            "intent": reply.intent,
            "mode": reply.mode,
            "language": reply.language,
            "sources": reply.sources,
            "urgency": reply.urgency,
            "audience": reply.audience,
            "secondary": reply.secondary,
            "reply_to": accepted.message.id,
            "tokens": reply.usage.tokens,
            "cost_usd": reply.usage.cost_usd,
        }
        sent = await self._outbox.deliver(current, outbound, meta=meta)
        await self._repos.messages.set_status(
            accepted.message.id,
            "answered" if sent else "answer_failed",
            intent=reply.intent,
            language=reply.language,
            mode=reply.mode,
        )
        await self._repos.conversations.set_language(current.id, reply.language)
        if reply.usage.llm_calls:
            await self._repos.conversations.add_usage(current.id, reply.usage.tokens, reply.usage.cost_usd)
        if reply.guard:
            await self._repos.events.record(
                "guard", detail=reply.guard, conversation_id=current.id, message_id=accepted.message.id
            )
        if reply.escalate:
            await self._escalate(current, accepted.message.id)
        self._metrics.replies.labels(inbound.channel, reply.mode).inc()
        self._metrics.turn_seconds.labels(inbound.channel).observe(time.perf_counter() - started)
        result.replies, result.reply = [outbound], reply
        return result

    async def _think(self, accepted: Accepted, conversation: Conversation) -> BrainReply:
        reply = await self._think_once(accepted, conversation)
        await self._brain.store_pending(reply)
        return reply

    async def _think_once(self, accepted: Accepted, conversation: Conversation) -> BrainReply:
        inbound = accepted.inbound
        language = conversation.language or inbound.language_hint
        text = inbound.text.strip()
        if inbound.payload == START_PAYLOAD:
            return self._brain.greeting(inbound.language_hint or language)
        if inbound.payload == CONTACT_PAYLOAD:
            await self._repos.contacts.set_phone(accepted.contact.id, text)
            return self._brain.canned("contact_thanks", language, "contact")
        if not text and not inbound.payload:
            key = "unsupported_message" if inbound.attachments else "empty_message"
            return self._brain.canned(key, language, "unsupported" if inbound.attachments else "empty")
        if len(text) > self._max_chars:
            return self._brain.canned("too_long", language, "too_long")
        stored = await self._repos.messages.recent(conversation.id, limit=MEMORY_MESSAGES)
        items = [
            HistoryItem("customer" if m.direction == "in" else "assistant", m.text)
            for m in stored
            if m.id != accepted.message.id and m.text
        ]
        turn = Turn(
            text=text or (inbound.payload or ""),
            conversation_id=conversation.id,
            channel=inbound.channel,
            previous_language=conversation.language,
            language_hint=inbound.language_hint,
            history=items[-RECENT_TURNS:],
            summary=rolling_summary(items[:-RECENT_TURNS]),
            max_reply_chars=self._outbox.channel(inbound.channel).capabilities.max_text,
            payload=inbound.payload,
        )
        return await self._brain.reply(turn)

    async def _track_lead(self, accepted: Accepted, conversation: Conversation) -> LeadChange | None:
        if self.leads is None or not accepted.inbound.text.strip():
            return None
        history = await self._repos.messages.recent(conversation.id, limit=20)
        texts = [m.text for m in history if m.direction == "in" and m.text.strip()]
        return await self.leads.track(conversation, accepted.contact, texts)

    async def _ask_qualification_question(self, lead: Lead, reply: BrainReply, outbound: OutboundMessage) -> None:
        """At most one question, only for an interested lead, never the same twice (LeadTracker decides)."""
        assert self.leads is not None
        question = await self.leads.next_question(lead, reply.language, self._brain.playbook)
        if question is None:
            return
        outbound.text = f"{outbound.text}\n\n{question.text}"
        if question.field == "contact":
            outbound.contact_request = self._brain.playbook.text("share_phone_button", reply.language)

    async def _escalate(self, conversation: Conversation, message_id: str) -> None:
        if await self._repos.conversations.compare_and_set_owner(conversation.id, "ai", "pending_human"):
            self._metrics.escalations.inc()
            await self._repos.events.record(
                "conversation.escalated", conversation_id=conversation.id, message_id=message_id
            )
            for listener in self.escalation_listeners:
                await listener(conversation)

    async def recover_unanswered(self, grace_s: float = 30.0) -> int:
        """Answer messages that were persisted but never answered (the process stopped mid-turn)."""
        cutoff = datetime.now(UTC) - timedelta(seconds=grace_s)
        recovered = 0
        for message in await self._repos.messages.unanswered(cutoff):
            conversation = await self._repos.conversations.get(message.conversation_id)
            contact = await self._repos.contacts.get(conversation.contact_id) if conversation else None
            if conversation is None or contact is None:
                continue
            inbound = InboundMessage(
                channel=message.channel,
                channel_user_id=conversation.channel_user_id,
                channel_message_id=message.channel_message_id or message.id,
                text=message.text,
                payload=message.meta.get("payload"),
            )
            try:
                await self.respond(Accepted(inbound, contact, conversation, message))
            except LookupError:
                log.warning("cannot recover message %s: channel %s is not running", message.id, message.channel)
                continue
            recovered += 1
        return recovered
