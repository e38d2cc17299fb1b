"""Leads (`leads`): one per conversation, qualified on every customer turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from storage.mongo import Database
from storage.repositories import parse_object_id, utcnow


@dataclass(slots=True)
class Lead:
    id: str
    conversation_id: str
    contact_id: str
    channel: str
    temperature: str
    score: int
    reasons: list[str]
    fields: dict[str, Any]
    status: str
    name: str | None = None
    manual: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    hot_since: datetime | None = None
    alerts: int = 0
    turns: int = 0  # customer turns qualified so far
    asked: list[str] = field(default_factory=list)  # qualification questions already asked (fields)
    asked_turn: int | None = None  # the turn the last one was asked on


@dataclass(slots=True)
class LeadChange:
    lead: Lead
    created: bool
    previous_temperature: str | None
    became_hot: bool

    def refined_by(self, refined: LeadChange) -> LeadChange:
        """One change for the turn: the refined lead, measured against the lead as it was before the turn."""
        before = self.previous_temperature
        return LeadChange(refined.lead, self.created, before, refined.lead.temperature == "hot" and before != "hot")


class LeadRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.leads

    async def ensure_indexes(self) -> None:
        await self._col.create_indexes(
            [
                IndexModel([("conversation_id", ASCENDING)], unique=True),
                IndexModel([("temperature", ASCENDING), ("updated_at", DESCENDING)]),
                IndexModel([("created_at", ASCENDING)]),  # stats and /ask: the period's new leads
                IndexModel([("updated_at", ASCENDING)]),
            ]
        )

    async def record(
        self,
        conversation_id: str,
        contact_id: str,
        channel: str,
        *,
        temperature: str,
        score: int,
        reasons: list[str],
        fields: dict[str, Any],
        name: str | None,
        asked: str | None = None,
        turn: int | None = None,
        new_turn: bool = True,
    ) -> LeadChange:
        """Store the latest assessment (and the question asked with it, on turn `turn`) in one atomic
        update, so exactly one writer sees a rise to Hot. `new_turn=False` re-judges the same turn (a model's
        second opinion) without counting it again."""
        now = utcnow()
        updates: dict[str, Any] = {
            "temperature": temperature,
            "score": score,
            "reasons": reasons[:8],
            "channel": channel,
            "contact_id": contact_id,
            "updated_at": now,
            "last_customer_message_at": now,
            "manual": False,
        }
        for key, value in fields.items():
            updates[f"fields.{key}"] = value
        if name:
            updates["name"] = name
        operation: dict[str, Any] = {
            "$set": updates,
            "$setOnInsert": {"created_at": now, "status": "open", "alerts": 0},
            "$inc": {"turns": 1 if new_turn else 0},
        }
        if asked is not None:
            operation["$addToSet"] = {"asked": asked}
            updates["asked_turn"] = turn
        if temperature == "hot":
            operation["$min"] = {"hot_since": now}  # the start of this hot spell, kept while it lasts
        else:
            operation["$unset"] = {"hot_since": ""}
        new_id = ObjectId()
        operation["$setOnInsert"]["_id"] = new_id
        previous = await self._col.find_one_and_update(
            {"conversation_id": conversation_id}, operation, upsert=True, return_document=ReturnDocument.BEFORE
        )
        # The document after the update, derived locally instead of read back (one round trip per turn).
        after = apply_update(
            previous or {"_id": new_id, "conversation_id": conversation_id}, operation, previous is None
        )
        previous_temperature = previous.get("temperature") if previous else None
        became_hot = temperature == "hot" and previous_temperature != "hot"
        return LeadChange(_lead(after), previous is None, previous_temperature, became_hot)

    async def set_fields(self, conversation_id: str, fields: dict[str, Any]) -> None:
        updates = {f"fields.{key}": value for key, value in fields.items()}
        await self._col.update_one({"conversation_id": conversation_id}, {"$set": {**updates, "updated_at": utcnow()}})

    async def claim_alert(self, lead_id: str, alerts_before: int) -> bool:
        """Exactly-once across replicas: only the caller that moves the counter sends the alert."""
        result = await self._col.update_one(
            {"_id": ObjectId(lead_id), "alerts": alerts_before},
            {"$inc": {"alerts": 1}, "$set": {"alerted_at": utcnow()}},
        )
        return result.modified_count == 1

    async def mark(self, lead_id: str, temperature: str, manager_id: int) -> Lead | None:
        """A manager's correction."""
        score = {"hot": 85, "warm": 40, "cold": 5}[temperature]
        doc = await self._col.find_one_and_update(
            {"_id": parse_object_id(lead_id)},
            {
                "$set": {
                    "temperature": temperature,
                    "score": score,
                    "manual": True,
                    "marked_by": manager_id,
                    "updated_at": utcnow(),
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        return _lead(doc) if doc else None

    async def close(self, lead_id: str, outcome: str, manager_id: int) -> Lead | None:
        """Won or lost, as a manager marked it; `open` reopens the lead. Compare-and-set: None when the lead is
        already in that state (a double tap, or another manager first) or does not exist."""
        now = utcnow()
        change: dict[str, Any] = {"$set": {"status": outcome, "updated_at": now}}
        if outcome == "open":
            change["$unset"] = {"closed_at": "", "closed_by": ""}
        else:
            change["$set"] |= {"closed_at": now, "closed_by": manager_id}
        expected = {"$in": ["won", "lost"]} if outcome == "open" else {"$nin": ["won", "lost"]}
        doc = await self._col.find_one_and_update(
            {"_id": parse_object_id(lead_id), "status": expected}, change, return_document=ReturnDocument.AFTER
        )
        return _lead(doc) if doc else None

    async def get(self, lead_id: str) -> Lead | None:
        oid = parse_object_id(lead_id)
        doc = await self._col.find_one({"_id": oid}) if oid else None
        return _lead(doc) if doc else None

    async def by_conversation(self, conversation_id: str) -> Lead | None:
        doc = await self._col.find_one({"conversation_id": conversation_id})
        return _lead(doc) if doc else None

    async def list(
        self,
        temperature: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        limit: int = 500,
    ) -> list[Lead]:
        query: dict[str, Any] = {}
        if temperature:
            query["temperature"] = temperature
        if status:
            query["status"] = status
        if since:
            query["updated_at"] = {"$gte": since}
        cursor = self._col.find(query).sort("updated_at", -1).limit(limit)
        return [_lead(doc) async for doc in cursor]

    async def hot_unanswered(self, older_than: timedelta) -> list[Lead]:
        """Hot leads alerted once, not taken over, and older than the re-announce delay."""
        cutoff = utcnow() - older_than
        cursor = self._col.find(
            {
                "temperature": "hot",
                "status": "open",  # a lead a manager marked won or lost waits for nobody
                "alerts": 1,
                "taken": {"$ne": True},
                "hot_since": {"$lt": cutoff},
            }
        )
        return [_lead(doc) async for doc in cursor]

    async def silent_warm(self, window_start: datetime, silent_since: datetime, limit: int = 200) -> list[Lead]:
        """Open warm leads never followed up whose customer last wrote between the two instants."""
        query = {
            "temperature": "warm",
            "status": "open",
            "followed_up_at": {"$exists": False},
            "last_customer_message_at": {"$gte": window_start, "$lt": silent_since},
        }
        return [_lead(doc) async for doc in self._col.find(query).limit(limit)]

    async def claim_follow_up(self, lead_id: str, outcome: str) -> bool:
        """Compare-and-set: one follow-up decision per lead, across restarts and replicas."""
        result = await self._col.update_one(
            {"_id": ObjectId(lead_id), "followed_up_at": {"$exists": False}},
            {"$set": {"followed_up_at": utcnow(), "follow_up": outcome}},
        )
        return result.modified_count == 1

    async def set_taken(self, conversation_id: str, taken: bool) -> None:
        await self._col.update_one({"conversation_id": conversation_id}, {"$set": {"taken": taken}})

    async def decay(self, silent_for: timedelta, points: int) -> int:
        """Lower the score of leads that went silent; a lead never decays below cold."""
        cutoff = utcnow() - silent_for
        changed = 0
        async for doc in self._col.find(
            {"last_customer_message_at": {"$lt": cutoff}, "score": {"$gt": 0}, "decayed_at": {"$not": {"$gt": cutoff}}}
        ):
            score = max(0, int(doc.get("score", 0)) - points)
            temperature = "hot" if score >= 50 else "warm" if score >= 20 else "cold"
            change: dict[str, Any] = {"$set": {"score": score, "temperature": temperature, "decayed_at": utcnow()}}
            if temperature != "hot":
                change["$unset"] = {"hot_since": ""}
            await self._col.update_one({"_id": doc["_id"]}, change)
            changed += 1
        return changed


def apply_update(doc: dict[str, Any], operation: dict[str, Any], inserting: bool) -> dict[str, Any]:
    """What `operation` ($set, $setOnInsert, $inc, $addToSet, $min, $unset; dotted keys) makes of `doc`."""
    result = {**doc, "fields": dict(doc.get("fields", {})), "asked": list(doc.get("asked", []))}

    def put(key: str, value: Any) -> None:
        head, _, tail = key.partition(".")
        if tail:
            result.setdefault(head, {})[tail] = value
        else:
            result[key] = value

    for key, value in operation.get("$set", {}).items():
        put(key, value)
    for key, value in operation.get("$setOnInsert", {}).items() if inserting else ():
        put(key, value)
    for key, value in operation.get("$inc", {}).items():
        result[key] = result.get(key, 0) + value
    for key, value in operation.get("$addToSet", {}).items():
        if value not in result.setdefault(key, []):
            result[key].append(value)
    for key, value in operation.get("$min", {}).items():
        result[key] = value if result.get(key) is None else min(result[key], value)
    for key in operation.get("$unset", {}):
        result.pop(key, None)
    return result


def _lead(doc: dict[str, Any]) -> Lead:
    return Lead(
        id=str(doc["_id"]),
        conversation_id=doc["conversation_id"],
        contact_id=doc.get("contact_id", ""),
        channel=doc.get("channel", ""),
        temperature=doc.get("temperature", "cold"),
        score=int(doc.get("score", 0)),
        reasons=list(doc.get("reasons", [])),
        fields=dict(doc.get("fields", {})),
        status=doc.get("status", "open"),
        name=doc.get("name"),
        manual=bool(doc.get("manual")),
        created_at=doc.get("created_at"),
        updated_at=doc.get("updated_at"),
        hot_since=doc.get("hot_since"),
        alerts=int(doc.get("alerts", 0)),
        turns=int(doc.get("turns", 0)),
        asked=list(doc.get("asked", [])),
        asked_turn=doc.get("asked_turn"),
    )
