"""The numbers behind `/stats` and `GET /api/v1/stats`: read-only aggregations the product wrote, over one
period (the last day, week or month), with days counted in the business's time zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from storage.mongo import Database
from storage.repositories import utcnow

Period = Literal["day", "week", "month"]
PERIOD_DAYS: dict[str, int] = {"day": 1, "week": 7, "month": 30}
HANDED_OVER = ("conversation.escalated", "conversation.taken_over")
TOP = 5


@dataclass(slots=True)
class StatsReport:
    period: str
    since: datetime
    until: datetime
    timezone: str
    conversations: int = 0  # with at least one customer message in the period
    messages_in: int = 0
    messages_out: int = 0
    new_leads: int = 0
    conversations_by_day: dict[str, dict[str, int]] = field(default_factory=dict)  # day -> channel -> n
    leads_by_day: dict[str, dict[str, int]] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)  # conversations per channel
    funnel: dict[str, int] = field(default_factory=dict)  # hot / warm / cold, leads active in the period
    outcomes: dict[str, int] = field(default_factory=dict)  # won / lost / open
    ai_resolved: int = 0
    handed_to_human: int = 0
    first_response_s: dict[str, float | None] = field(default_factory=dict)  # p50 / p95
    resolution_s: dict[str, float | None] = field(default_factory=dict)
    top_intents: list[dict[str, Any]] = field(default_factory=list)  # {"intent", "count"}
    knowledge_gaps: list[dict[str, Any]] = field(default_factory=list)  # {"example", "count"}
    csat: dict[str, float | int | None] = field(default_factory=dict)  # average, responses


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


class StatsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def report(self, period: Period, timezone: str = "UTC", now: datetime | None = None) -> StatsReport:
        until = now or utcnow()
        since = until - timedelta(days=PERIOD_DAYS[period])
        report = StatsReport(period, since, until, timezone)
        window = {"created_at": {"$gte": since, "$lt": until}}
        await self._conversations(report, window)
        await self._leads(report, window, since, until)
        await self._handling(report, window)
        await self._times(report, window)
        report.top_intents = await self._top(
            {**window, "direction": "in", "intent": {"$type": "string"}}, "$intent", "intent"
        )
        gaps = await self._db.messages.aggregate(
            [
                {"$match": {**window, "direction": "in", "gap": True}},
                {"$group": {"_id": {"$toLower": "$text"}, "count": {"$sum": 1}, "example": {"$first": "$text"}}},
                {"$sort": {"count": -1}},
                {"$limit": TOP},
            ]
        )
        report.knowledge_gaps = [{"example": g["example"], "count": g["count"]} async for g in gaps]
        answers = {**window, "direction": "in", "intent": "csat", "rating": {"$type": "number"}}
        ratings = [doc["rating"] async for doc in self._db.messages.find(answers, {"rating": 1})]
        report.csat = {
            "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "responses": len(ratings),
        }
        return report

    def _day(self, report: StatsReport) -> dict[str, Any]:
        return {"$dateToString": {"format": "%Y-%m-%d", "date": "$created_at", "timezone": report.timezone}}

    async def _conversations(self, report: StatsReport, window: dict[str, Any]) -> None:
        per_day = await self._db.messages.aggregate(
            [
                {"$match": {**window, "direction": "in"}},
                {"$group": {"_id": {"day": self._day(report), "channel": "$channel", "c": "$conversation_id"}}},
                {"$group": {"_id": {"day": "$_id.day", "channel": "$_id.channel"}, "n": {"$sum": 1}}},
            ]
        )
        async for row in per_day:
            report.conversations_by_day.setdefault(row["_id"]["day"], {})[row["_id"]["channel"]] = row["n"]
        channels = await self._db.messages.aggregate(
            [
                {"$match": {**window, "direction": "in"}},
                {"$group": {"_id": {"channel": "$channel", "c": "$conversation_id"}}},
                {"$group": {"_id": "$_id.channel", "n": {"$sum": 1}}},
            ]
        )
        report.by_channel = {row["_id"]: row["n"] async for row in channels}
        report.conversations = sum(report.by_channel.values())
        directions = await self._counts(self._db.messages, window, "$direction")  # one pass for both
        report.messages_in, report.messages_out = directions.get("in", 0), directions.get("out", 0)

    async def _leads(self, report: StatsReport, window: dict[str, Any], since: datetime, until: datetime) -> None:
        per_day = await self._db.leads.aggregate(
            [
                {"$match": window},
                {"$group": {"_id": {"day": self._day(report), "channel": "$channel"}, "n": {"$sum": 1}}},
            ]
        )
        async for row in per_day:
            report.leads_by_day.setdefault(row["_id"]["day"], {})[row["_id"]["channel"]] = row["n"]
        report.new_leads = sum(n for day in report.leads_by_day.values() for n in day.values())
        active = {"updated_at": {"$gte": since, "$lt": until}}
        funnel = {t: 0 for t in ("hot", "warm", "cold")}
        funnel.update(await self._counts(self._db.leads, active, "$temperature"))
        report.funnel = funnel
        outcomes = {s: 0 for s in ("won", "lost", "open")}
        outcomes.update(await self._counts(self._db.leads, active, "$status"))
        report.outcomes = outcomes

    async def _handling(self, report: StatsReport, window: dict[str, Any]) -> None:
        handed = await self._db.events.distinct("conversation_id", {**window, "kind": {"$in": list(HANDED_OVER)}})
        report.handed_to_human = len(handed)
        report.ai_resolved = max(report.conversations - report.handed_to_human, 0)

    async def _times(self, report: StatsReport, window: dict[str, Any]) -> None:
        first_response, resolution = await response_times(self._db, window)
        report.first_response_s = {"p50": percentile(first_response, 0.5), "p95": percentile(first_response, 0.95)}
        report.resolution_s = {"p50": percentile(resolution, 0.5), "p95": percentile(resolution, 0.95)}

    async def _top(self, match: dict[str, Any], key: str, name: str) -> list[dict[str, Any]]:
        grouped = {"$group": {"_id": key, "count": {"$sum": 1}}}
        pipeline = [{"$match": match}, grouped, {"$sort": {"count": -1}}, {"$limit": TOP}]
        rows = await self._db.messages.aggregate(pipeline)
        return [{name: row["_id"], "count": row["count"]} async for row in rows]

    async def _counts(self, collection: Any, match: dict[str, Any], key: str) -> dict[str, int]:
        rows = await collection.aggregate([{"$match": match}, {"$group": {"_id": key, "n": {"$sum": 1}}}])
        return {str(row["_id"]): row["n"] async for row in rows}


async def response_times(db: Database, match: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Seconds from a conversation's first customer message in `match` to the bot's first reply after it
    (first response) and to its last reply (resolution), one pair per answered conversation."""
    firsts = await db.messages.aggregate(
        [
            {"$match": {**match, "direction": "in"}},
            {"$group": {"_id": "$conversation_id", "first": {"$min": "$created_at"}}},
        ]
    )
    first_in = {row["_id"]: row["first"] async for row in firsts}
    replies = await db.messages.aggregate(
        [
            {"$match": {**match, "direction": "out"}},
            {"$sort": {"created_at": 1}},
            {"$group": {"_id": "$conversation_id", "times": {"$push": "$created_at"}}},
        ]
    )
    first_response: list[float] = []
    resolution: list[float] = []
    async for row in replies:
        started = first_in.get(row["_id"])
        after = [t for t in row["times"] if started is not None and t >= started]
        if after:
            first_response.append((after[0] - started).total_seconds())
            resolution.append((after[-1] - started).total_seconds())
    return first_response, resolution
