"""The road every customer message travels, whatever the channel:

    accept (dedupe, persist)  ->  turn queue  ->  respond: load context -> brain.reply -> deliver -> record
                                                                                       -> publish events

A message is stored before `submit` returns, so a webhook is acknowledged only for what is safe.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from brain.language import detect_language
from brain.types import CONTACT_PAYLOAD, BrainReply, DraftSink, LeadAssessment, Question
from channels.context import Accepted, TurnContext, load_context
from channels.events import ConversationListener
from channels.flood import FloodGate
from channels.intake import IntakeGate
from channels.messages import InboundMessage, MediaItem, OutboundMessage, Submitted, TurnResult
from channels.outbox import Outbox
from channels.ports import Decider, DedupeMarks
from channels.stores import Stores
from channels.turns import Distributor, InProcessTurnQueue, TurnQueue
from storage.leads import LeadChange
from storage.messages import DuplicateMessage
from storage.records import Conversation

log = logging.getLogger(__name__)

DEDUPE_TTL_S = 3 * 24 * 3600
SHUTDOWN_GRACE_S = 15.0


class Hub:
    """Implements `channels.messages.Inbound` for every adapter."""

    def __init__(
        self,
        stores: Stores,
        brain: Decider,
        outbox: Outbox,
        events: ConversationListener,
        dedupe: DedupeMarks,
        worker: str = "local",
        flood: FloodGate | None = None,
        max_running: int = 32,
        distribute: Distributor[Accepted, TurnResult] | None = None,
    ) -> None:
        self._stores = stores  # accepting fails fast: what is not stored is not acknowledged, and comes again
        self._turn_stores = stores.waiting_out_outages()  # a turn was acknowledged: it waits out a short outage
        self._in_hand: set[str] = set()  # ids of the messages whose turns are queued or running here
        self._brain = brain
        self._outbox = outbox
        self._events = events
        self._dedupe = dedupe
        self.worker = worker  # this replica's id: stored on every message it accepts, until it is answered
        self._flood = flood
        # A burst is stored and acknowledged before its turns take the loop; Telegram's webhook joins the gate.
        self.intake = IntakeGate()
        # This replica's own lanes; `distribute` puts a queue shared by several replicas in front of them.
        lanes = InProcessTurnQueue(self.respond, max_running)
        self.shares_turns = distribute is not None
        self._queue: TurnQueue[Accepted, TurnResult] = distribute(lanes) if distribute else lanes

    async def handle(self, message: InboundMessage) -> TurnResult:
        return await (await self.submit(message)).outcome

    async def submit(self, message: InboundMessage, drafts: DraftSink | None = None) -> Submitted:
        loop = asyncio.get_running_loop()
        accepted = await self.accept(message)
        if accepted is None:
            done: asyncio.Future[TurnResult] = loop.create_future()
            done.set_result(TurnResult(duplicate=True))
            return Submitted(True, None, done, done)
        conversation_id = accepted.conversation.id
        if self._flood is not None and accepted.conversation.owner != "human":
            verdict = await self._flood.check(accepted.contact.id)
            if verdict != "ok":
                limited: asyncio.Future[TurnResult] = loop.create_future()
                limited.set_result(await self._limit(accepted, verdict == "notice"))
                return Submitted(False, conversation_id, limited, limited)
        accepted.replied, accepted.drafts = loop.create_future(), drafts
        return Submitted(False, conversation_id, accepted.replied, self._put(accepted))

    def _put(self, accepted: Accepted) -> asyncio.Future[TurnResult]:
        message_id = accepted.message.id
        self._in_hand.add(message_id)
        outcome = self._queue.put(accepted.conversation.id, accepted)
        outcome.add_done_callback(lambda _: self._in_hand.discard(message_id))
        return outcome

    def in_hand(self, message_id: str) -> bool:
        """True while the message's turn is queued or running in this replica."""
        return message_id in self._in_hand

    async def earlier_answer(self, channel: str, channel_message_id: str) -> TurnResult | None:
        found = await self._stores.messages.inbound_by_channel_id(channel, channel_message_id)
        if found is None or found.status == "received":
            return None
        result = TurnResult(True, found.conversation_id, superseded=found.status == "superseded")
        if found.status == "answered":  # set aside for a manager, flooded or failed: nothing more is coming
            result.replies = [OutboundMessage(m.text) for m in await self._stores.messages.replies_to(found)]
        return result

    async def _limit(self, accepted: Accepted, notify: bool) -> TurnResult:
        """Over the flood limit: stored (nothing is lost) but not answered; the first one gets a polite notice."""
        assert self._flood is not None
        await self._stores.messages.set_status(accepted.message.id, "flooded")
        await self._events.flood_limited(accepted.conversation, accepted.inbound)
        log.warning("flood limit: conversation %s is silenced for a while", accepted.conversation.id)
        result = TurnResult(conversation_id=accepted.conversation.id, limited=True)
        if notify:
            language = detect_language(accepted.inbound.text, accepted.conversation.language)
            notice = OutboundMessage(text=self._flood.policy.notice(language))
            await self._outbox.deliver(accepted.conversation, notice, meta={"mode": "flood_notice"})
            result.replies.append(notice)
        return result

    async def accept(self, inbound: InboundMessage) -> Accepted | None:
        """Dedupe, upsert the contact and conversation, persist the message; None for a redelivery."""
        with self.intake.intake():
            key = f"dedupe:{inbound.channel}:{inbound.channel_message_id}"
            if await self._dedupe.get(key) is not None:
                await self._events.duplicate_dropped(inbound)
                return None
            contact = await self._stores.contacts.upsert(
                inbound.channel,
                inbound.channel_user_id,
                name=inbound.user_name,
                username=inbound.username,
                language=inbound.language_hint,
                # A number the platform vouches for (WhatsApp) or shared with the contact button is their own.
                phone=inbound.phone or (inbound.text.strip() if inbound.payload == CONTACT_PAYLOAD else None),
            )
            if inbound.from_partner_link and contact.audience != "partner":
                await self._stores.contacts.set_audience(contact.id, "partner", "link")
                contact.audience = "partner"
            conversation = await self._stores.conversations.open(contact, None)
            try:
                stored = await self._stores.messages.add(
                    conversation.id,
                    inbound.channel,
                    "in",
                    inbound.text,
                    status="received",
                    channel_message_id=inbound.channel_message_id,
                    meta=inbound.stored_meta(),
                    worker=self.worker,
                )
            except DuplicateMessage:
                # The unique index is the authority; the mark only saves the next lookup.
                await self._dedupe.set(key, "1", DEDUPE_TTL_S)
                await self._events.duplicate_dropped(inbound)
                return None
            await self._dedupe.set(key, "1", DEDUPE_TTL_S)
            await self._events.message_received(conversation, inbound)
            return Accepted(inbound, contact, conversation, stored)

    async def respond(self, accepted: Accepted) -> TurnResult:
        """One turn, in steps: the queue calls this once per accepted message, in conversation order."""
        try:
            return await self._respond(accepted)
        except BaseException as exc:
            accepted.reply_failed(exc)
            if isinstance(exc, Exception):
                await self._events.turn_failed(accepted.conversation, exc)
            raise

    async def _respond(self, accepted: Accepted) -> TurnResult:
        await self.intake.quiet()  # inside the running slot: while intake goes on, few turns start (below)
        context = await load_context(self._turn_stores, accepted)
        if context.handled:  # a redelivered queue entry (a replica died after answering, before acknowledging)
            result = TurnResult(duplicate=True, conversation_id=context.conversation.id)
            accepted.reply_ready(result)
            return result
        waited = (datetime.now(UTC) - accepted.message.created_at).total_seconds()
        await self._events.turn_started(context.conversation, max(waited, 0.0))
        if context.conversation.owner == "human":
            await self._pass_to_human(context)
            result = TurnResult(conversation_id=context.conversation.id)
            accepted.reply_ready(result)
            return result
        if context.covered or self._queue.waiting(context.conversation.id):
            return await self._supersede(context)
        turn = context.turn()
        drafts = accepted.drafts or self._outbox.drafts_for(context.conversation)
        reply = await self._brain.reply(turn, drafts)
        if self._queue.waiting(context.conversation.id):  # they wrote again while it was being written
            return await self._supersede(context)
        if reply.audience in ("buyer", "partner") and reply.audience != context.accepted.contact.audience:
            await self._turn_stores.contacts.learn_audience(context.accepted.contact.id, reply.audience)
        lead_change = await self._record_lead(context, reply.lead, reply.question) if reply.lead else None
        outbound, delivered = await self._deliver(context, reply)
        escalated = await self._record_outcome(context, reply, delivered)
        await self._publish(context, reply, delivered, escalated)
        result = TurnResult(conversation_id=context.conversation.id, replies=[outbound], reply=reply)
        accepted.reply_ready(result)  # a synchronous channel answers now; the rest of the turn goes on
        if lead_change is not None:
            refined = await self._brain.refine_lead(turn, reply)
            if refined is not None:
                changed = await self._record_lead(context, refined, new_turn=False)
                lead_change = lead_change.refined_by(changed)
            await self._publish_lead(lead_change, context.conversation)
        return result

    async def _supersede(self, context: TurnContext) -> TurnResult:
        """Not answered on its own: the customer's next message is already queued, and its turn reads this
        one too (Chatwoot's burst fix). A lone message never waits for this."""
        await self._turn_stores.messages.set_status(context.accepted.message.id, "superseded")
        result = TurnResult(conversation_id=context.conversation.id, superseded=True)
        context.accepted.reply_ready(result)
        return result

    async def _pass_to_human(self, context: TurnContext) -> None:
        """A manager owns the chat: the bot stays silent, the manager gets the message, the lead is still judged."""
        accepted, conversation = context.accepted, context.conversation
        await self._turn_stores.messages.set_status(accepted.message.id, "for_human")
        await self._turn_stores.conversations.touch_human_activity(conversation.id)
        change = None
        if accepted.inbound.text.strip():
            change = await self._record_lead(context, await self._brain.qualify(context.turn()))
        await self._events.message_for_human(conversation, accepted.inbound)
        if change is not None:
            await self._publish_lead(change, conversation)

    async def _deliver(self, context: TurnContext, reply: BrainReply) -> tuple[OutboundMessage, bool]:
        outbound = OutboundMessage(
            text=reply.full_text,
            buttons=reply.buttons,
            media=[MediaItem(m.kind, url=m.url, title=m.title, asset_id=m.asset_id) for m in reply.media],
            contact_request=reply.contact_button,
        )
        meta = {
            "intent": reply.intent,
            "mode": reply.mode,
            "language": reply.language,
            "sources": reply.sources,
            "urgency": reply.urgency,
            "audience": reply.audience,
            "secondary": reply.secondary,
            "reply_to": context.accepted.message.id,
            "tokens": reply.usage.tokens,
            "cost_usd": reply.usage.cost_usd,
        }
        return outbound, await self._outbox.deliver(context.conversation, outbound, meta=meta)

    async def _record_lead(
        self, context: TurnContext, lead: LeadAssessment, question: Question | None = None, *, new_turn: bool = True
    ) -> LeadChange:
        """The lead as this turn judged it, with the question asked, stored before the reply leaves."""
        accepted, conversation = context.accepted, context.conversation
        return await self._turn_stores.leads.record(
            conversation.id,
            accepted.contact.id,
            conversation.channel,
            temperature=lead.temperature,
            score=lead.score,
            reasons=lead.reasons,
            fields=lead.fields,
            name=accepted.contact.name,
            asked=question.field if question else None,
            turn=(context.lead.turns if context.lead else 0) + 1,
            new_turn=new_turn,
        )

    async def _record_outcome(self, context: TurnContext, reply: BrainReply, delivered: bool) -> bool:
        """After delivery: the message's status, the conversation's language and cost, and the escalation
        (compare-and-set, so only one turn escalates); True when this turn escalated."""
        accepted, conversation = context.accepted, context.conversation
        await self._turn_stores.messages.set_status(
            accepted.message.id,
            "answered" if delivered else "answer_failed",
            intent=reply.intent,
            language=reply.language,
            mode=reply.mode,
            gap=reply.unanswered,
            rating=reply.rating,
        )
        await self._turn_stores.conversations.record_turn(
            conversation.id, reply.language, reply.usage.tokens, reply.usage.cost_usd
        )
        if not reply.escalate:
            return False
        return await self._turn_stores.conversations.compare_and_set_owner(conversation.id, "ai", "pending_human")

    async def _publish(self, context: TurnContext, reply: BrainReply, delivered: bool, escalated: bool) -> None:
        conversation = context.conversation
        await self._events.reply_sent(conversation, reply, delivered, time.perf_counter() - context.started)
        if escalated and reply.escalation is not None:
            await self._events.escalated(conversation, reply.escalation)

    async def _publish_lead(self, change: LeadChange, conversation: Conversation) -> None:
        await self._events.lead_changed(change, conversation)
        if change.became_hot:
            await self._events.lead_became_hot(change.lead, conversation)

    @property
    def queue_depth(self) -> int:
        return self._queue.pending

    def requeue(self, accepted: Accepted) -> None:
        """Queue a turn for a message stored earlier (adopted from a replica that is gone, or stuck here)."""
        self._put(accepted)

    async def drain(self, timeout_s: float = SHUTDOWN_GRACE_S) -> bool:
        """Let queued turns finish (shutdown); False when some were still running at the timeout."""
        return await self._queue.drain(timeout_s)
