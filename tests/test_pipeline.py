"""The road a message travels, on in-memory stores and a scripted brain: no database, milliseconds a test.

The same pipeline runs on the real parts in the end-to-end tests (web chat, Telegram, sales loop)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from brain.flood import FloodPolicy
from brain.types import BrainReply, Button, Escalation, LeadAssessment, Question, Turn
from channels.events import ConversationEvents, ConversationListener
from channels.flood import FloodGate
from channels.hub import Hub
from channels.messages import DeliveryError, InboundMessage
from channels.metrics import PipelineMetrics
from channels.outbox import Outbox
from channels.recovery import adopt_orphans
from channels.stores import Stores
from tests.fakes.memory import (
    CollectingChannel,
    MemoryContacts,
    MemoryConversations,
    MemoryLeads,
    MemoryMarks,
    MemoryMessages,
    RecordingListener,
    ScriptedBrain,
)

WARM = LeadAssessment("warm", 40, ['price question: "how much"'], {"need": "coffee"})
HOT = LeadAssessment("hot", 85, ['commitment: "send an invoice"'], {"quantity": "2"})


@dataclass
class Road:
    hub: Hub
    brain: ScriptedBrain
    stores: Stores
    channel: CollectingChannel
    events: RecordingListener
    fanout: ConversationEvents

    @property
    def messages(self) -> MemoryMessages:
        return self.stores.messages  # type: ignore[return-value]

    @property
    def conversations(self) -> MemoryConversations:
        return self.stores.conversations  # type: ignore[return-value]

    @property
    def leads(self) -> MemoryLeads:
        return self.stores.leads  # type: ignore[return-value]


def copy(assessment: LeadAssessment) -> LeadAssessment:
    return replace(assessment, reasons=list(assessment.reasons), fields=dict(assessment.fields))


def road(
    brain: ScriptedBrain | None = None, *subscribers: ConversationListener, flood: FloodPolicy | None = None
) -> Road:
    stores = Stores(MemoryContacts(), MemoryConversations(), MemoryMessages(), MemoryLeads())
    channel = CollectingChannel()
    outbox = Outbox(stores.messages, stores.conversations, attempts=2, backoff_s=0)  # type: ignore[arg-type]
    outbox.register(channel)
    recorder = RecordingListener()
    fanout = ConversationEvents([*subscribers, recorder])
    brain = brain or ScriptedBrain()
    hub = Hub(stores, brain, outbox, fanout, MemoryMarks(), flood=FloodGate(MemoryMarks(), flood) if flood else None)
    return Road(hub, brain, stores, channel, recorder, fanout)


def message(text: str, user: str = "u1", mid: str | None = None, **extra) -> InboundMessage:
    return InboundMessage("test", user, mid or f"{user}:{text}", text=text, **extra)


async def test_a_message_is_stored_before_submit_returns_and_answered_once():
    r = road()
    submitted = await r.hub.submit(message("How much is it?", mid="m1"))
    [stored] = r.messages.of(submitted.conversation_id, "in")
    assert stored.text == "How much is it?" and stored.channel_message_id == "m1"
    result = await submitted.outcome
    assert result.replies[0].text == "re: How much is it?"
    again = await r.hub.handle(message("How much is it?", mid="m1"))  # the platform redelivers
    assert again.duplicate and len(r.channel.sent) == 1
    assert r.events.names().count("duplicate_dropped") == 1
    assert stored.status == "answered"


async def test_turns_of_one_conversation_keep_their_order_and_others_do_not_wait():
    gate, writing = asyncio.Event(), asyncio.Event()

    async def decide(turn: Turn) -> BrainReply:
        if turn.text == "first":
            writing.set()
            await gate.wait()  # the first answer is slow
        return BrainReply(f"re: {turn.text}", "en", "question", "offline")

    r = road(ScriptedBrain(decide))
    first = await r.hub.submit(message("first", user="a"))
    await writing.wait()  # the first answer is being written...
    second = await r.hub.submit(message("second", user="a"))  # ...when the customer writes again
    other = await r.hub.handle(message("hello", user="b"))  # another customer is answered meanwhile
    assert other.replies[0].text == "re: hello" and not first.outcome.done() and not second.outcome.done()
    gate.set()
    await asyncio.gather(first.outcome, second.outcome)
    to_a = [m.text for recipient, m in r.channel.sent if recipient == "a"]
    # The second message came before the first answer left: one answer covers both, in order.
    assert to_a == ["re: first\nsecond"]
    assert (await first.outcome).superseded and not (await second.outcome).superseded
    assert [h.text for h in r.brain.turns[-1].history] == ["first"]
    assert all(h.text != "second" for h in r.brain.turns[0].history)  # the first never saw the second


async def test_while_a_manager_owns_the_chat_the_bot_is_silent_and_the_manager_is_told():
    r = road(ScriptedBrain(assessment=WARM))
    first = await r.hub.handle(message("Hi there"))
    await r.conversations.compare_and_set_owner(first.conversation_id, "ai", "human", 42)
    result = await r.hub.handle(message("Are you there?"))
    assert result.replies == [] and len(r.channel.sent) == 1
    [_, last] = r.messages.of(first.conversation_id, "in")
    assert last.status == "for_human"
    assert "message_for_human" in r.events.names() and r.conversations.human_activity == [first.conversation_id]
    lead = await r.leads.by_conversation(first.conversation_id)
    assert lead is not None and lead.temperature == "warm"  # still qualified while a person talks


async def test_a_takeover_during_the_brains_work_stops_the_reply():
    async def decide(turn: Turn) -> BrainReply:
        await r.conversations.compare_and_set_owner(turn.conversation_id, "ai", "human", 7)  # a manager taps now
        return BrainReply("too late", "en", "question", "offline")

    r = road(ScriptedBrain(decide))
    result = await r.hub.handle(message("question"))
    assert r.channel.sent == []
    assert [m.status for m in r.messages.of(result.conversation_id, "out")] == ["suppressed"]


async def test_an_escalation_moves_the_chat_once_and_says_why():
    brain = ScriptedBrain(
        lambda t: BrainReply(
            "A manager will join", "en", "human", "canned", escalation=Escalation("human", "asked for a person")
        )
    )
    r = road(brain)
    first = await r.hub.handle(message("call a human"))
    await r.hub.handle(message("hello? a human please"))
    conversation = await r.conversations.get(first.conversation_id)
    assert conversation is not None and conversation.owner == "pending_human"
    escalations = [args for name, args in r.events.events if name == "escalated"]
    assert len(escalations) == 1 and escalations[0][1] == Escalation("human", "asked for a person")


async def test_lead_rising_to_hot_is_published_once_and_the_question_is_recorded():
    def decide(turn: Turn) -> BrainReply:
        hot = "invoice" in turn.text
        lead = copy(HOT if hot else WARM)
        question = None if hot else Question("timeline", "When do you need it?")
        return BrainReply("ok", "en", "purchase", "offline", lead=lead, question=question)

    r = road(ScriptedBrain(decide))
    first = await r.hub.handle(message("how much?"))
    assert first.replies[0].text == "ok\n\nWhen do you need it?"
    await r.hub.handle(message("send an invoice"))
    await r.hub.handle(message("and one more invoice"))
    names = r.events.names()
    assert names.count("lead_changed") == 3 and names.count("lead_became_hot") == 1
    lead = await r.leads.by_conversation(first.conversation_id)
    assert lead is not None and lead.asked == ["timeline"] and lead.asked_turn == 1 and lead.turns == 3
    assert lead.fields == {"need": "coffee", "quantity": "2"}
    # The brain saw the lead as it was before each turn.
    assert r.brain.turns[0].lead is None and r.brain.turns[2].lead.temperature == "hot"


async def test_a_failing_subscriber_is_logged_and_loses_nothing(caplog):
    class Broken(ConversationListener):
        async def reply_sent(self, *args) -> None:
            raise RuntimeError("alert bot is down")

    r = road(None, Broken())
    with caplog.at_level(logging.ERROR):
        result = await r.hub.handle(message("hello"))
    assert result.replies[0].text == "re: hello" and "reply_sent" in r.events.names()  # the next subscriber ran
    assert any("Broken failed on reply_sent" in rec.message for rec in caplog.records)


async def test_a_failed_send_is_recorded_and_the_turn_marked():
    r = road()
    r.channel.fail_with = DeliveryError("blocked by the user", transient=False)
    result = await r.hub.handle(message("hello"))
    [inbound] = r.messages.of(result.conversation_id, "in")
    [outbound] = r.messages.of(result.conversation_id, "out")
    assert inbound.status == "answer_failed" and outbound.status == "failed"
    sent = [args for name, args in r.events.events if name == "reply_sent"]
    assert sent[0][2] is False  # delivered=False reaches the subscribers


async def test_a_brain_failure_reaches_the_caller_and_the_next_turn_still_runs():
    calls = 0

    def decide(turn: Turn) -> BrainReply:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("bug in a decision")
        return BrainReply("fine", "en", "question", "offline")

    r = road(ScriptedBrain(decide))
    with pytest.raises(ValueError):
        await r.hub.handle(message("one"))
    assert (await r.hub.handle(message("two"))).replies[0].text == "fine"


async def test_a_turn_that_finds_mongodb_away_for_a_moment_waits_for_it_and_answers(monkeypatch):
    from pymongo.errors import AutoReconnect

    from channels import storage_retry

    monkeypatch.setattr(storage_retry, "RETRY_DELAYS_S", (0.01, 0.01))
    r = road()
    refusals = [AutoReconnect("connection refused"), AutoReconnect("connection refused")]
    recent = r.messages.recent

    async def away_for_a_moment(*args, **kwargs):
        if refusals:
            raise refusals.pop()
        return await recent(*args, **kwargs)

    monkeypatch.setattr(r.messages, "recent", away_for_a_moment)
    submitted = await r.hub.submit(message("Do you deliver to Lviv?", mid="m-away"))
    result = await submitted.outcome
    assert not refusals and result.replies[0].text == "re: Do you deliver to Lviv?"
    [stored] = r.messages.of(submitted.conversation_id, "in")
    assert stored.status == "answered" and len(r.channel.sent) == 1


def refuse_first_calls(monkeypatch, store: object, method: str, times: int) -> list[Exception]:
    """`store.method` refuses `times` calls as a MongoDB that cannot be reached would; returns what is left."""
    from pymongo.errors import AutoReconnect

    refusals: list[Exception] = [AutoReconnect("connection refused") for _ in range(times)]
    original = getattr(store, method)

    async def refusing(*args, **kwargs):
        if refusals:
            raise refusals.pop()
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, method, refusing)
    return refusals


def as_if_written_a_minute_ago(messages: MemoryMessages) -> None:
    """The fake clock starts in the past: move every message to a minute ago, order kept."""
    shift = datetime.now(UTC) - timedelta(minutes=1) - max(m.created_at for m in messages.items)
    for m in messages.items:
        m.created_at += shift


async def test_a_turn_that_loses_mongodb_while_it_writes_waits_for_it_and_answers_once(monkeypatch):
    from channels import storage_retry

    monkeypatch.setattr(storage_retry, "RETRY_DELAYS_S", (0.01, 0.01))
    r = road(ScriptedBrain(assessment=copy(WARM)))
    left = [
        refuse_first_calls(monkeypatch, r.leads, "record", 2),  # before the reply leaves
        refuse_first_calls(monkeypatch, r.messages, "add", 0),
        refuse_first_calls(monkeypatch, r.conversations, "record_turn", 2),  # after it left
    ]
    submitted = await r.hub.submit(message("How much is it?", mid="m-blip"))
    adds = refuse_first_calls(monkeypatch, r.messages, "add", 1)  # the reply's own record, in the outbox
    statuses = refuse_first_calls(monkeypatch, r.messages, "set_status", 2)
    result = await submitted.outcome
    assert not any(left) and not adds and not statuses
    assert [m.text for _, m in r.channel.sent] == ["re: How much is it?"] and result.replies
    [inbound] = r.messages.of(submitted.conversation_id, "in")
    [outbound] = r.messages.of(submitted.conversation_id, "out")
    assert inbound.status == "answered" and outbound.text == "re: How much is it?"
    assert (await r.leads.by_conversation(submitted.conversation_id)).temperature == "warm"


async def test_a_message_whose_turn_failed_is_queued_again_by_its_own_replica_and_answered_once(monkeypatch):
    from channels import storage_retry
    from channels.recovery import retry_stuck

    monkeypatch.setattr(storage_retry, "RETRY_DELAYS_S", (0.01,))
    r = road()
    refuse_first_calls(monkeypatch, r.leads, "by_conversation", 2)  # away for longer than the turn waits
    submitted = await r.hub.submit(message("Do you deliver to Lviv?", mid="m-stuck"))
    with pytest.raises(Exception, match="connection refused"):
        await submitted.outcome
    [stored] = r.messages.of(submitted.conversation_id, "in")
    assert stored.status == "received" and not r.channel.sent
    as_if_written_a_minute_ago(r.messages)
    assert await retry_stuck(r.hub, r.stores) == 0  # too recent: a turn may still be working on it
    assert await retry_stuck(r.hub, r.stores, stuck_after=timedelta(0)) == 1
    assert await r.hub.drain(5)
    assert [m.text for _, m in r.channel.sent] == ["re: Do you deliver to Lviv?"] and stored.status == "answered"
    assert await retry_stuck(r.hub, r.stores, stuck_after=timedelta(0)) == 0  # answered: nothing left


async def test_a_failed_message_is_not_answered_late_after_a_later_one_was_answered_with_it(monkeypatch):
    from channels import storage_retry
    from channels.recovery import retry_stuck

    monkeypatch.setattr(storage_retry, "RETRY_DELAYS_S", (0.01,))
    r = road()
    refuse_first_calls(monkeypatch, r.leads, "by_conversation", 2)
    first = await r.hub.submit(message("Do you deliver to Lviv?", mid="m-first"))
    with pytest.raises(Exception, match="connection refused"):
        await first.outcome
    second = await r.hub.handle(message("And to Kyiv?", mid="m-second"))
    assert [h.text for h in r.brain.turns[-1].history] == ["Do you deliver to Lviv?"]  # the answer saw both
    as_if_written_a_minute_ago(r.messages)
    assert await retry_stuck(r.hub, r.stores, stuck_after=timedelta(0)) == 1
    assert await r.hub.drain(5)
    assert [m.text for _, m in r.channel.sent] == ["re: And to Kyiv?"] and second.replies
    assert [m.status for m in r.messages.of(first.conversation_id, "in")] == ["superseded", "answered"]


async def test_a_message_whose_turn_is_still_queued_or_running_is_not_queued_again():
    from channels.recovery import retry_stuck

    gate = asyncio.Event()

    async def slow(turn: Turn) -> BrainReply:
        await gate.wait()
        return BrainReply(f"re: {turn.text}", "en", "question", "offline")

    r = road(ScriptedBrain(slow))
    running = await r.hub.submit(message("one", mid="m-running"))
    waiting = await r.hub.submit(message("two", mid="m-waiting"))
    await asyncio.sleep(0.01)
    as_if_written_a_minute_ago(r.messages)
    assert await retry_stuck(r.hub, r.stores, stuck_after=timedelta(0)) == 0
    gate.set()
    await asyncio.gather(running.outcome, waiting.outcome)
    assert [m.text for _, m in r.channel.sent] == ["re: one\ntwo"]


async def test_messages_left_unanswered_by_a_dead_replica_are_answered_once_by_a_live_one():
    r = road()
    submitted = await r.hub.submit(message("lost in a crash"))
    await submitted.outcome
    [stored] = r.messages.of(submitted.conversation_id, "in")
    stored.status = "received"  # as if the process died before answering, a minute ago
    stored.created_at = datetime.now(UTC) - timedelta(minutes=1)
    r.channel.sent.clear()
    assert await adopt_orphans(r.hub, r.stores, alive=[r.hub.worker]) == 0  # its replica is alive: still working
    r.hub.worker = "restarted"
    assert await adopt_orphans(r.hub, r.stores, alive=["restarted"]) == 1
    assert await adopt_orphans(r.hub, r.stores, alive=["restarted"]) == 0  # adopted: the other replicas leave it
    assert await r.hub.drain(5)  # answered: nothing left to adopt
    assert [m.text for _, m in r.channel.sent] == ["re: lost in a crash"]


async def test_a_flooding_customer_gets_one_notice_in_their_language_then_silence_and_nothing_is_lost():
    r = road(flood=FloodPolicy(limit=2, window_s=60, silence_s=300))
    texts = ["Привет", "Сколько стоит доставка?", "Алло?", "Ответьте!", "Ну?"]
    results = [await r.hub.handle(message(text, user="flooder")) for text in texts]
    assert [m.text for _, m in r.channel.sent][:2] == ["re: Привет", "re: Сколько стоит доставка?"]
    notice = r.channel.sent[2][1].text
    assert "быстрее" in notice and len(r.channel.sent) == 3  # one notice, then silence
    assert [res.limited for res in results] == [False, False, True, True, True]
    stored = r.messages.of(results[0].conversation_id, "in")
    assert [m.text for m in stored] == texts and [m.status for m in stored][2:] == ["flooded"] * 3
    other = await r.hub.handle(message("Hello", user="calm"))  # the limit is per customer
    assert other.replies[0].text == "re: Hello"


async def test_buttons_contact_request_and_long_text_reach_the_channel_within_its_limits():
    long_text = "word " * 100
    brain = ScriptedBrain(
        lambda t: BrainReply(
            long_text,
            "en",
            "question",
            "offline",
            buttons=[Button("Talk to a manager", "human")],
            contact_button="Share my number",
        )
    )
    r = road(brain)
    await r.hub.handle(message("tell me everything"))
    pieces = [m for _, m in r.channel.sent]
    assert len(pieces) == 3 and all(len(p.text) <= 200 for p in pieces)
    assert pieces[-1].buttons[0].payload == "human" and pieces[-1].contact_request == "Share my number"
    assert not pieces[0].buttons


async def test_metrics_subscribe_to_the_same_events():
    registry = CollectorRegistry()
    r = road(None, PipelineMetrics(registry))
    await r.hub.handle(message("hello", mid="x"))
    await r.hub.handle(message("hello", mid="x"))
    assert registry.get_sample_value("closer_inbound_messages_total", {"channel": "test"}) == 1
    assert registry.get_sample_value("closer_duplicate_messages_total", {"channel": "test"}) == 1
    assert registry.get_sample_value("closer_replies_total", {"channel": "test", "mode": "offline"}) == 1


async def test_the_reply_is_out_before_the_model_refines_the_lead():
    gate = asyncio.Event()

    class SlowRefiner(ScriptedBrain):
        async def refine_lead(self, turn: Turn, reply: BrainReply) -> LeadAssessment | None:
            await gate.wait()  # the model takes its time
            return copy(HOT)

    r = road(SlowRefiner(assessment=WARM))
    submitted = await r.hub.submit(message("two machines please"))
    replied = await submitted.replied  # the customer has the answer while the model still judges
    assert replied.replies[0].text == "re: two machines please" and not submitted.outcome.done()
    assert "lead_changed" not in r.events.names()
    gate.set()
    await submitted.outcome
    lead = await r.leads.by_conversation(submitted.conversation_id)
    assert lead is not None and lead.temperature == "hot" and lead.turns == 1  # judged twice, counted once
    [change] = [args[0] for name, args in r.events.events if name == "lead_changed"]
    assert change.created and change.previous_temperature is None and change.became_hot
    assert r.events.names().count("lead_became_hot") == 1
