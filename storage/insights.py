"""The read-only queries behind `/ask`: one per catalogue metric, each written here, run over one period
with the question's filters and grouping, and over the period before it for comparison."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bson import ObjectId

from storage.mongo import Database
from storage.repositories import utcnow
from storage.stats import PERIOD_DAYS, TOP, handed_over, percentile
from storage.stats_tally import FIELDS, MessageTally

STORED_CHANNELS = {"telegram": ["telegram", "telegram_business"]}  # a catalogue channel -> stored names
FOLDED = {"telegram_business": "telegram"}
UNITS = {"conversion": "percent", "first_response": "seconds", "resolution": "seconds", "csat": "rating"}


class MetricQuery(Protocol):
    """One catalogue entry (the brain's `MetricQuery`): what to count, over which period, filtered and split."""

    @property
    def metric(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def temperature(self) -> str | None: ...
    @property
    def group_by(self) -> str | None: ...


@dataclass(slots=True)
class InsightResult:
    query: MetricQuery
    since: datetime
    until: datetime
    value: float | None
    unit: str = "count"  # count, percent, seconds or rating
    breakdown: dict[str, float] = field(default_factory=dict)  # group -> value, biggest first
    previous: float | None = None  # the same number over the period before
    items: list[dict[str, Any]] = field(default_factory=list)  # the top gaps or intents: {"label", "count"}


@dataclass(slots=True)
class _Measure:
    value: float | None
    breakdown: dict[str, float] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)


class InsightQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def run(self, query: MetricQuery, timezone: str = "UTC", now: datetime | None = None) -> InsightResult:
        until = now or utcnow()
        span = timedelta(days=PERIOD_DAYS[query.period])
        since = until - span
        measured = await self._measure(query, query.group_by, since, until, timezone)
        previous = None
        if not measured.items:  # a number, not a list of top items: compare it with the period before
            previous = (await self._measure(query, None, since - span, since, timezone)).value
        ordered = dict(sorted(measured.breakdown.items(), key=lambda item: (-item[1], item[0])))
        if query.group_by == "day":
            ordered = dict(sorted(measured.breakdown.items()))
        unit = UNITS.get(query.metric, "count")
        return InsightResult(query, since, until, measured.value, unit, ordered, previous, measured.items)

    async def _measure(
        self, query: MetricQuery, group_by: str | None, since: datetime, until: datetime, tz: str
    ) -> _Measure:
        window: dict[str, Any] = {"created_at": {"$gte": since, "$lt": until}}
        if query.channel:
            window["channel"] = {"$in": STORED_CHANNELS.get(query.channel, [query.channel])}
        inbound = {**window, "direction": "in"}
        day = {"$dateToString": {"format": "%Y-%m-%d", "date": "$created_at", "timezone": tz}}
        keys = {"channel": "$channel", "day": day, "temperature": "$temperature", None: None}
        key = keys[group_by]
        metric = query.metric
        if metric == "messages":
            return await self._count(self._db.messages, inbound, key)
        if metric == "conversations":
            return await self._distinct_conversations(inbound, key)
        if metric in ("leads", "won", "lost"):
            leads = dict(window)
            if query.temperature:
                leads["temperature"] = query.temperature
            if metric != "leads":  # closed in the period, as a manager marked it
                leads = {k: v for k, v in leads.items() if k != "created_at"}
                leads |= {"status": metric, "closed_at": {"$gte": since, "$lt": until}}
                keys["day"] = {"$dateToString": {"format": "%Y-%m-%d", "date": "$closed_at", "timezone": tz}}
            return await self._count(self._db.leads, leads, keys[group_by])
        if metric == "conversion":
            cohort = dict(window) | ({"temperature": query.temperature} if query.temperature else {})
            return await self._conversion(cohort, key)
        if metric in ("handed_to_human", "ai_resolved"):
            return await self._handling(metric, inbound, window, group_by, day)
        if metric in ("first_response", "resolution"):
            return await self._times(metric, window, group_by)
        if metric == "csat":
            answers = {**inbound, "intent": "csat", "rating": {"$type": "number"}}
            return await self._average(answers, key)
        if metric == "knowledge_gaps":
            return await self._top({**inbound, "gap": True}, {"$toLower": "$text"}, first="$text")
        return await self._top({**inbound, "intent": {"$type": "string", "$ne": "csat"}}, "$intent")

    async def _rows(self, collection: Any, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row async for row in await collection.aggregate(pipeline)]

    async def _count(self, collection: Any, match: dict[str, Any], key: Any) -> _Measure:
        rows = await self._rows(collection, [{"$match": match}, {"$group": {"_id": key, "n": {"$sum": 1}}}])
        return _split(rows, "n")

    async def _distinct_conversations(self, match: dict[str, Any], key: Any) -> _Measure:
        pipeline = [
            {"$match": match},
            {"$group": {"_id": {"c": "$conversation_id", "k": key}}},
            {"$group": {"_id": "$_id.k", "n": {"$sum": 1}}},
        ]
        return _split(await self._rows(self._db.messages, pipeline), "n")

    async def _conversion(self, cohort: dict[str, Any], key: Any) -> _Measure:
        won = {"$sum": {"$cond": [{"$eq": ["$status", "won"]}, 1, 0]}}
        rows = await self._rows(
            self._db.leads, [{"$match": cohort}, {"$group": {"_id": key, "n": {"$sum": 1}, "won": won}}]
        )
        total, wins = sum(r["n"] for r in rows), sum(r["won"] for r in rows)
        breakdown = {_label(r["_id"]): round(100 * r["won"] / r["n"], 1) for r in rows if r["_id"] is not None}
        return _Measure(round(100 * wins / total, 1) if total else None, breakdown)

    async def _handling(
        self, metric: str, inbound: dict[str, Any], window: dict[str, Any], group_by: str | None, day: Any
    ) -> _Measure:
        """Conversations handed to a person (an escalation or a takeover in the period), or the ones with
        customer messages in the period that never were."""
        handed = await handed_over(self._db, window)
        talking = await self._rows(
            self._db.messages,
            [
                {"$match": inbound},
                {"$group": {"_id": "$conversation_id", "channel": {"$first": "$channel"}, "day": {"$first": day}}},
            ],
        )
        if metric == "handed_to_human":
            found = {
                str(doc["_id"]): doc
                async for doc in self._db.conversations.find(
                    {"_id": {"$in": [ObjectId(c) for c in handed if ObjectId.is_valid(c)]}}, {"channel": 1}
                )
            }
            firsts = {row["_id"]: row["day"] for row in talking}
            rows = [
                {"_id": c, "channel": doc["channel"], "day": firsts.get(c)}
                for c, doc in found.items()
                if "channel" not in window or doc["channel"] in window["channel"]["$in"]
            ]
        else:
            rows = [row for row in talking if row["_id"] not in handed]
        breakdown: dict[str, float] = {}
        for row in rows:
            if group_by and row.get(group_by):
                label = _label(row[group_by])
                breakdown[label] = breakdown.get(label, 0) + 1
        return _Measure(len(rows), breakdown)

    async def _times(self, metric: str, window: dict[str, Any], group_by: str | None) -> _Measure:
        """Median first-response or resolution time, from one read of the period's messages."""
        which = 0 if metric == "first_response" else 1
        overall = MessageTally("UTC")
        per_channel: dict[str, MessageTally] = {}
        async for doc in self._db.messages.find(window, FIELDS):
            overall.add(doc)
            if group_by == "channel":
                per_channel.setdefault(_label(doc.get("channel", "")), MessageTally("UTC")).add(doc)
        breakdown = {
            channel: median
            for channel, tally in per_channel.items()
            if (median := percentile(tally.response_times()[which], 0.5)) is not None
        }
        return _Measure(percentile(overall.response_times()[which], 0.5), breakdown)

    async def _average(self, match: dict[str, Any], key: Any) -> _Measure:
        rows = await self._rows(
            self._db.messages,
            [{"$match": match}, {"$group": {"_id": key, "sum": {"$sum": "$rating"}, "n": {"$sum": 1}}}],
        )
        total, n = sum(r["sum"] for r in rows), sum(r["n"] for r in rows)
        breakdown = {_label(r["_id"]): round(r["sum"] / r["n"], 2) for r in rows if r["_id"] is not None}
        return _Measure(round(total / n, 2) if n else None, breakdown)

    async def _top(self, match: dict[str, Any], key: Any, first: str | None = None) -> _Measure:
        group: dict[str, Any] = {"_id": key, "count": {"$sum": 1}}
        if first:
            group["example"] = {"$first": first}
        rows = await self._rows(self._db.messages, [{"$match": match}, {"$group": group}, {"$sort": {"count": -1}}])
        items = [{"label": r.get("example", r["_id"]), "count": r["count"]} for r in rows[:TOP]]
        return _Measure(sum(r["count"] for r in rows), items=items)


def _label(value: Any) -> str:
    return FOLDED.get(str(value), str(value))


def _split(rows: list[dict[str, Any]], name: str) -> _Measure:
    breakdown: dict[str, float] = {}
    for row in rows:
        if row["_id"] is not None:
            label = _label(row["_id"])
            breakdown[label] = breakdown.get(label, 0) + row[name]
    return _Measure(sum(row[name] for row in rows), breakdown)
