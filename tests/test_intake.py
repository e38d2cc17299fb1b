"""Intake first: a turn gives way while messages are being stored (so their webhooks are acknowledged first),
never holds a lone message, and never waits past its hold under a steady stream."""

from __future__ import annotations

import asyncio

from channels.events import ConversationListener
from channels.intake import IntakeGate
from channels.messages import InboundMessage


async def test_a_turn_starts_only_once_the_acceptances_in_flight_are_stored():
    gate = IntakeGate(hold_s=30.0)
    stored = asyncio.Event()
    order: list[str] = []

    async def accept() -> None:
        with gate.intake():
            await stored.wait()
            order.append("stored")

    async def turn() -> None:
        await gate.quiet()
        order.append("turn")

    accepting = asyncio.create_task(accept())
    await asyncio.sleep(0)
    turning = asyncio.create_task(turn())
    await asyncio.sleep(0.05)
    assert order == [] and gate.accepting == 1  # the turn waits behind the acceptance
    stored.set()
    await asyncio.gather(accepting, turning)
    assert order == ["stored", "turn"] and gate.accepting == 0


async def test_a_lone_turn_is_never_held():
    gate = IntakeGate(hold_s=30.0)
    with gate.intake():
        pass
    await asyncio.wait_for(gate.quiet(), 1.0)  # nothing in flight: returns at once


async def test_under_a_steady_stream_a_turn_goes_on_after_its_hold():
    gate = IntakeGate(hold_s=0.1)
    with gate.intake():  # an acceptance that never ends, as a stream that never stops
        await asyncio.wait_for(gate.quiet(), 5.0)
        assert gate.accepting == 1


async def test_acknowledged_work_waits_for_the_burst_to_be_over():
    gate = IntakeGate(settle_s=0.2)
    started: list[int] = []

    async def work(n: int) -> None:
        async with gate.settled(hold_s=30.0):
            started.append(n)
            await asyncio.sleep(0.2)  # storing the update's message, say

    tasks = []
    for n in range(5):  # five webhooks acknowledged back to back
        with gate.intake():
            await asyncio.sleep(0.01)
        tasks.append(asyncio.create_task(work(n)))
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    assert started == [0]  # the first was alone when it came: it went on at once; the rest wait
    await asyncio.wait_for(asyncio.gather(*tasks), 5.0)
    assert sorted(started) == [0, 1, 2, 3, 4]


async def test_acknowledged_work_is_not_held_past_its_hold_by_a_stream_that_never_stops():
    gate = IntakeGate(settle_s=30.0)
    with gate.intake():
        pass
    with gate.intake():  # a second acceptance, still going

        async def held() -> None:
            async with gate.settled(hold_s=0.1):
                pass

        await asyncio.wait_for(held(), 5.0)


async def test_a_lone_acknowledged_update_is_never_held():
    gate = IntakeGate(settle_s=30.0)

    async def alone() -> None:
        async with gate.settled(hold_s=30.0):
            await asyncio.sleep(0.01)

    for _ in range(3):  # one after another, each once the one before was done: none is held
        with gate.intake():
            pass
        await asyncio.wait_for(alone(), 1.0)  # held, it would wait the settle time (30 s)


async def test_a_failed_acceptance_does_not_hold_turns():
    gate = IntakeGate(hold_s=30.0)
    try:
        with gate.intake():
            raise ConnectionError("database away")
    except ConnectionError:
        pass
    assert gate.accepting == 0
    await asyncio.wait_for(gate.quiet(), 1.0)


async def test_a_turn_waits_while_another_customers_message_is_being_stored(services_factory):
    """Through the hub: customer B's message is still being stored (its webhook not yet acknowledged), so
    customer A's turn, accepted meanwhile, waits; once B is stored both are answered."""
    async with services_factory() as services:
        storing, release = asyncio.Event(), asyncio.Event()
        started: list[str] = []

        class Observer(ConversationListener):
            async def message_received(self, conversation, inbound) -> None:
                if inbound.channel_user_id == "intake-b":  # held in the middle of B's acceptance
                    storing.set()
                    await release.wait()

            async def turn_started(self, conversation, waited_s) -> None:
                started.append(conversation.id)

        services.events.subscribe(Observer())
        second = asyncio.create_task(services.hub.submit(InboundMessage("web", "intake-b", "b-1", text="Hi there")))
        await asyncio.wait_for(storing.wait(), 10)
        first = await services.hub.submit(InboundMessage("web", "intake-a", "a-1", text="What is the warranty?"))
        await asyncio.sleep(0.3)
        assert started == [] and not first.outcome.done()
        release.set()
        answers = [await asyncio.wait_for(first.outcome, 30), await asyncio.wait_for((await second).outcome, 30)]
        assert all(answer.replies and answer.replies[0].text for answer in answers)
        assert first.conversation_id in started


def test_partner_deep_links_are_recognised():
    def came_by(referral: str | None) -> bool:
        return InboundMessage("telegram", "1", "1", text="/start", referral=referral).from_partner_link

    assert came_by("partner") and came_by("Dealer_42") and came_by("reseller-ua")
    assert not came_by(None) and not came_by("ad_spring") and not came_by("mypartner")
