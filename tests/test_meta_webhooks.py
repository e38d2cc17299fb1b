"""Messenger and Instagram Direct through the same hub: signed webhooks in (real payload samples from
../shared/fixtures/meta), the Graph Send API out (a local test server speaking its HTTP protocol)."""

from __future__ import annotations

import asyncio
import copy

from tests.meta_support import VERIFY, fixture, messenger_text, meta_app, post_signed


async def test_verification_handshake(services_factory):
    async with meta_app(services_factory) as app:
        web = app.web
        params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
        ok = await web.get("/webhooks/messenger", params=params)
        assert ok.status_code == 200 and ok.text == "1158201444"
        wrong = await web.get("/webhooks/instagram", params={**params, "hub.verify_token": "nope"})
        assert wrong.status_code == 403


async def test_a_signed_messenger_message_is_answered_once_through_the_graph_api(services_factory):
    async with meta_app(services_factory) as app:
        web, graph, services = app.web, app.graph, app.services
        body = messenger_text("PSID-1", "mid.A1", "Сколько стоит аренда Office 200?")
        response = await post_signed(web, "messenger", body)
        assert response.status_code == 200
        [sent] = await graph.wait_for("PSID-1")
        assert sent["auth"] == "Bearer page-token" and sent["path"] == "/v25.0/me/messages"
        assert sent["body"]["messaging_type"] == "RESPONSE" and "Office 200" in sent["body"]["message"]["text"]
        assert len(sent["body"]["message"]["text"]) <= 2000
        # Meta redelivers: the same mid is stored once and answered once.
        assert (await post_signed(web, "messenger", body)).status_code == 200
        await asyncio.sleep(0.5)
        assert len(graph.texts("PSID-1")) == 1
        assert (
            await services.clients.db.contacts.count_documents({"channel": "messenger", "channel_user_id": "PSID-1"})
            == 1
        )


async def test_forged_unsigned_and_malformed_webhooks_are_refused_and_store_nothing(services_factory):
    async with meta_app(services_factory) as app:
        web, graph, services = app.web, app.graph, app.services
        body = messenger_text("PSID-2", "mid.B1", "hello")
        assert (await post_signed(web, "messenger", body, signature=None)).status_code == 403
        assert (await post_signed(web, "messenger", body, signature="sha256=" + "0" * 64)).status_code == 403
        assert (await post_signed(web, "messenger", b"{not json")).status_code == 400
        assert (
            await post_signed(web, "messenger", {"object": "page", "entry": [{"messaging": [{}]}]})
        ).status_code == 400
        assert (await post_signed(web, "instagram", fixture("messenger_delivery"))).status_code == 400  # wrong object
        for odd in (
            {"object": "page", "entry": [{"messaging": 5}]},
            {"object": "instagram", "entry": [{"changes": 5}]},
        ):
            assert (await post_signed(web, odd["object"].replace("page", "messenger"), odd)).status_code == 400
        await asyncio.sleep(0.3)
        assert graph.sent == []
        assert await services.clients.db.messages.count_documents({"channel": "messenger"}) == 0


async def test_every_event_of_a_batch_and_state_events_are_never_answered(services_factory):
    async with meta_app(services_factory) as app:
        web, graph = app.web, app.graph
        for name in ("messenger_delivery", "messenger_read", "messenger_echo"):
            assert (await post_signed(web, "messenger", fixture(name))).status_code == 200
        batch = messenger_text("PSID-3", "mid.C1", "Do you deliver to Lviv?")
        second = copy.deepcopy(batch["entry"][0])
        second["messaging"][0]["sender"]["id"] = "PSID-4"
        second["messaging"][0]["message"] = {"mid": "mid.C2", "text": "What is the warranty on the Barista Pro?"}
        batch["entry"].append(second)
        assert (await post_signed(web, "messenger", batch)).json() == {"accepted": 2}
        await graph.wait_for("PSID-3")
        await graph.wait_for("PSID-4")
        await asyncio.sleep(0.3)
        assert {s["body"]["recipient"]["id"] for s in graph.sent} == {"PSID-3", "PSID-4"}


async def test_instagram_text_postback_and_unsend(services_factory):
    async with meta_app(services_factory) as app:
        web, graph, services = app.web, app.graph, app.services
        body = fixture("instagram_text")
        event = body["entry"][0]["messaging"][0]
        igsid, mid = event["sender"]["id"], event["message"]["mid"]
        assert (await post_signed(web, "instagram", body)).status_code == 200
        [sent] = await graph.wait_for(igsid)
        assert sent["auth"] == "Bearer ig-token"
        unsend = fixture("instagram_unsend")
        unsend["entry"][0]["messaging"][0]["message"]["mid"] = mid
        unsend["entry"][0]["messaging"][0]["sender"]["id"] = igsid
        assert (await post_signed(web, "instagram", unsend)).status_code == 200
        await app.handled()  # a webhook is handled after its 200
        stored = await services.clients.db.messages.find_one({"channel": "instagram", "channel_message_id": mid})
        assert stored is not None and stored["deleted"] is True and stored["text"]  # kept, marked deleted


