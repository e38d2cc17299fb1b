"""Wires the media catalogue: the files under DATA_DIR/media, the matcher the brain asks, signed links, and
each channel's way of receiving an asset."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from app.settings import Settings
from brain.media import MediaMatcher
from brain.media_library import MediaLibrary
from brain.media_reply import MediaDesk
from brain.service import Brain
from channels.media_delivery import MediaDelivery
from channels.media_links import MediaLinks
from storage.embeddings import Embedder
from storage.media_assets import MediaAssetRepository
from storage.mongo import Database


@dataclass(slots=True)
class Media:
    library: MediaLibrary
    links: MediaLinks
    delivery: MediaDelivery


async def build_media(settings: Settings, db: Database, embedder: Embedder, brain: Brain) -> Media:
    assets = MediaAssetRepository(db, settings.data_dir / "media")
    library = MediaLibrary(assets, embedder, MediaMatcher())
    await library.refresh(force=True)
    links = MediaLinks(_link_secret(settings), settings.media_link_ttl_s, settings.http.public_base_url)
    delivery = MediaDelivery(assets, links, lambda language: brain.playbook.text("media_too_big", language or ""))
    brain.media = MediaDesk(library, embedder, lambda: brain.playbook)
    return Media(library, links, delivery)


def _link_secret(settings: Settings) -> bytes:
    """MEDIA_LINK_SECRET, else a key kept under DATA_DIR (replicas sharing DATA_DIR share it)."""
    if settings.media_link_secret is not None:
        return settings.media_link_secret.get_secret_value().encode()
    path: Path = settings.data_dir / "media_link.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip().encode()
