"""WhatsApp through the same hub: signed Cloud API webhooks in (the shared payload samples), the Cloud API out
(a local Graph test server), statuses recorded, buttons and lists, pacing, templates outside the window."""

from __future__ import annotations

import asyncio
import copy
from datetime import timedelta

import httpx
import pytest

from brain.types import Button
from channels.messages import DeliveryError, MediaItem, OutboundMessage
from channels.meta.whatsapp_send import WhatsAppSender
from storage.repositories import utcnow
from tests.fakes.graph_api import FakeGraph
from tests.fakes.servers import serve_app
from tests.meta_support import PHONE_NUMBER_ID, fixture, meta_app, post_signed, whatsapp_message


async def wait_until(check, wait_s: float = 15) -> None:
    for _ in range(int(wait_s / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


async def test_a_customer_message_is_answered_once_and_the_profile_becomes_the_contact(services_factory):
    async with meta_app(services_factory) as app:
        body = whatsapp_message("380671112233", "wamid.T1", body="Скільки коштує оренда Office 200?")
        assert (await post_signed(app.web, "whatsapp", body)).json() == {"accepted": 1}
        [sent] = await app.graph.wait_for("380671112233")
        assert sent["path"] == f"/v25.0/{PHONE_NUMBER_ID}/messages" and sent["auth"] == "Bearer wa-token"
        assert sent["body"]["messaging_product"] == "whatsapp" and sent["body"]["to"] == "380671112233"
        assert "Office 200" in app.graph.texts("380671112233")[0]
        # Redelivered: one stored message, one answer.
        assert (await post_signed(app.web, "whatsapp", body)).json() == {"accepted": 0}
        await asyncio.sleep(0.4)
        assert len(app.graph.to("380671112233")) == 1
        contact = await app.services.clients.db.contacts.find_one({"channel": "whatsapp"})
        assert contact["name"] == "Olena" and contact["phone"] == "+380671112233"


async def test_every_fixture_type_is_read_and_statuses_are_never_answered(services_factory):
    async with meta_app(services_factory) as app:
        db = app.services.clients.db
        for name in ("whatsapp_button_reply", "whatsapp_list_reply", "whatsapp_document"):
            body = fixture(name)
            body["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.{name}"
            assert (await post_signed(app.web, "whatsapp", body)).json() == {"accepted": 1}, name
        await app.handled()  # a webhook is handled after its 200
        stored = {
            d["channel_message_id"]: d async for d in db.messages.find({"channel": "whatsapp", "direction": "in"})
        }
        assert stored["wamid.whatsapp_button_reply"]["text"] == "title"
        assert stored["wamid.whatsapp_button_reply"]["meta"]["payload"] == "callback_data"
        assert stored["wamid.whatsapp_document"]["text"] == "caption"
        assert stored["wamid.whatsapp_document"]["meta"]["attachments"] == ["document"]
        # A reaction and a template button.
        reaction = whatsapp_message("972987654321", "wamid.R1", "reaction", message_id="wamid.xyz", emoji="👍")
        assert (await post_signed(app.web, "whatsapp", reaction)).json() == {"accepted": 0}
        template = whatsapp_message("972987654321", "wamid.B1", "button", text="Yes, call me", payload="call")
        assert (await post_signed(app.web, "whatsapp", template)).json() == {"accepted": 1}

        # Every message settled: answered, or merged into the answer to the next one (they came in a burst).
        async def settled() -> bool:
            query = {"channel": "whatsapp", "direction": "in", "status": "received"}
            return await db.messages.count_documents(query) == 0 and bool(app.graph.sent)

        await wait_until(settled)
        statuses = {d["status"] async for d in db.messages.find({"channel": "whatsapp", "direction": "in"})}
        assert statuses <= {"answered", "superseded"} and "answered" in statuses
        # Our reply fails later: the status is recorded on the outgoing message, and nothing is answered.
        answers_before = len(app.graph.sent)
        out = await db.messages.find_one({"channel": "whatsapp", "direction": "out", "status": "sent"})
        failed = fixture("whatsapp_status_failed")
        failed["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = out["platform_message_id"]
        assert (await post_signed(app.web, "whatsapp", failed)).json() == {"accepted": 0}
        await app.handled()
        after = await db.messages.find_one({"_id": out["_id"]})
        assert after["status"] == "failed" and after["error"].startswith("130472")
        await asyncio.sleep(0.3)
        assert len(app.graph.sent) == answers_before


async def test_malformed_and_forged_whatsapp_webhooks(services_factory):
    async with meta_app(services_factory) as app:
        body = whatsapp_message("380500000001", "wamid.F1", body="hello")
        assert (await post_signed(app.web, "whatsapp", body, signature=None)).status_code == 403
        assert (await post_signed(app.web, "whatsapp", body, signature="sha256=" + "a" * 64)).status_code == 403
        broken = copy.deepcopy(body)
        del broken["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
        assert (await post_signed(app.web, "whatsapp", broken)).status_code == 400
        assert (await post_signed(app.web, "whatsapp", fixture("messenger_text_quick_reply"))).status_code == 400
        for shape in (
            {"contacts": 5},
            {"contacts": [{"wa_id": "1", "profile": "x"}]},
            {
                "messages": [
                    {
                        "from": "1",
                        "id": "wamid.S",
                        "type": "interactive",
                        "interactive": {"type": "button_reply", "button_reply": "x"},
                    }
                ]
            },
            {"statuses": [{"id": 1, "status": "failed"}]},
        ):
            odd = copy.deepcopy(body)
            odd["entry"][0]["changes"][0]["value"].update(shape)
            assert (await post_signed(app.web, "whatsapp", odd)).status_code == 400, shape
        odd = copy.deepcopy(body)
        odd["entry"][0]["changes"] = 7
        assert (await post_signed(app.web, "whatsapp", odd)).status_code == 400
        unknown = whatsapp_message("380500000001", "wamid.F2", "order", catalog_id="1", product_items=[])
        assert (await post_signed(app.web, "whatsapp", unknown)).json() == {"accepted": 1}  # stored, answered
        await app.graph.wait_for("380500000001")


async def test_buttons_become_reply_buttons_then_a_list_and_long_text_goes_first(services_factory):
    async with meta_app(services_factory) as app:
        await post_signed(app.web, "whatsapp", whatsapp_message("380500000002", "wamid.G1", body="Привіт"))
        await app.graph.wait_for("380500000002")
        doc = await app.services.clients.db.messages.find_one({"channel_message_id": "wamid.G1"})
        conversation = await app.services.repos.conversations.get(doc["conversation_id"])
        outbox = app.services.outbox
        three = [Button(f"Option {i}", f"opt{i}") for i in range(3)]
        assert await outbox.deliver(conversation, OutboundMessage("Choose one", buttons=three))
        five = [Button(f"Model number {i} long title", f"m{i}") for i in range(5)]
        assert await outbox.deliver(conversation, OutboundMessage("x " * 700 + "Which one?", buttons=five))
        sent = await app.graph.wait_for("380500000002", count=4)
        buttons = sent[1]["body"]["interactive"]
        assert buttons["type"] == "button" and [b["reply"]["id"] for b in buttons["action"]["buttons"]] == [
            "opt0",
            "opt1",
            "opt2",
        ]
        assert sent[2]["body"]["type"] == "text" and sent[3]["body"]["type"] == "interactive"
        listed = sent[3]["body"]["interactive"]
        assert listed["type"] == "list" and len(listed["body"]["text"]) <= 1024
        rows = listed["action"]["sections"][0]["rows"]
        assert [r["id"] for r in rows] == [f"m{i}" for i in range(5)] and all(len(r["title"]) <= 24 for r in rows)


async def test_pair_rate_limit_paces_the_recipient_and_outside_window_is_not_retried():
    graph = FakeGraph()
    async with serve_app(graph.app) as base, httpx.AsyncClient() as http:
        sender = WhatsAppSender(http, base, "v25.0", PHONE_NUMBER_ID, "wa-token", pair_pace_s=0.5)
        graph.fail(131056, details="(#131056) Too many messages to this user")
        with pytest.raises(DeliveryError) as paced:  # the outbox retries it after retry_after_s
            await sender.send("380500000003", OutboundMessage("one"))
        assert paced.value.transient and paced.value.retry_after_s == 0.5
        started = asyncio.get_running_loop().time()
        await sender.send("380500000003", OutboundMessage("two"))
        assert asyncio.get_running_loop().time() - started >= 0.4  # paced, not hammered
        await sender.send("380500000004", OutboundMessage("another customer"))  # others are not held
        graph.fail(131047, details="Re-engagement message")
        with pytest.raises(DeliveryError) as late:
            await sender.send("380500000003", OutboundMessage("late"))
        assert late.value.transient is False and "outside the messaging window" in str(late.value)
        assert graph.texts("380500000003") == ["two"]


async def test_a_piece_that_fails_halfway_is_finished_not_sent_again():
    """Media, then text: a temporary failure of the text must not send the media a second time."""
    graph = FakeGraph()
    async with serve_app(graph.app) as base, httpx.AsyncClient() as http:
        sender = WhatsAppSender(http, base, "v25.0", PHONE_NUMBER_ID, "wa-token")
        piece = OutboundMessage("Here is the brochure", media=[MediaItem("document", url="https://x.example/b.pdf")])
        graph.fail_after(1, 130429)  # the text (second call) is throttled once
        assert await sender.send("380500000009", piece)
        kinds = [s["body"]["type"] for s in graph.to("380500000009")]
        assert kinds == ["document", "text"]


async def test_a_manager_template_is_the_only_thing_sent_outside_the_window(services_factory):
    from channels.messages import Template

    async with meta_app(services_factory) as app:
        await post_signed(app.web, "whatsapp", whatsapp_message("380500000005", "wamid.W1", body="Доставка в Київ?"))
        await app.graph.wait_for("380500000005")
        db = app.services.clients.db
        doc = await db.messages.find_one({"channel_message_id": "wamid.W1"})
        await db.messages.update_one({"_id": doc["_id"]}, {"$set": {"created_at": utcnow() - timedelta(hours=30)}})
        conversation = await app.services.repos.conversations.get(doc["conversation_id"])
        outbox = app.services.outbox
        assert await outbox.reply_window(conversation) == "closed"
        assert not await outbox.deliver(conversation, OutboundMessage("free text"), sender="manager")
        template = OutboundMessage("Hello again", template=Template("closer_follow_up", "uk"))
        assert await outbox.deliver(conversation, template, sender="manager")
        sent = await app.graph.wait_for("380500000005", count=2)
        assert sent[-1]["body"]["template"] == {"name": "closer_follow_up", "language": {"code": "uk"}}
