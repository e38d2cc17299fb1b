"""The media catalogue (`media_assets`): presentations, videos, price lists the bot can send.

The file itself lives under `DATA_DIR/media/<id><suffix>` (durable, outside the database); the document keeps
what it is (title, description, tags, audience, language), its embedding for matching by meaning, and the
Telegram `file_id` each bot got when it first uploaded it (a `file_id` belongs to one bot).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument

from storage.mongo import Database
from storage.repositories import parse_object_id, utcnow

KINDS = ("document", "video", "photo", "audio")
AUDIENCES = ("buyer", "partner", "all")


class InvalidAsset(ValueError):
    """An upload that cannot become an asset (empty, unknown kind or audience): refused, nothing stored."""


@dataclass(slots=True)
class MediaAsset:
    id: str
    kind: str
    title: str
    filename: str
    size: int
    mime_type: str
    audience: str = "all"
    language: str | None = None
    description: str = ""
    tags: list[str] = field(default_factory=list)
    text: str = ""  # a document's own words (the first pages), for matching
    embedding: list[float] = field(default_factory=list)
    file_ids: dict[str, str] = field(default_factory=dict)  # bot id → Telegram file_id
    created_at: datetime | None = None

    @property
    def summary(self) -> str:
        return asset_summary(self.title, self.description, self.tags, self.text)


def asset_summary(title: str, description: str = "", tags: list[str] | None = None, text: str = "") -> str:
    """What an asset is about, as embedded for matching."""
    parts = [title, description, ", ".join(tags or []), text[:600]]
    return ". ".join(p.strip() for p in parts if p and p.strip())


def check_asset(data: bytes, kind: str, title: str, audience: str) -> None:
    if not data:
        raise InvalidAsset("the file is empty")
    if kind not in KINDS:
        raise InvalidAsset(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    if audience not in AUDIENCES:
        raise InvalidAsset(f"unknown audience {audience!r}: one of {', '.join(AUDIENCES)}")
    if not title.strip():
        raise InvalidAsset("an asset needs a title")


class MediaAssetRepository:
    def __init__(self, db: Database, files_dir: Path) -> None:
        self._col = db.media_assets
        self._dir = files_dir

    async def add(
        self,
        data: bytes,
        *,
        kind: str,
        title: str,
        filename: str,
        mime_type: str,
        audience: str = "all",
        language: str | None = None,
        description: str = "",
        tags: list[str] | None = None,
        text: str = "",
        embedding: list[float] | None = None,
    ) -> MediaAsset:
        check_asset(data, kind, title, audience)
        asset_id = ObjectId()
        path = self._path(str(asset_id), filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)  # the file is whole before the catalogue names it
        doc = {
            "_id": asset_id,
            "kind": kind,
            "title": title.strip()[:200],
            "filename": filename,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "mime_type": mime_type,
            "audience": audience,
            "language": language,
            "description": description.strip()[:1000],
            "tags": [t.strip() for t in tags or [] if t.strip()][:20],
            "text": text[:4000],
            "embedding": embedding or [],
            "file_ids": {},
            "path": path.name,
            "created_at": utcnow(),
        }
        await self._col.insert_one(doc)
        return _asset(doc)

    async def get(self, asset_id: str) -> MediaAsset | None:
        oid = parse_object_id(asset_id)
        doc = await self._col.find_one({"_id": oid, "deleted": {"$ne": True}}) if oid else None
        return _asset(doc) if doc else None

    async def all(self) -> list[MediaAsset]:
        return [_asset(d) async for d in self._col.find({"deleted": {"$ne": True}}).sort("created_at", 1)]

    async def update(self, asset_id: str, **fields: Any) -> MediaAsset | None:
        allowed = {k: v for k, v in fields.items() if k in {"title", "description", "tags", "audience", "embedding"}}
        if "audience" in allowed and allowed["audience"] not in AUDIENCES:
            raise InvalidAsset(f"unknown audience {allowed['audience']!r}")
        oid = parse_object_id(asset_id)
        if oid is None:
            return None
        doc = await self._col.find_one_and_update(
            {"_id": oid, "deleted": {"$ne": True}}, {"$set": allowed}, return_document=ReturnDocument.AFTER
        )
        return _asset(doc) if doc else None

    async def delete(self, asset_id: str) -> bool:
        """Gone from the catalogue and the disk; history that mentions it keeps only its title."""
        oid = parse_object_id(asset_id)
        doc = await self._col.find_one_and_update(
            {"_id": oid, "deleted": {"$ne": True}}, {"$set": {"deleted": True, "deleted_at": utcnow()}}
        )
        if doc is None:
            return False
        (self._dir / doc["path"]).unlink(missing_ok=True)
        return True

    async def read(self, asset: MediaAsset) -> bytes | None:
        """The file's bytes (off the event loop: a video may be tens of megabytes); None when it is gone."""
        path = self._path(asset.id, asset.filename)
        return await asyncio.to_thread(lambda: path.read_bytes() if path.exists() else None)

    async def data_of(self, asset_id: str) -> bytes | None:
        asset = await self.get(asset_id)
        return await self.read(asset) if asset is not None else None

    def file_path(self, asset: MediaAsset) -> Path:
        return self._path(asset.id, asset.filename)

    async def remember_file_id(self, asset_id: str, bot_id: str, file_id: str | None) -> None:
        """The `file_id` a bot got for this asset (None forgets it: Telegram rejected it)."""
        oid = parse_object_id(asset_id)
        update = {"$set": {f"file_ids.{bot_id}": file_id}} if file_id else {"$unset": {f"file_ids.{bot_id}": ""}}
        await self._col.update_one({"_id": oid}, update)

    def _path(self, asset_id: str, filename: str) -> Path:
        suffix = Path(filename).suffix.lower()[:10] if Path(filename).suffix.isascii() else ""
        return self._dir / f"{asset_id}{suffix}"


def _asset(doc: dict[str, Any]) -> MediaAsset:
    return MediaAsset(
        id=str(doc["_id"]),
        kind=doc["kind"],
        title=doc["title"],
        filename=doc["filename"],
        size=doc["size"],
        mime_type=doc.get("mime_type", "application/octet-stream"),
        audience=doc.get("audience", "all"),
        language=doc.get("language"),
        description=doc.get("description", ""),
        tags=list(doc.get("tags", [])),
        text=doc.get("text", ""),
        embedding=list(doc.get("embedding", [])),
        file_ids=dict(doc.get("file_ids", {})),
        created_at=doc.get("created_at"),
    )
