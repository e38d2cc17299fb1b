"""Reviewed examples (`examples`): a customer's question and the answer a manager gave during a takeover.

A pair starts `pending`; a manager approves or discards it in the admin bot. Approved pairs carry the
question's embedding and the knowledge version they were approved under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo import ReturnDocument

from storage.mongo import Database
from storage.repositories import parse_object_id, utcnow

MAX_QUESTION_CHARS = 1000
MAX_ANSWER_CHARS = 2000


@dataclass(slots=True)
class ReviewedAnswer:
    id: str
    conversation_id: str
    question: str
    answer: str
    language: str
    status: str  # pending | approved | discarded
    manager_id: int | None = None
    knowledge_version: int | None = None
    vector: list[float] = field(default_factory=list)


class ReviewedAnswerRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.examples

    async def propose(
        self, conversation_id: str, question: str, answer: str, language: str, manager_id: int
    ) -> ReviewedAnswer:
        """Record a new pending pair, or extend the answer of the chat's newest pending pair with the same question
        (a manager often answers in two or three messages)."""
        question, answer = question[:MAX_QUESTION_CHARS], answer[:MAX_ANSWER_CHARS]
        latest = await self._col.find_one(
            {"conversation_id": conversation_id, "status": "pending"}, sort=[("created_at", -1)]
        )
        if latest is not None and latest["question"] == question:
            joined = (latest["answer"] + "\n" + answer)[:MAX_ANSWER_CHARS]
            doc = await self._col.find_one_and_update(
                {"_id": latest["_id"]}, {"$set": {"answer": joined}}, return_document=ReturnDocument.AFTER
            )
            return _record(doc)
        doc = {
            "conversation_id": conversation_id,
            "question": question,
            "answer": answer,
            "language": language,
            "status": "pending",
            "manager_id": manager_id,
            "created_at": utcnow(),
        }
        result = await self._col.insert_one(doc)
        doc["_id"] = result.inserted_id
        return _record(doc)

    async def pending_for(self, conversation_id: str) -> list[ReviewedAnswer]:
        cursor = self._col.find({"conversation_id": conversation_id, "status": "pending"}).sort("created_at", 1)
        return [_record(doc) async for doc in cursor]

    async def get(self, example_id: str) -> ReviewedAnswer | None:
        oid = parse_object_id(example_id)
        doc = await self._col.find_one({"_id": oid}) if oid else None
        return _record(doc) if doc else None

    async def review(
        self,
        example_id: str,
        approved: bool,
        reviewer_id: int,
        vector: list[float] | None = None,
        knowledge_version: int | None = None,
    ) -> ReviewedAnswer | None:
        """Approve or discard a pending pair once; None when it is unknown or already reviewed."""
        oid = parse_object_id(example_id)
        if oid is None:
            return None
        changes: dict[str, Any] = {
            "status": "approved" if approved else "discarded",
            "reviewed_by": reviewer_id,
            "reviewed_at": utcnow(),
        }
        if approved:
            changes |= {"vector": vector or [], "knowledge_version": knowledge_version}
        doc = await self._col.find_one_and_update(
            {"_id": oid, "status": "pending"}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )
        return _record(doc) if doc else None

    async def approved(self) -> list[ReviewedAnswer]:
        return [_record(doc) async for doc in self._col.find({"status": "approved"}).sort("reviewed_at", 1)]


def _record(doc: dict[str, Any]) -> ReviewedAnswer:
    return ReviewedAnswer(
        id=str(doc["_id"]),
        conversation_id=doc["conversation_id"],
        question=doc["question"],
        answer=doc["answer"],
        language=doc.get("language", "en"),
        status=doc.get("status", "pending"),
        manager_id=doc.get("manager_id"),
        knowledge_version=doc.get("knowledge_version"),
        vector=list(doc.get("vector") or []),
    )
