"""REST API for CRMs: lead classification and the lead list (Bearer API_KEY)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.container import Services
from storage.lead_export import leads_csv

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}


class ClassifyRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)


class ClassifyResponse(BaseModel):
    temperature: Literal["hot", "warm", "cold"]
    score: int = Field(ge=0, le=100)
    reasons: list[str]


class LeadOut(BaseModel):
    id: str
    conversation_id: str
    channel: str
    name: str | None
    temperature: str
    score: int
    status: str
    reasons: list[str]
    fields: dict
    updated_at: datetime | None


def api_router(services: Services) -> APIRouter:
    api_key = services.settings.api_key.get_secret_value().encode() if services.settings.api_key else None

    async def authorised(request: Request) -> None:
        if api_key is None:
            # No key configured: only this machine may call (e.g. a CRM connector on the same host).
            if (request.client.host if request.client else "") not in LOCAL_HOSTS:
                raise HTTPException(status_code=401, detail="API_KEY is not configured; only local callers allowed")
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), api_key):
            raise HTTPException(
                status_code=401, detail="missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorised)])

    @router.post("/leads/classify", response_model=ClassifyResponse)
    async def classify(body: ClassifyRequest) -> ClassifyResponse:
        assessment = await services.lead_tracker.qualifier.assess([body.text])
        return ClassifyResponse(temperature=assessment.temperature, score=assessment.score, reasons=assessment.reasons)

    @router.get("/leads", response_model=list[LeadOut])
    async def list_leads(
        request: Request,
        temperature: Annotated[Literal["hot", "warm", "cold"] | None, Query()] = None,
        status: Annotated[str | None, Query(max_length=20)] = None,
        since: Annotated[datetime | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> Response | list[LeadOut]:
        leads = await services.leads.list(temperature, status, since, limit)
        if "text/csv" in request.headers.get("accept", ""):
            return Response(
                leads_csv(leads),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="leads.csv"'},
            )
        return [
            LeadOut(
                id=lead.id,
                conversation_id=lead.conversation_id,
                channel=lead.channel,
                name=lead.name,
                temperature=lead.temperature,
                score=lead.score,
                status=lead.status,
                reasons=lead.reasons,
                fields=lead.fields,
                updated_at=lead.updated_at,
            )
            for lead in leads
        ]

    return router
