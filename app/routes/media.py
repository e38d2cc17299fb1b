"""`GET /media/{id}?exp=...&sig=...`: a catalogue file for channels that fetch by URL and for the web chat.
Only a valid, unexpired signature opens it (403 otherwise); a deleted asset is 404."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from app.routes.deps import ServicesDep

router = APIRouter(include_in_schema=False)


@router.get("/media/{asset_id}")
async def media_file(
    asset_id: str, services: ServicesDep, exp: int = Query(0), sig: str = Query("", max_length=128)
) -> FileResponse:
    if not services.media.links.valid(asset_id, exp, sig):
        raise HTTPException(403, "this link is invalid or has expired")
    assets = services.media.library.assets
    asset = await assets.get(asset_id)
    if asset is None or not assets.file_path(asset).exists():
        raise HTTPException(404, "this file is no longer available")
    return FileResponse(
        assets.file_path(asset),
        media_type=asset.mime_type,
        filename=asset.filename,
        content_disposition_type="inline",
        headers={"Cache-Control": "private, max-age=300"},
    )
