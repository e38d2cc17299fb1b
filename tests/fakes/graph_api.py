"""A local Meta Graph API test server: the Messenger/Instagram Send API, Instagram comment replies and the
WhatsApp Cloud API (messages, media upload and download) over real HTTP, every call recorded, errors on demand."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


class FakeGraph:
    def __init__(self) -> None:
        # Every accepted send: {"path", "auth", "body", "recipient", "files"}; failed attempts are not kept.
        self.sent: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}  # WhatsApp media id → bytes (uploaded by us, or `add_media` for customers)
        self._failures: list[dict[str, Any]] = []
        self.attempts = 0  # every send POST, failed ones included
        self._pass_first = 0
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.base = ""  # set by the test once served: media URLs point back here
        self.app = self._build_app()

    def fail(self, code: int, subcode: int | None = None, status: int = 400, details: str | None = None) -> None:
        """The next send fails like Meta does."""
        error: dict[str, Any] = {"message": "scripted", "type": "OAuthException", "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        if details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        self._failures.append({"status": status, "error": error})

    def fail_after(self, successes: int, code: int) -> None:
        """Let `successes` sends through, then fail the next one with `code` (a throttle mid-piece)."""
        self._pass_first = successes
        self.fail(code)

    def add_media(self, media_id: str, data: bytes) -> None:
        """A customer's WhatsApp media, downloadable through `GET /{version}/{media_id}`."""
        self.uploads[media_id] = data

    def to(self, recipient: str) -> list[dict[str, Any]]:
        return [s for s in self.sent if s["recipient"] == recipient]

    def texts(self, recipient: str) -> list[str]:
        return [_text(s["body"]) for s in self.to(recipient)]

    async def wait_for(self, recipient: str, count: int = 1, wait_s: float = 20) -> list[dict[str, Any]]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.to(recipient)) >= count), wait_s)
        return self.to(recipient)

    async def _record(self, request: Request, body: dict[str, Any], recipient: str, files: dict | None = None) -> None:
        async with self._changed:
            self.sent.append(
                {
                    "path": request.url.path,
                    "auth": request.headers.get("authorization"),
                    "body": body,
                    "recipient": recipient,
                    "files": files or {},
                }
            )
            self._changed.notify_all()

    def _scripted_failure(self) -> JSONResponse | None:
        self.attempts += 1
        if self._pass_first > 0:
            self._pass_first -= 1
            return None
        if self._failures:
            failure = self._failures.pop(0)
            return JSONResponse({"error": failure["error"]}, status_code=failure["status"])
        return None

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{version}/me/messages")
        async def send(version: str, request: Request) -> JSONResponse:
            body, files = await _body(request)
            if (failure := self._scripted_failure()) is not None:
                return failure
            recipient = body["recipient"].get("id") or f"comment:{body['recipient'].get('comment_id')}"
            await self._record(request, body, recipient, files)
            return JSONResponse({"recipient_id": recipient, "message_id": f"m_{next(self._ids)}"})

        @app.post("/{version}/{comment_id}/replies")
        async def public_reply(version: str, comment_id: str, request: Request) -> JSONResponse:
            await self._record(request, await request.json(), f"public:{comment_id}")
            return JSONResponse({"id": f"c_{next(self._ids)}"})

        @app.post("/{version}/{phone_number_id}/messages")
        async def whatsapp_send(version: str, phone_number_id: str, request: Request) -> JSONResponse:
            body = await request.json()
            if (failure := self._scripted_failure()) is not None:
                return failure
            await self._record(request, body, str(body["to"]))
            wamid = f"wamid.out{next(self._ids)}"
            return JSONResponse(
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                    "messages": [{"id": wamid}],
                }
            )

        @app.post("/{version}/{phone_number_id}/media")
        async def whatsapp_upload(version: str, phone_number_id: str, request: Request) -> JSONResponse:
            form = await request.form()
            upload = form["file"]
            media_id = f"media{next(self._ids)}"
            self.uploads[media_id] = await upload.read()  # type: ignore[union-attr]
            return JSONResponse({"id": media_id})

        @app.get("/{version}/{media_id}")
        async def whatsapp_media_info(version: str, media_id: str) -> JSONResponse:
            if media_id not in self.uploads:
                return JSONResponse({"error": {"message": "unknown media", "code": 100}}, status_code=400)
            return JSONResponse({"url": f"{self.base}/cdn/bytes/{media_id}", "mime_type": "image/jpeg", "id": media_id})

        @app.get("/cdn/bytes/{media_id}")
        async def media_bytes(media_id: str, request: Request) -> Response:
            return Response(self.uploads.get(media_id, b""), media_type="application/octet-stream")

        return app


async def _body(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """JSON, or the Send API's multipart form (JSON fields next to `filedata`)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        body: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                body[key] = json.loads(value) if value.startswith("{") else value
            else:
                files[key] = await value.read()
        return body, files
    return await request.json(), {}


def _text(body: dict[str, Any]) -> str:
    if "message" in body and isinstance(body["message"], dict):
        return str(body["message"].get("text", ""))
    kind = body.get("type")
    if kind == "text":
        return str(body["text"]["body"])
    if kind == "interactive":
        return str(body["interactive"]["body"]["text"])
    if kind == "template":
        return f"[template {body['template']['name']}]"
    return str((body.get(kind) or {}).get("caption", "")) if isinstance(kind, str) else ""
