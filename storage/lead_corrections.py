"""Managers' temperature corrections (`lead_examples`): the message and the temperature it should have had."""

from __future__ import annotations

from dataclasses import dataclass

from storage.mongo import Database
from storage.repositories import utcnow


@dataclass(slots=True)
class LeadCorrection:
    text: str
    temperature: str


class LeadCorrectionRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.lead_examples

    async def all(self) -> list[LeadCorrection]:
        return [
            LeadCorrection(d["text"], d["temperature"]) async for d in self._col.find({}, {"text": 1, "temperature": 1})
        ]

    async def add(self, text: str, temperature: str, lead_id: str, manager_id: int) -> None:
        await self._col.insert_one(
            {
                "text": text,
                "temperature": temperature,
                "lead_id": lead_id,
                "manager_id": manager_id,
                "created_at": utcnow(),
            }
        )
