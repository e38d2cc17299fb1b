"""The numbers behind `/stats` and `GET /api/v1/stats`: read-only aggregations the product wrote, over one
period (the last day, week or month), with days counted in the business's time zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from storage.mongo import Database
from storage.repositories import utcnow
from storage.stats_tally import FIELDS, MessageTally

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


async def handed_over(db: Database, window: dict[str, Any]) -> set[str]:
    """Conversations an escalation or a takeover handed to a person in `window` (a `created_at` range)."""
    events = {"created_at": window["created_at"], "kind": {"$in": list(HANDED_OVER)}}
    return set(await db.events.distinct("conversation_id", events))


class StatsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def report(self, period: Period, timezone: str = "UTC", now: datetime | None = None) -> StatsReport:
        until = now or utcnow()
        since = until - timedelta(days=PERIOD_DAYS[period])
        report = StatsReport(period, since, until, timezone)
        window = {"created_at": {"$gte": since, "$lt": until}}
        tally = MessageTally(timezone)
        async for doc in self._db.messages.find(window, FIELDS):
            tally.add(doc)
        report.messages_in, report.messages_out = tally.incoming, tally.outgoing
        report.conversations_by_day = {
            day: {channel: len(ids) for channel, ids in channels.items()}
            for day, channels in sorted(tally.conversations_by_day.items())
        }
        report.by_channel = {channel: len(ids) for channel, ids in tally.by_channel.items()}
        report.conversations = sum(report.by_channel.values())
        await self._leads(report, window, since, until)
        talking = set().union(*tally.by_channel.values()) if tally.by_channel else set()
        await self._handling(report, window, talking)
        first_response, resolution = tally.response_times()
        report.first_response_s = {"p50": percentile(first_response, 0.5), "p95": percentile(first_response, 0.95)}
        report.resolution_s = {"p50": percentile(resolution, 0.5), "p95": percentile(resolution, 0.95)}
        report.top_intents = [{"intent": i, "count": n} for i, n in tally.intents.most_common(TOP)]
        report.knowledge_gaps = [
            {"example": tally.gap_examples[key], "count": n} for key, n in tally.gaps.most_common(TOP)
        ]
        ratings = tally.ratings
        report.csat = {
            "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "responses": len(ratings),
        }
        return report

    def _day(self, report: StatsReport) -> dict[str, Any]:
        return {"$dateToString": {"format": "%Y-%m-%d", "date": "$created_at", "timezone": report.timezone}}

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
        # Won and lost when a manager marked them in the period (as /ask counts them); open among the active.
        closed = {"closed_at": {"$gte": since, "$lt": until}, "status": {"$in": ["won", "lost"]}}
        outcomes = {"won": 0, "lost": 0, **await self._counts(self._db.leads, closed, "$status")}
        outcomes["open"] = await self._db.leads.count_documents({**active, "status": "open"})
        report.outcomes = outcomes

    async def _handling(self, report: StatsReport, window: dict[str, Any], talking: set[str]) -> None:
        """Handed to a person: an escalation or a takeover in the period; resolved by the bot: the
        conversations with customer messages in the period that were not (as /ask counts them)."""
        handed = await handed_over(self._db, window)
        report.handed_to_human = len(handed)
        report.ai_resolved = len(talking - handed)

    async def _counts(self, collection: Any, match: dict[str, Any], key: str) -> dict[str, int]:
        rows = await collection.aggregate([{"$match": match}, {"$group": {"_id": key, "n": {"$sum": 1}}}])
        return {str(row["_id"]): row["n"] async for row in rows}
