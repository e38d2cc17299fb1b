"""`closer media add|list|delete`: the media catalogue from the terminal (files larger than a bot may download
included)."""

from __future__ import annotations

import asyncio
import mimetypes
import sys
from pathlib import Path

from tqdm import tqdm

from app.container import open_services
from app.settings import Settings
from brain.media_library import document_text
from storage.media_assets import InvalidAsset

KIND_BY_MIME = {"image": "photo", "video": "video", "audio": "audio"}


def kind_of(path: Path) -> tuple[str, str]:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return KIND_BY_MIME.get(mime.split("/")[0], "document"), mime


async def media_add(
    settings: Settings, path: Path, title: str, audience: str, description: str, tags: list[str], language: str | None
) -> int:
    if not await asyncio.to_thread(path.is_file):
        print(f"closer: error: {path}: no such file", file=sys.stderr)
        return 1
    kind, mime = kind_of(path)
    async with open_services(settings, seed_knowledge=False) as services:
        with tqdm(total=3, desc=path.name, unit="step") as bar:
            data = await asyncio.to_thread(path.read_bytes)
            bar.update()
            text = ""
            if kind == "document":
                text = await asyncio.to_thread(document_text, path.name, data)
            bar.update()
            try:
                asset = await services.media.library.add(
                    data,
                    kind=kind,
                    title=title,
                    filename=path.name,
                    mime_type=mime,
                    audience=audience,
                    language=language,
                    description=description,
                    tags=tags,
                    text=text,
                )
            except InvalidAsset as exc:
                print(f"closer: error: {path}: {exc}", file=sys.stderr)
                return 1
            bar.update()
    print(f"{asset.id}  {asset.kind}  {asset.audience}  {asset.size} bytes  {asset.title}")
    return 0


async def media_list(settings: Settings) -> int:
    async with open_services(settings, seed_knowledge=False) as services:
        assets = await services.media.library.assets.all()
    if not assets:
        print("The media catalogue is empty.")
        return 0
    print(f"{'id':24}  {'kind':8}  {'audience':8}  {'KB':>7}  title")
    for a in assets:
        print(f"{a.id:24}  {a.kind:8}  {a.audience:8}  {max(1, a.size // 1024):>7}  {a.title}")
    return 0


async def media_delete(settings: Settings, asset_id: str) -> int:
    async with open_services(settings, seed_knowledge=False) as services:
        deleted = await services.media.library.delete(asset_id)
    print("deleted" if deleted else f"closer: error: no asset {asset_id}", file=sys.stdout if deleted else sys.stderr)
    return 0 if deleted else 1
