"""Managers (`managers`): what the admin bot remembers about each manager (language, display name)."""

from __future__ import annotations

from storage.mongo import Database
from storage.repositories import utcnow


class ManagerRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.managers

    async def seen(self, user_id: int, name: str | None, telegram_language: str | None) -> None:
        """Remember the manager's name and Telegram language (their own /lang choice is kept apart)."""
        await self._col.update_one(
            {"_id": user_id},
            {"$set": {"name": name, "telegram_language": telegram_language, "seen_at": utcnow()}},
            upsert=True,
        )

    async def set_language(self, user_id: int, language: str) -> None:
        await self._col.update_one({"_id": user_id}, {"$set": {"language": language}}, upsert=True)

    async def language(self, user_id: int) -> str | None:
        """The manager's /lang choice, else their Telegram language, else None."""
        doc = await self._col.find_one({"_id": user_id}, {"language": 1, "telegram_language": 1})
        if doc is None:
            return None
        return doc.get("language") or doc.get("telegram_language")

    async def name(self, user_id: int) -> str | None:
        doc = await self._col.find_one({"_id": user_id}, {"name": 1})
        return doc.get("name") if doc else None
