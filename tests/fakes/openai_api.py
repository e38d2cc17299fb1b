"""A scripted OpenAI-compatible server: chat completions (plain, JSON, tool calls), embeddings, faults."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Scripted:
    """One scripted answer. `status` != 200 answers with an OpenAI-style error; `delay_s` sleeps first."""

    content: str | None = None
    json_body: dict[str, Any] | None = None
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0
    prompt_tokens: int = 120
    completion_tokens: int = 30


class ScriptedOpenAI:
    """Replays queued turns in order; with an empty queue it answers `default(request)`."""

    def __init__(self) -> None:
        self.script: list[Scripted] = []
        self.structured_script: list[Scripted] = []  # replayed to calls with a response_format
        self.requests: list[dict[str, Any]] = []
        self.embedding_requests: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.app = self._build_app()

    def answer_requests(self) -> list[dict[str, Any]]:
        """Chat calls that write a reply (structured-output calls, e.g. lead qualification, left out)."""
        return [r for r in self.requests if "response_format" not in r]

    def structured_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "response_format" in r]

    def push_structured(self, *turns: Scripted) -> None:
        self.structured_script.extend(turns)

    def push(self, *turns: Scripted) -> None:
        self.script.extend(turns)

    def default(self, body: dict[str, Any]) -> Scripted:
        last = body["messages"][-1]["content"]
        return Scripted(content=f"LLM answer to: {last}")

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            queue = self.structured_script if "response_format" in body else self.script
            turn = queue.pop(0) if queue else self.default(body)
            if turn.delay_s:
                await asyncio.sleep(turn.delay_s)
            if turn.status != 200:
                return JSONResponse(
                    {"error": {"message": "scripted failure", "type": "server_error", "code": None}},
                    status_code=turn.status,
                )
            message: dict[str, Any] = {"role": "assistant", "content": turn.content}
            if turn.json_body is not None:
                message["content"] = json.dumps(turn.json_body, ensure_ascii=False)
            if turn.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": f"call_{next(self._ids)}",
                        "type": "function",
                        "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
                    }
                    for name, args in turn.tool_calls
                ]
            return JSONResponse(
                {
                    "id": f"chatcmpl-{next(self._ids)}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "test"),
                    "choices": [
                        {"index": 0, "message": message, "finish_reason": "tool_calls" if turn.tool_calls else "stop"}
                    ],
                    "usage": {
                        "prompt_tokens": turn.prompt_tokens,
                        "completion_tokens": turn.completion_tokens,
                        "total_tokens": turn.prompt_tokens + turn.completion_tokens,
                    },
                }
            )

        @app.post("/v1/embeddings")
        async def embeddings(request: Request) -> JSONResponse:
            body = await request.json()
            self.embedding_requests.append(body)
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [
                {"object": "embedding", "index": i, "embedding": _hash_vector(text)} for i, text in enumerate(inputs)
            ]
            return JSONResponse(
                {
                    "object": "list",
                    "data": data,
                    "model": body.get("model"),
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                }
            )

        return app


def _hash_vector(text: str, dim: int = 64) -> list[float]:
    """Deterministic bag-of-words vector: texts sharing words are close, as real embeddings would be."""
    vector = np.zeros(dim, np.float32)
    for word in text.lower().split():
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % dim] += 1.0
    norm = float(np.linalg.norm(vector)) or 1.0
    return (vector / norm).tolist()
