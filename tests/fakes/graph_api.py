"""A local Meta Graph API test server: the Send API over real HTTP, every request recorded, errors on demand."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class FakeGraph:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []  # {"path", "auth", "body"}
        self._failures: list[dict[str, Any]] = []
        self.attempts = 0  # every POST, failed ones included
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.app = self._build_app()

    def fail(self, code: int, subcode: int | None = None, status: int = 400) -> None:
        """The next send fails like Meta does."""
        self._failures.append(
            {"status": status, "error": {"message": "scripted", "code": code, "error_subcode": subcode}}
        )

    def texts(self, recipient: str) -> list[str]:
        return [
            s["body"]["message"].get("text", "") for s in self.sent if s["body"]["recipient"].get("id") == recipient
        ]

    async def wait_for(self, recipient: str, count: int = 1, wait_s: float = 20) -> list[dict[str, Any]]:
        def mine() -> list[dict[str, Any]]:
            return [s for s in self.sent if s["body"]["recipient"].get("id") == recipient]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(mine()) >= count), wait_s)
        return mine()

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{version}/me/messages")
        async def send(version: str, request: Request) -> JSONResponse:
            body = await request.json()
            self.attempts += 1
            if self._failures:
                failure = self._failures.pop(0)
                return JSONResponse({"error": failure["error"]}, status_code=failure["status"])
            async with self._changed:
                self.sent.append(
                    {"path": f"/{version}/me/messages", "auth": request.headers.get("authorization"), "body": body}
                )
                self._changed.notify_all()
            return JSONResponse({"recipient_id": body["recipient"]["id"], "message_id": f"m_{next(self._ids)}"})

        return app
