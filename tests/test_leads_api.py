"""The CRM-facing REST API over real HTTP: classification, lead list, CSV, authentication."""

from __future__ import annotations

import csv
import io

import httpx

from app.http import create_app
from tests.fakes.servers import serve_app

KEY = "test-api-key-123"


async def test_classify_and_list_leads_with_bearer_key(services_factory):
    auth = {"Authorization": f"Bearer {KEY}"}
    async with (
        services_factory(api_key=KEY) as services,
        serve_app(create_app(services)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        hot = await http.post(
            "/api/v1/leads/classify", json={"text": "We need 5 Office 200, send an invoice today"}, headers=auth
        )
        assert hot.status_code == 200
        body = hot.json()
        assert body["temperature"] == "hot" and 50 <= body["score"] <= 100
        assert any("send an invoice" in reason for reason in body["reasons"])  # the customer's own words
        cold = (await http.post("/api/v1/leads/classify", json={"text": "My machine is leaking"}, headers=auth)).json()
        assert cold["temperature"] == "cold"

        await http.post(
            "/api/v1/chat",
            json={
                "session_id": "lead-1",
                "text": "Хотим арендовать две Barista Pro с понедельника, выставьте счёт",
            },
        )
        await http.post("/api/v1/chat", json={"session_id": "lead-2", "text": "Сколько стоит Office 200?"})
        hot_leads = (await http.get("/api/v1/leads", params={"temperature": "hot"}, headers=auth)).json()
        assert [lead["temperature"] for lead in hot_leads] == ["hot"]
        assert hot_leads[0]["channel"] == "web"
        all_leads = await http.get("/api/v1/leads", headers={**auth, "Accept": "text/csv"})
        assert all_leads.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(all_leads.text)))
        assert sorted(r["temperature"] for r in rows) == ["hot", "warm"]


async def test_api_refuses_missing_or_wrong_key_and_bad_input(services_factory):
    async with (
        services_factory(api_key=KEY) as services,
        serve_app(create_app(services)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        assert (await http.post("/api/v1/leads/classify", json={"text": "hi"})).status_code == 401
        wrong = await http.get("/api/v1/leads", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        empty = await http.post("/api/v1/leads/classify", json={"text": ""}, headers={"Authorization": f"Bearer {KEY}"})
        assert empty.status_code == 422
        bad_filter = await http.get(
            "/api/v1/leads", params={"temperature": "boiling"}, headers={"Authorization": f"Bearer {KEY}"}
        )
        assert bad_filter.status_code == 422
        # The public web chat needs no key.
        assert (await http.post("/api/v1/chat", json={"session_id": "x", "text": "hi"})).status_code == 200


async def test_without_api_key_only_local_callers_are_served(services):
    async with serve_app(create_app(services)) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/api/v1/leads/classify", json={"text": "how much is it?"})
        assert response.status_code == 200  # the test client is on 127.0.0.1


async def test_silent_leads_cool_down(services):
    from datetime import timedelta

    from storage.repositories import utcnow

    change = await services.repos.leads.record(
        "decay-conv", "contact", "web", temperature="hot", score=55, reasons=["x"], fields={}, name=None
    )
    assert change.became_hot and change.created
    await services.clients.db.leads.update_one(
        {"conversation_id": "decay-conv"}, {"$set": {"last_customer_message_at": utcnow() - timedelta(days=5)}}
    )
    assert await services.repos.leads.decay(timedelta(days=3), points=10) >= 1
    lead = await services.repos.leads.by_conversation("decay-conv")
    assert lead is not None and lead.score == 45 and lead.temperature == "warm"
    assert await services.repos.leads.decay(timedelta(days=3), points=10) == 0  # once per silent period
