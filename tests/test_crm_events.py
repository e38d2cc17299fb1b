"""CRM webhooks: signed events from a durable outbox, retried after failures, nothing lost."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channels.messages import InboundMessage
from tests.conftest import unique_id
from tests.fakes.servers import serve_app

SECRET = "crm-shared-secret"


class FakeCrm:
    def __init__(self) -> None:
        self.received: list[tuple[dict, str]] = []
        self.fail_next = 0
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            if self.fail_next:
                self.fail_next -= 1
                return JSONResponse({"error": "down"}, status_code=503)
            self.received.append((json.loads(body), request.headers.get("X-Closer-Signature", "")))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(expected, request.headers.get("X-Closer-Signature", ""))
            return JSONResponse({"ok": True})


async def test_lead_and_takeover_events_reach_the_crm_signed_and_retried(services_factory):
    crm = FakeCrm()
    async with serve_app(crm.app) as url:
        services_cm = services_factory(crm_webhook_url=url + "/hook", crm_webhook_secret=SECRET)
        async with services_cm as services:
            crm.fail_next = 10  # the CRM is down at first
            result = await services.hub.handle(
                InboundMessage(
                    "web", f"crm-{unique_id()}", unique_id(), text="We need 5 Office 200 next week, send an invoice"
                )
            )
            assert await services.crm.flush() == 0
            assert await services.clients.db.crm_events.count_documents({"status": "pending", "attempts": 1}) == 2
            # The retry is scheduled with backoff; make it due now instead of waiting.
            await services.clients.db.crm_events.update_many(
                {}, {"$set": {"next_at": datetime.now(UTC) - timedelta(seconds=1)}}
            )
            crm.fail_next = 0
            assert await services.crm.flush() == 2
            ownership = services.ownership
            assert (await ownership.take_over(result.conversation_id, 42)).won
            assert await ownership.release(result.conversation_id, 42)
            assert await services.crm.flush() == 2
            types = [event["type"] for event, _ in crm.received]
            assert types == ["lead.created", "lead.hot", "conversation.taken_over", "conversation.released"]
            hot = crm.received[1][0]
            assert hot["data"]["temperature"] == "hot" and hot["data"]["conversation_id"] == result.conversation_id
            assert await services.crm.flush() == 0  # nothing is sent twice
