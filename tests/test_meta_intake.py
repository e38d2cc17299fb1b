"""Meta webhook bodies are stored before their 200 and handled after it (`channels.meta.intake`): each sender's
events in the order their webhooks came, another sender never waiting behind them; storage away for a moment
is ridden out; a body left pending by a crash is answered at the next start, once."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pymongo.errors import AutoReconnect, OperationFailure

from app.replica import alive_replicas
from channels import storage_retry
from channels.intake import IntakeGate
from channels.left_behind import LeftBehind
from channels.messages import InboundMessage
from channels.meta.events import Event
from channels.meta.intake import MetaIntake
from channels.meta.routes import parse_body
from storage.inbox import InboxRepository
from storage.replicas import ReplicaRegistry
from storage.repositories import utcnow
from tests.conftest import eventually
from tests.meta_support import messenger_text, meta_app, post_signed


@pytest.fixture
async def inbox(services) -> AsyncIterator[InboxRepository]:
    db = services.clients.mongo[f"intake_{uuid.uuid4().hex[:8]}"]
    await db.inbox.create_index([("source", 1), ("key", 1)], unique=True)
    yield InboxRepository(db)
    await services.clients.mongo.drop_database(db.name)


async def _accept(intake: MetaIntake, body: dict) -> int:
    return await intake.accept("messenger", body, parse_body("messenger", body))


async def test_a_senders_events_keep_their_order_and_other_senders_do_not_wait_behind_them(inbox):
    handled: list[str] = []

    async def handle(channel: str, event: Event) -> None:
        assert isinstance(event, InboundMessage)
        if event.text == "first":
            await asyncio.sleep(0.3)  # the first message of PSID-A is slow to store
        handled.append(f"{event.channel_user_id}:{event.text}")

    intake = MetaIntake(LeftBehind(inbox), IntakeGate(), parse_body, handle)
    assert await _accept(intake, messenger_text("PSID-A", "mid.1", "first")) == 1
    both = messenger_text("PSID-A", "mid.2", "second")
    other = copy.deepcopy(both["entry"][0])
    other["messaging"][0]["sender"]["id"] = "PSID-B"
    other["messaging"][0]["message"] = {"mid": "mid.3", "text": "other"}
    both["entry"].append(other)
    assert await _accept(intake, both) == 2
    assert await _accept(intake, both) == 0  # the same body delivered again: stored once, handled once
    await intake.idle()
    assert handled == ["PSID-B:other", "PSID-A:first", "PSID-A:second"]
    assert await inbox.held("messenger") == []


async def test_storage_away_after_the_200_is_ridden_out_and_a_bad_event_is_kept_as_failed(inbox):
    refusals = 2
    handled: list[str] = []
    refused_writes = 0

    async def handle(channel: str, event: Event) -> None:
        nonlocal refusals, refused_writes
        assert isinstance(event, InboundMessage)
        if event.text == "boom":
            raise ValueError("a bug somewhere")
        if event.text == "refused":
            refused_writes += 1
            raise OperationFailure("document failed validation")  # waiting would not change it
        if refusals:
            refusals -= 1
            raise AutoReconnect("connection refused")
        handled.append(event.text)

    intake = MetaIntake(LeftBehind(inbox), IntakeGate(), parse_body, handle)
    await _accept(intake, messenger_text("PSID-C", "mid.4", "boom"))
    await _accept(intake, messenger_text("PSID-C", "mid.5", "after storage is back"))
    await _accept(intake, messenger_text("PSID-D", "mid.6", "refused"))
    await intake.idle()
    assert handled == ["after storage is back"]  # retried twice, then stored; the bug did not stop it
    assert refused_writes == 1  # not retried
    docs = [doc async for doc in inbox._col.find({}, {"status": 1, "error": 1})]
    assert sorted(doc["status"] for doc in docs) == ["done", "failed", "failed"]
    refused = "OperationFailure: document failed validation"
    assert {doc["error"] for doc in docs} == {None, "ValueError: a bug somewhere", refused}


async def test_a_senders_later_bodies_wait_while_an_earlier_one_waits_for_storage(inbox, monkeypatch):
    monkeypatch.setattr(storage_retry, "RETRY_DELAYS_S", (0.01, 0.01))  # storage away longer than the retries
    handled: list[str] = []

    async def handle(channel: str, event: Event) -> None:
        assert isinstance(event, InboundMessage)
        if event.text == "first":
            raise AutoReconnect("connection refused")
        handled.append(f"{event.channel_user_id}:{event.text}")

    intake = MetaIntake(LeftBehind(inbox), IntakeGate(), parse_body, handle)
    await _accept(intake, messenger_text("PSID-E", "mid.7", "first"))
    await _accept(intake, messenger_text("PSID-E", "mid.8", "second"))
    await _accept(intake, messenger_text("PSID-F", "mid.9", "another customer"))
    await intake.idle()
    assert handled == ["PSID-F:another customer"]  # "second" is not answered before "first"
    assert len(await inbox.held("messenger")) == 2  # both left for a sweep, in their order


async def test_a_body_whose_handling_gave_up_is_picked_up_by_the_sweep(inbox):
    handled: list[str] = []

    async def handle(channel: str, event: Event) -> None:
        assert isinstance(event, InboundMessage)
        handled.append(event.text)

    intake = MetaIntake(LeftBehind(inbox, stuck_after_s=1.0, sweep_every_s=0.1), IntakeGate(), parse_body, handle)
    await intake.start(["messenger"])
    try:
        # Stored and acknowledged by another replica, whose handling then gave up: still pending.
        body = messenger_text("PSID-S", "mid.S1", "still there?")
        await inbox.store("messenger", "given-up", {"body": json.dumps(body)})
        await asyncio.sleep(0.3)
        assert handled == []  # not held by anybody for long enough yet: it may be in hand on that replica
        await eventually(lambda: bool(handled), timeout_s=5)
        await intake.idle()
        assert handled == ["still there?"]
        assert await inbox.held("messenger") == []
    finally:
        await intake.stop()


async def test_a_body_this_replica_left_pending_while_storage_was_away_is_taken_up_at_its_next_sweep(
    services, monkeypatch
):
    """Storage stayed away longer than the retries: the body is left pending; once storage is back, the
    replica that left it takes it up at its next sweep, not after STUCK_AFTER_S."""
    monkeypatch.setattr(storage_retry, "RETRY_DELAYS_S", (0.01,))
    db = services.clients.mongo[f"own_{uuid.uuid4().hex[:8]}"]
    await db.inbox.create_index([("source", 1), ("key", 1)], unique=True)
    inbox, registry = InboxRepository(db), ReplicaRegistry(db)
    await registry.beat("this-replica")
    refusals = [AutoReconnect("connection refused")] * 2
    handled: list[str] = []

    async def handle(channel: str, event: Event) -> None:
        assert isinstance(event, InboundMessage)
        if refusals:
            raise refusals.pop()
        handled.append(event.text)

    alive = alive_replicas(registry, timeout_s=30)
    held = LeftBehind(inbox, "this-replica", alive, sweep_every_s=1.0)  # STUCK_AFTER_S: minutes
    intake = MetaIntake(held, IntakeGate(), parse_body, handle)
    await intake.start(["messenger"])
    try:
        await _accept(intake, messenger_text("PSID-O", "mid.O1", "are you there?"))
        await intake.idle()
        assert not refusals and handled == []
        [(_, _, holder)] = await inbox.held("messenger")  # left pending, still held by this replica
        assert holder == "this-replica"
        await eventually(lambda: bool(handled), timeout_s=5)
        await intake.idle()
        assert handled == ["are you there?"] and await inbox.held("messenger") == []
    finally:
        await intake.stop()
        await services.clients.mongo.drop_database(db.name)


async def test_a_dead_replicas_bodies_are_taken_up_at_once_and_a_live_ones_are_left_to_it(services):
    db = services.clients.mongo[f"holders_{uuid.uuid4().hex[:8]}"]
    await db.inbox.create_index([("source", 1), ("key", 1)], unique=True)
    inbox, registry = InboxRepository(db), ReplicaRegistry(db)
    await registry.beat("live-replica")  # beating: alive
    await inbox.store(
        "messenger", "live", {"body": json.dumps(messenger_text("PSID-L", "mid.L", "mine"))}, "live-replica"
    )
    body = messenger_text("PSID-K", "mid.K", "answered after the crash?")
    await inbox.store("messenger", "killed", {"body": json.dumps(body)}, "killed-replica")  # never beats again
    handled: list[str] = []

    async def handle(channel: str, event: Event) -> None:
        assert isinstance(event, InboundMessage)
        handled.append(event.text)

    alive = alive_replicas(registry, timeout_s=30)
    intake = MetaIntake(LeftBehind(inbox, "restarted", alive, sweep_every_s=0.2), IntakeGate(), parse_body, handle)
    await intake.start(["messenger"])  # minutes before STUCK_AFTER_S would let anybody take them
    try:
        assert handled == []  # missing from the registry at one look is not gone yet: it may be a storage hiccup
        await eventually(lambda: bool(handled), timeout_s=5)
        await intake.idle()
        assert handled == ["answered after the crash?"]  # still missing a sweep later: taken up
        held = {key: held_by for key, _, held_by in await inbox.held("messenger")}
        assert held == {"live": "live-replica"}  # still its own: it may be handling it right now
    finally:
        await intake.stop()
        await services.clients.mongo.drop_database(db.name)


async def test_a_body_acknowledged_before_a_crash_is_answered_once_at_the_next_start(services, services_factory):
    body = messenger_text("PSID-CRASH", "mid.CRASH1", "Do you deliver to Lviv?")
    db = f"crash_{uuid.uuid4().hex[:8]}"
    # What the webhook stored before its 200, in a process killed before it handled it (and a corrupt one).
    stored = InboxRepository(services.clients.mongo[db])
    await stored.store("messenger", "crashed-body", {"body": json.dumps(body)})
    await stored.store("messenger", "corrupt-body", {"body": "{not json"})
    crashed_at = utcnow() - timedelta(minutes=5)  # the process died five minutes ago: nobody holds them now
    await services.clients.mongo[db].inbox.update_many({}, {"$set": {"held_at": crashed_at}})
    async with meta_app(services_factory, mongodb_db=db) as restarted:  # the next start, on that database
        [sent] = await restarted.graph.wait_for("PSID-CRASH")
        assert sent["body"]["message"]["text"]
        assert (await post_signed(restarted.web, "messenger", body)).status_code == 200  # Meta redelivers too
        await restarted.handled()
        await restarted.services.hub.drain(10)
        assert len(restarted.graph.texts("PSID-CRASH")) == 1  # answered once
        statuses = {doc["key"]: doc["status"] async for doc in restarted.services.clients.db.inbox.find({})}
        assert statuses["crashed-body"] == "done" and statuses["corrupt-body"] == "failed"
