"""The web chat adapter: `POST /api/v1/chat`, the chat page at `/` and the embeddable widget at `/widget.js`.
Replies travel back in the response. The chat API and the widget may be used from any site (CORS)."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from importlib import resources
from typing import Any, Protocol

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from channels.http_errors import error_response
from channels.messages import ChannelCapabilities, Inbound, InboundMessage, OutboundMessage, Submitted, TurnResult
from channels.web_waits import RESTART_RETRY_AFTER_S, Restarting, Stopping, before_stop, earlier_answer

MAX_BODY_TEXT = 100_000
SESSION_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"  # it becomes a Redis key and a channel user id: no spaces, no slashes
WIDGET_CACHE = "public, max-age=3600"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
CHAT_PREFLIGHT = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Max-Age": "86400",
}


class WebOutbound:
    """Web replies travel back in the HTTP response; sending only records them."""

    name = "web"
    capabilities = ChannelCapabilities(max_text=4000, max_buttons=5, button_title_max=40, in_process=True)

    async def send(self, recipient_id: str, message: OutboundMessage) -> str | None:
        return None


class ChatRequest(BaseModel):
    # On the Field, not in a validator, so the OpenAPI document states the rule that is enforced.
    session_id: str = Field(min_length=1, max_length=128, pattern=SESSION_ID_PATTERN)
    text: str = Field(default="", max_length=MAX_BODY_TEXT)
    payload: str | None = Field(default=None, max_length=64)
    message_id: str | None = Field(default=None, max_length=128)
    language: str | None = Field(default=None, max_length=8)
    ref: str | None = Field(default=None, max_length=64)  # the page's referral (`partner` on a partners' page)


class ButtonOut(BaseModel):
    title: str
    payload: str


class ReplyOut(BaseModel):
    text: str
    buttons: list[ButtonOut] = []
    media: list[dict[str, Any]] = []


class ChatResponse(BaseModel):
    replies: list[ReplyOut]
    conversation_id: str | None
    duplicate: bool = False
    superseded: bool = False  # a newer message of this session carries the answer to both
    limited: bool = False  # over the flood limit: stored, not answered (the first one gets a notice)


class Counters(Protocol):
    """Expiring counters for rate limits (Redis, or the in-process cache)."""

    async def incr(self, key: str, ttl_s: float) -> int: ...


def chat_response(result: TurnResult) -> ChatResponse:
    return ChatResponse(
        replies=[
            ReplyOut(
                text=r.text,
                buttons=[ButtonOut(title=b.title, payload=b.payload) for b in r.buttons],
                media=[{"kind": m.kind, "url": m.url, "title": m.title} for m in r.media if m.url],
            )
            for r in result.replies
        ],
        conversation_id=result.conversation_id,
        duplicate=result.duplicate,
        superseded=result.superseded,
        limited=result.limited,
    )


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def stream_events(
    submitted: Submitted, drafts: asyncio.Queue[str], stopping: Stopping | None = None
) -> AsyncIterator[str]:
    """`draft` events carry the answer so far; `withdraw` takes back what was shown (the guard stopped it);
    the last event, `reply`, carries the same JSON as the non-streaming answer (`error` if the turn failed;
    with `"retry": true` when the replica is restarting: the same message sent again gets the answer)."""
    replied = asyncio.ensure_future(before_stop(submitted.replied, stopping))
    while not replied.done():
        waiting = asyncio.ensure_future(drafts.get())
        await asyncio.wait({waiting, replied}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            break
        text = waiting.result()
        yield sse("draft", {"text": text}) if text else sse("withdraw", {})
    try:
        result = await replied
    except Restarting as exc:
        yield sse("error", {"detail": str(exc), "retry": True})
        return
    except Exception as exc:  # the customer is told; the turn's failure is logged by the turn queue
        yield sse("error", {"detail": f"the answer failed ({type(exc).__name__}); please try again"})
        return
    yield sse("reply", chat_response(result).model_dump())


async def one_reply(result: TurnResult) -> AsyncIterator[str]:
    yield sse("reply", chat_response(result).model_dump())


class AnyOriginRoute(APIRoute):
    """A route any site's page may call: every answer it gives, errors (422, 429, 503) included, says
    `Access-Control-Allow-Origin: *`, so the widget can read them. No cookies are involved, so a wildcard is
    safe. (The app has no CORS middleware: the rest of the API stays same-origin.)"""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_allowing_any_origin(request: Request) -> Response:
            try:
                response = await handle(request)
            except Exception as exc:
                # Rendered here by the app's own handler (the same answer as elsewhere), so it gets the header too.
                handler = _exception_handler(request, exc)
                if handler is None:
                    raise
                response = handler(request, exc)
                response = await response if inspect.isawaitable(response) else response
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"  # the widget waits that long
            return response

        return handle_allowing_any_origin


def _exception_handler(request: Request, exc: Exception) -> Callable[..., Any] | None:
    handlers = request.app.exception_handlers
    # Unexpected errors (`Exception`) are left to the server's error middleware, as on every other route.
    return next((handlers[c] for c in type(exc).__mro__ if c in handlers and c is not Exception), None)


def etag_matches(if_none_match: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def cross_origin_router() -> APIRouter:
    """The embeddable widget's script and the chat API's CORS preflight; the chat route itself joins them."""
    router = APIRouter(route_class=AnyOriginRoute)

    @router.get("/widget.js", include_in_schema=False)
    async def widget(request: Request) -> Response:
        script = resources.files("channels").joinpath("static/widget.js").read_bytes()
        etag = f'"{hashlib.sha256(script).hexdigest()[:32]}"'
        headers = {"ETag": etag, "Cache-Control": WIDGET_CACHE}
        if etag_matches(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        return Response(script, media_type="application/javascript; charset=utf-8", headers=headers)

    @router.options("/api/v1/chat", include_in_schema=False)
    async def chat_preflight() -> Response:
        # The widget posts JSON, so browsers ask first; a day's answer spares a preflight per message.
        return Response(status_code=204, headers=CHAT_PREFLIGHT)

    return router


def web_router(
    inbound: Inbound, counters: Counters, rate_per_minute: int, stopping: Stopping | None = None
) -> APIRouter:
    router = APIRouter(tags=["web chat"])
    any_origin = cross_origin_router()  # the chat API is called by the widget from customers' own sites

    async def rate_limited(request: Request, body: ChatRequest) -> None:
        """Per session, and (looser) per client address, which many customers may share behind a proxy."""
        client = request.client.host if request.client else "unknown"
        too_many = await counters.incr(f"rl:web:s:{body.session_id}", 60) > rate_per_minute
        too_many |= await counters.incr(f"rl:web:ip:{client}", 60) > rate_per_minute * 10
        if too_many:
            raise HTTPException(status_code=429, detail="Too many messages; please wait a minute.")

    # (The dependency is a closure over this adapter's counters, so it is listed here, not in an Annotated
    # alias: a string annotation could not see it.)
    @any_origin.post(
        "/api/v1/chat",
        response_model=ChatResponse,
        dependencies=[Depends(rate_limited)],
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE with Accept"},
            429: error_response("Too many messages from this session or address in a minute"),
            503: error_response("Storage unavailable, or the service restarting: send the same message_id again"),
        },
    )
    async def chat(body: ChatRequest, request: Request) -> Response:
        message = InboundMessage(
            channel="web",
            channel_user_id=body.session_id,
            channel_message_id=body.message_id or uuid.uuid4().hex,
            text=body.text,
            payload=body.payload,
            language_hint=body.language,
            referral=body.ref,
        )
        streaming = "text/event-stream" in request.headers.get("accept", "")
        drafts: asyncio.Queue[str] = asyncio.Queue()
        # Stored before the stream starts: a storage failure is still a 503, not a broken stream.
        submitted = await inbound.submit(message, drafts=drafts.put if streaming else None)
        try:
            if submitted.duplicate and body.message_id:  # sent again (a client's retry): what the first one got
                result = await before_stop(earlier_answer(inbound, message, await submitted.replied), stopping)
            elif streaming:
                return StreamingResponse(
                    stream_events(submitted, drafts, stopping), media_type="text/event-stream", headers=SSE_HEADERS
                )
            else:
                # The answer goes back as soon as it is out; the turn's remaining work (lead refinement, alerts)
                # goes on.
                result = await before_stop(submitted.replied, stopping)
        except Restarting as exc:
            retry = {"Retry-After": str(RESTART_RETRY_AFTER_S)}
            return JSONResponse({"detail": str(exc)}, status_code=503, headers=retry)
        if streaming:
            return StreamingResponse(one_reply(result), media_type="text/event-stream", headers=SSE_HEADERS)
        return JSONResponse(chat_response(result).model_dump())

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        html = resources.files("channels").joinpath("static/chat.html").read_text(encoding="utf-8")
        return HTMLResponse(html)

    router.include_router(any_origin)
    return router