async def test_rate_limits_are_retried_and_outside_window_errors_are_not(services_factory):
    async with meta_app(services_factory) as app:
        web, graph, services = app.web, app.graph, app.services
        graph.fail(613)  # rate limited: backed off and retried
        await post_signed(web, "messenger", messenger_text("PSID-5", "mid.D1", "Do you deliver to Odesa?"))
        [sent] = await graph.wait_for("PSID-5")
        assert sent["body"]["message"]["text"] and graph.attempts == 2  # one refused, one delivered

        graph.fail(10, 2018278)  # outside the 24-hour window: given up at once, recorded
        await post_signed(web, "messenger", messenger_text("PSID-6", "mid.D2", "Do you deliver to Kyiv?"))

        async def failed() -> bool:
            doc = await services.clients.db.messages.find_one({"channel_message_id": "mid.D2"})
            return doc is not None and doc.get("status") == "answer_failed"

        for _ in range(100):
            if await failed():
                break
            await asyncio.sleep(0.1)
        assert await failed()
        assert graph.texts("PSID-6") == [] and graph.attempts == 3  # one attempt: never retried


async def test_nothing_is_sent_outside_the_24_hour_window(services_factory):
    from datetime import timedelta

    from channels.messages import OutboundMessage
    from storage.repositories import utcnow

    async with meta_app(services_factory) as app:
        web, graph, services = app.web, app.graph, app.services
        await post_signed(web, "messenger", messenger_text("PSID-7", "mid.E1", "Do you deliver to Dnipro?"))
        await graph.wait_for("PSID-7")
        db = services.clients.db
        doc = await db.messages.find_one({"channel_message_id": "mid.E1"})
        await db.messages.update_one({"_id": doc["_id"]}, {"$set": {"created_at": utcnow() - timedelta(hours=25)}})
        conversation = await services.repos.conversations.get(doc["conversation_id"])
        late = OutboundMessage(text="Sorry for the delay, here is the offer")
        assert await services.outbox.deliver(conversation, late, sender="manager") is False
        assert graph.texts("PSID-7")[-1] != late.text and len(graph.texts("PSID-7")) == 1
        assert await db.messages.count_documents({"conversation_id": conversation.id, "status": "outside_window"}) == 1


async def test_every_messenger_and_instagram_fixture_is_read_into_the_right_message(services_factory):
    async with meta_app(services_factory) as app:
        db = app.services.clients.db
        answered = {
            "messenger": ["messenger_attachment_image", "messenger_postback", "messenger_reply_to"],
            "instagram": ["instagram_story_reply", "instagram_story_mention", "instagram_post_share"],
        }
        for channel, names in answered.items():
            for name in names:
                assert (await post_signed(app.web, channel, fixture(name))).json() == {"accepted": 1}, name
        assert (await post_signed(app.web, "instagram", fixture("instagram_seen"))).json() == {"accepted": 0}
        await app.handled()
        stored = {d["channel_message_id"]: d async for d in db.messages.find({"direction": "in"})}
        assert stored["m_postback_1"]["meta"]["payload"] == "USER_DEFINED_PAYLOAD"
        assert stored["m_postback_1"]["text"] == "Talk to a manager"
        assert stored["mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c"]["meta"]["attachments"] == ["photo"]
        assert stored["message-id-1"]["text"] == "This is the story reply"
        assert stored["message-id-2"]["meta"]["attachments"] == ["story_mention"]
        # A post shared without words: its caption is what the customer asks about.
        assert stored["{MESSAGE_ID}"]["text"].startswith("Build a workspace that attracts talent")
        referral = fixture("messenger_text_quick_reply")
        event = referral["entry"][0]["messaging"][0]
        event["message"] = {"mid": "mid.REF1", "text": "Hi!"}
        event["referral"] = {"ref": "spring_sale", "source": "SHORTLINK", "type": "OPEN_THREAD"}
        assert (await post_signed(app.web, "messenger", referral)).json() == {"accepted": 1}
        await app.handled()
        doc = await db.messages.find_one({"channel_message_id": "mid.REF1"})
        assert doc["meta"]["referral"] == "spring_sale"


async def test_a_reply_that_failed_for_a_passing_reason_goes_out_in_a_later_round(services_factory):
    async with meta_app(services_factory) as app:
        web, graph, services = app.web, app.graph, app.services
        for _ in range(3):  # Meta down for every attempt of the first round
            graph.fail(2, status=500)
        await post_signed(web, "messenger", messenger_text("PSID-R", "mid.R1", "Do you deliver to Lviv?"))
        db = services.clients.db

        async def reply_status() -> str | None:
            doc = await db.messages.find_one({"direction": "out", "channel": "messenger", "status": {"$ne": None}})
            return doc.get("status") if doc else None

        for _ in range(100):
            if await reply_status() == "failed":
                break
            await asyncio.sleep(0.1)
        assert await reply_status() == "failed" and graph.texts("PSID-R") == []

        graph.fail(10, 2018278)  # a permanent refusal elsewhere is never retried
        await post_signed(web, "messenger", messenger_text("PSID-P", "mid.P1", "Do you deliver to Kyiv?"))
        await app.handled()
        await services.hub.drain(10)
        failed = await db.messages.find_one({"direction": "out", "status": "failed", "retryable": True})
        assert failed is not None
        assert await services.outbox.retry_failed() == 1  # the scheduler's job: only the passing failure
        [sent] = await graph.wait_for("PSID-R")
        assert sent["body"]["message"]["text"] == failed["text"]  # the answer the customer missed
        assert await services.outbox.retry_failed() == 0  # delivered once
        assert graph.texts("PSID-P") == []
        doc = await db.messages.find_one({"direction": "out", "channel": "messenger", "status": "sent"})
        assert doc is not None and doc["rounds"] == 2
