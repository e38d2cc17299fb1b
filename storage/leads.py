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
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LeadChange:
    lead: Lead
    created: bool
    previous_temperature: str | None
    became_hot: bool


class LeadRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.leads

    async def ensure_indexes(self) -> None:
        await self._col.create_indexes(
            [
                IndexModel([("conversation_id", ASCENDING)], unique=True),
                IndexModel([("temperature", ASCENDING), ("updated_at", DESCENDING)]),
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
    ) -> LeadChange:
        """Store the latest assessment. The update is atomic, so exactly one writer sees a rise to Hot."""
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
        previous = await self._col.find_one_and_update(
            {"conversation_id": conversation_id},
            {"$set": updates, "$setOnInsert": {"created_at": now, "status": "open", "alerts": 0}, "$inc": {"turns": 1}},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        previous_temperature = previous.get("temperature") if previous else None
        became_hot = temperature == "hot" and previous_temperature != "hot"
        if became_hot:
            await self._col.update_one({"conversation_id": conversation_id}, {"$set": {"hot_since": now}})
        lead = await self.by_conversation(conversation_id)
        assert lead is not None
        return LeadChange(lead, previous is None, previous_temperature, became_hot)

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
            {"temperature": "hot", "alerts": 1, "taken": {"$ne": True}, "hot_since": {"$lt": cutoff}}
        )
        return [_lead(doc) async for doc in cursor]

    async def claim_question(self, conversation_id: str, field: str, min_gap_turns: int) -> bool:
        """Reserve one qualification question: never the same twice, and not within `min_gap_turns`."""
        doc = await self._col.find_one({"conversation_id": conversation_id}, {"turns": 1, "asked_turn": 1})
        if doc is None:
            return False
        turns, last = int(doc.get("turns", 0)), doc.get("asked_turn")
        if last is not None and turns - int(last) < min_gap_turns:
            return False
        result = await self._col.update_one(
            {"conversation_id": conversation_id, "asked": {"$ne": field}, "asked_turn": last},
            {"$addToSet": {"asked": field}, "$set": {"asked_turn": turns}},
        )
        return result.modified_count == 1

    async def asked(self, conversation_id: str) -> list[str]:
        doc = await self._col.find_one({"conversation_id": conversation_id}, {"asked": 1})
        return list(doc.get("asked", [])) if doc else []

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
            await self._col.update_one(
                {"_id": doc["_id"]}, {"$set": {"score": score, "temperature": temperature, "decayed_at": utcnow()}}
            )
            changed += 1
        return changed


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
    )
