"""`GET /api/v1/stats?period=day|week|month`: the numbers behind the admin bot's `/stats`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.routes.deps import ServicesDep, require_api_key
from storage.stats import Period, StatsReport

router = APIRouter(prefix="/api/v1", tags=["stats"], dependencies=[Depends(require_api_key)])


@router.get("/stats", response_model=StatsReport)
async def stats(services: ServicesDep, period: Annotated[Period, Query()] = "week") -> StatsReport:
    """Conversations and leads per day by channel, the funnel, AI-resolved vs handed to a person, response
    times, top intents, knowledge gaps and CSAT, over the last day, week (default) or month."""
    return await services.repos.stats.report(period, services.settings.timezone)
