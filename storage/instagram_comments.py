"""Instagram comments we answered (`instagram_comments`): `_id` is the comment id, so each comment is handled
once, across redeliveries (boosted posts notify twice), restarts and replicas."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from storage.mongo import Database
from storage.repositories import utcnow

STALE_CLAIM = timedelta(minutes=10)


class InstagramCommentRepository:
    def __init__(self, db: Database) -> None:
        self._col = db.instagram_comments

    async def claim(self, comment_id: str, author_id: str, media_id: str | None, reason: str) -> bool:
        """True for the one caller that may reply to this comment."""
        doc = {
            "_id": comment_id,
            "author_id": author_id,
            "media_id": media_id,
            "reason": reason,
            "status": "replying",
            "created_at": utcnow(),
        }
        try:
            await self._col.insert_one(doc)
        except DuplicateKeyError:
            # A claim whose process died mid-reply may be taken again (Meta redelivers the comment).
            stale = {"_id": comment_id, "status": "replying", "created_at": {"$lt": utcnow() - STALE_CLAIM}}
            taken = await self._col.update_one(stale, {"$set": {"created_at": utcnow(), "reason": reason}})
            return taken.modified_count == 1
        return True

    async def finish(self, comment_id: str, status: str, **fields: Any) -> None:
        await self._col.update_one({"_id": comment_id}, {"$set": {"status": status, "done_at": utcnow(), **fields}})

    async def get(self, comment_id: str) -> dict[str, Any] | None:
        return await self._col.find_one({"_id": comment_id})
