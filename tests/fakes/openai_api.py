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
from fastapi.responses import JSONResponse, StreamingResponse


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
    schema: str | None = None  # a structured-output turn answers only calls with this json_schema name
    chunks: int = 4  # a streamed answer comes in this many pieces...
    chunk_delay_s: float = 0.0  # ...this far apart (after `delay_s`, the time to the first token)


class ScriptedOpenAI:
    """Replays queued turns in order; with an empty queue it answers `default(request)`."""

    def __init__(self) -> None:
        self.script: list[Scripted] = []
        self.structured_script: list[Scripted] = []  # replayed to calls with a response_format
        self.requests: list[dict[str, Any]] = []
        self.embedding_requests: list[dict[str, Any]] = []
        self.call_s = 0.0  # every unscripted call takes this long (benchmarks); streamed, spread over the chunks
        self.in_flight = 0  # calls waiting out their delay now, and the most at once
        self.peak_in_flight = 0
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
        if not self.call_s:
            return Scripted(content=f"LLM answer to: {last}")
        text = f"Here is what I found about your question: {last}. Anything else I can help with?"
        if not body.get("stream"):
            return Scripted(content=text, delay_s=self.call_s)
        # A streamed call: the first token after 30 % of the call, the rest over the remaining time.
        return Scripted(content=text, delay_s=0.3 * self.call_s, chunks=8, chunk_delay_s=0.7 * self.call_s / 7)

    def _next(self, body: dict[str, Any]) -> Scripted:
        if "response_format" not in body:
            return self.script.pop(0) if self.script else self.default(body)
        name = body["response_format"].get("json_schema", {}).get("name")
        for i, turn in enumerate(self.structured_script):
            if turn.schema in (None, name):
                return self.structured_script.pop(i)
        return self.default(body)

    async def _chunks(self, body: dict[str, Any], turn: Scripted) -> Any:
        """The answer as an OpenAI stream: role, content in `turn.chunks` pieces (or the tool calls), usage."""
        yield _chunk(body, {"role": "assistant", "content": ""})
        if turn.tool_calls:
            calls = [
                {
                    "index": i,
                    "id": f"call_{next(self._ids)}",
                    "type": "function",
                    "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
                }
                for i, (name, args) in enumerate(turn.tool_calls)
            ]
            yield _chunk(body, {"tool_calls": calls}, "tool_calls")
        else:
            text = turn.content or ""
            size = max(1, -(-len(text) // max(1, turn.chunks)))
            for start in range(0, len(text), size):
                if start and turn.chunk_delay_s:
                    await asyncio.sleep(turn.chunk_delay_s)
                yield _chunk(body, {"content": text[start : start + size]})
            yield _chunk(body, {}, "stop")
        if body.get("stream_options", {}).get("include_usage"):
            total = turn.prompt_tokens + turn.completion_tokens
            usage = {
                "prompt_tokens": turn.prompt_tokens,
                "completion_tokens": turn.completion_tokens,
                "total_tokens": total,
            }
            yield _chunk(body, {}, usage=usage)
        yield "data: [DONE]\n\n"

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            turn = self._next(body)
            if turn.delay_s:
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                try:
                    await asyncio.sleep(turn.delay_s)
                finally:
                    self.in_flight -= 1
            if turn.status != 200:
                return JSONResponse(
                    {"error": {"message": "scripted failure", "type": "server_error", "code": None}},
                    status_code=turn.status,
                )
            if body.get("stream"):
                return StreamingResponse(self._chunks(body, turn), media_type="text/event-stream")
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


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> str:
    payload = {
        "id": "chatcmpl-stream",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body.get("model", "test"),
        "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        payload["usage"] = usage
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _hash_vector(text: str, dim: int = 64) -> list[float]:
    """Deterministic bag-of-words vector: texts sharing words are close, as real embeddings would be."""
    vector = np.zeros(dim, np.float32)
    for word in text.lower().split():
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % dim] += 1.0
    norm = float(np.linalg.norm(vector)) or 1.0
    return (vector / norm).tolist()
