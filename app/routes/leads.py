"""`/api/v1/leads`: classify a text (Hot / Warm / Cold) and list leads, as JSON or CSV."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from app.routes.deps import LeadsDep, QualifierDep, require_api_key
from channels.lead_export import leads_csv

router = APIRouter(prefix="/api/v1/leads", tags=["leads"], dependencies=[Depends(require_api_key)])

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: object) -> object:
    """Only the documented forms (README: `since` is an ISO date): pydantic alone would also take some bare
    numbers as Unix timestamps, which the OpenAPI document cannot describe."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("expected an ISO 8601 date or date-time, e.g. 2025-01-31 or 2025-01-31T09:00:00Z")
    return value


# Both forms pydantic parses from an ISO string, as the document states them (its own schema says date-time only).
IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_iso_only),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}),
]


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


@router.post("/classify", response_model=ClassifyResponse)
async def classify(body: ClassifyRequest, qualifier: QualifierDep) -> ClassifyResponse:
    assessment = await qualifier.assess([body.text])
    return ClassifyResponse(temperature=assessment.temperature, score=assessment.score, reasons=assessment.reasons)


@router.get(
    "",
    response_model=list[LeadOut],
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with `Accept: text/csv`"}},
)
async def list_leads(
    request: Request,
    leads: LeadsDep,
    temperature: Annotated[Literal["hot", "warm", "cold"] | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    since: Annotated[IsoDateTime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Response | list[LeadOut]:
    found = await leads.list(temperature, status, since, limit)
    if "text/csv" in request.headers.get("accept", ""):
        return Response(
            leads_csv(found),
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
        for lead in found
    ]
