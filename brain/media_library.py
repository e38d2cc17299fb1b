"""The media catalogue as the admin bot and the CLI change it: an asset is embedded once (title, description,
tags and, for documents, their first words) and the matcher the brain uses is kept current — in this
process at once, in other replicas within `REFRESH_S`."""

from __future__ import annotations

import asyncio
import logging
import time

from brain.knowledge.parsers import parse_document
from brain.media import CatalogEntry, MediaMatcher
from storage.embeddings import Embedder
from storage.media_assets import MediaAsset, MediaAssetRepository, asset_summary, check_asset

REFRESH_S = 30.0
log = logging.getLogger(__name__)


def document_text(name: str, data: bytes) -> str:
    """A document's first words help find it by meaning; a file that cannot be read is still sendable."""
    try:
        return parse_document(name, data).markdown[:2000]
    except ValueError as exc:
        log.info("%s: no text for matching (%s)", name, exc)
        return ""


class MediaLibrary:
    def __init__(self, assets: MediaAssetRepository, embedder: Embedder, matcher: MediaMatcher) -> None:
        self.assets = assets
        self.matcher = matcher
        self._embedder = embedder
        self._loaded_at = -REFRESH_S
        self._lock = asyncio.Lock()

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
    ) -> MediaAsset:
        """Store the file and what it is (InvalidAsset for an empty file or a bad field: nothing stored)."""
        check_asset(data, kind, title, audience)
        [vector] = await self._embedder.embed_passages([asset_summary(title, description, tags, text)])
        asset = await self.assets.add(
            data,
            kind=kind,
            title=title,
            filename=filename,
            mime_type=mime_type,
            audience=audience,
            language=language,
            description=description,
            tags=tags,
            text=text,
            embedding=[float(x) for x in vector],
        )
        await self.refresh(force=True)
        return asset

    async def update(self, asset_id: str, **fields: object) -> MediaAsset | None:
        updated = await self.assets.update(asset_id, **fields)
        if updated is not None and {"title", "description", "tags"} & fields.keys():
            [vector] = await self._embedder.embed_passages([updated.summary])
            updated = await self.assets.update(asset_id, embedding=[float(x) for x in vector])
        await self.refresh(force=True)
        return updated

    async def delete(self, asset_id: str) -> bool:
        deleted = await self.assets.delete(asset_id)
        await self.refresh(force=True)
        return deleted

    async def refresh(self, force: bool = False) -> None:
        """Reload the matcher from the catalogue (cheap: it is small); at most every REFRESH_S unless forced."""
        if not force and time.monotonic() - self._loaded_at < REFRESH_S:
            return
        async with self._lock:
            everything = await self.assets.all()
            entries = [CatalogEntry(a.id, a.kind, a.title, a.audience, a.language) for a in everything]
            self.matcher.load(entries, [a.embedding for a in everything])
            self._loaded_at = time.monotonic()
