"""`GET /api/v1/stats?period=day|week|month`: the numbers behind the admin bot's `/stats`; `POST /api/v1/ask`:
its `/ask`, a plain-language question mapped onto the metric catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from app.routes.deps import ServicesDep, require_api_key
from storage.stats import Period, StatsReport

router = APIRouter(prefix="/api/v1", tags=["stats"], dependencies=[Depends(require_api_key)])


@router.get("/stats", response_model=StatsReport)
async def stats(services: ServicesDep, period: Annotated[Period, Query()] = "week") -> StatsReport:
    """Conversations and leads per day by channel, the funnel, AI-resolved vs handed to a person, response
    times, top intents, knowledge gaps and CSAT, over the last day, week (default) or month."""
    return await services.repos.stats.report(period, services.settings.timezone)


class Question(BaseModel):
    question: str = Field(min_length=1, max_length=500)


class InsightOut(BaseModel):
    question: str
    language: str
    answered: bool
    text: str
    query: dict[str, str | None] | None
    value: float | None
    unit: str | None
    previous: float | None
    breakdown: dict[str, float]
    items: list[dict[str, str | int]]
    since: str | None
    until: str | None


@router.post("/ask", response_model=InsightOut)
async def ask(services: ServicesDep, body: Question) -> dict:
    """The number, one sentence of interpretation and the split behind it, in the question's language;
    `answered: false` (with what can be asked) when the catalogue has no such metric."""
    return (await services.insights.ask(body.question)).to_dict()
