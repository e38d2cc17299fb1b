"""The shipped example knowledge, indexed on a new installation's first start."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from brain.knowledge.base import KnowledgeBase
from storage.meta import MetaRepository

log = logging.getLogger(__name__)


async def seed_once(knowledge: KnowledgeBase, meta: MetaRepository, folder: Path) -> None:
    """Index the example knowledge on first start only: an admin who deletes it does not get it back."""
    if not await meta.claim_seed(str(folder)):
        return  # seeded before, or another replica is seeding it now
    await seed_directory(knowledge, folder)
    await meta.mark_seeded(str(folder))


async def seed_directory(knowledge: KnowledgeBase, folder: Path) -> int:
    """Index every Markdown/text file below `folder`; returns how many were new."""
    added = 0
    for name, raw in await asyncio.to_thread(_read_text_files, folder):
        result = await knowledge.ingest_text(name, raw, uploader="seed")
        added += not result.unchanged
    if added:
        log.info("indexed %d example knowledge documents from %s", added, folder)
    return added


def _read_text_files(folder: Path) -> list[tuple[str, str]]:
    if not folder.is_dir():
        return []
    return [
        (path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(folder.rglob("*"))
        if path.suffix.lower() in {".md", ".txt"} and path.is_file()
    ]
