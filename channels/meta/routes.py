"""`GET|POST /webhooks/messenger`, `/webhooks/instagram` and `/webhooks/whatsapp`: the verification handshake,
then signed events.

Thin: check the signature over the raw bytes (403 when missing or wrong, never 200), parse every entry and
event (400 for a signed body that is not an envelope), store the body (`MetaIntake`) and only then answer 200
with the number of customer messages it brought (0 for a body delivered again); the events are handled after
the answer. MongoDB down → the app's 503, so Meta redelivers.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from channels.hub import Hub
from channels.messages import InboundMessage
from channels.meta.events import Comment, Event, MalformedWebhook, Skipped, Status, Unsent
from channels.meta.intake import MetaIntake
from channels.meta.messaging import parse
from channels.meta.signature import signature_ok
from channels.meta.whatsapp import parse_whatsapp
from storage.messages import MessageRepository

log = logging.getLogger(__name__)

CommentHandler = Callable[[Comment], Awaitable[None]]


def meta_router(intake: MetaIntake, app_secret: str, verify_token: str, channels: list[str]) -> APIRouter:
    router = APIRouter(tags=["webhooks"])
    for channel in channels:
        _add_routes(router, channel, intake, app_secret.encode(), verify_token)
    return router


def parse_body(channel: str, decoded: object) -> list[Event]:
    """The events of a decoded webhook body; MalformedWebhook (or a TypeError, AttributeError or KeyError
    from a field of the wrong shape) when it is not the channel's envelope."""
    return parse_whatsapp(decoded) if channel == "whatsapp" else parse(channel, decoded)


def event_handler(
    hub: Hub, messages: MessageRepository, comments: CommentHandler | None = None
) -> Callable[[str, Event], Awaitable[None]]:
    """What each parsed event does: customer messages go to the hub (which drops one it already has)."""

    async def on_event(channel: str, event: Event) -> None:
        if isinstance(event, InboundMessage):
            await hub.submit(event)
        elif isinstance(event, Unsent):
            await messages.mark_deleted(channel, event.channel_message_id)
        elif isinstance(event, Status):
            await messages.record_platform_status(channel, event.platform_message_id, event.status, event.error)
            if event.error:
                log.warning("%s: message %s failed: %s", channel, event.platform_message_id, event.error)
        elif isinstance(event, Comment) and comments is not None:
            await comments(event)
        elif isinstance(event, Skipped | Comment):
            log.debug("%s webhook: %s event, not answered", channel, getattr(event, "kind", "comment"))

    return on_event


def _add_routes(router: APIRouter, channel: str, intake: MetaIntake, secret: bytes, verify_token: str) -> None:
    """One channel's two routes; the channel is fixed here, never read from the request."""

    @router.get(f"/webhooks/{channel}", response_class=PlainTextResponse, include_in_schema=False)
    async def verify(
        mode: str = Query("", alias="hub.mode"),
        token: str = Query("", alias="hub.verify_token"),
        challenge: str = Query("", alias="hub.challenge"),
    ) -> str:
        if mode != "subscribe" or not hmac.compare_digest(token.encode(), verify_token.encode()):
            raise HTTPException(403, "verification failed")
        return challenge

    @router.post(f"/webhooks/{channel}", include_in_schema=False)
    async def receive(request: Request) -> dict[str, int]:
        body = await request.body()
        if not signature_ok(secret, body, request.headers.get("x-hub-signature-256")):
            log.warning("%s webhook refused: bad or missing signature", channel)
            raise HTTPException(403, "bad signature")
        try:
            decoded = json.loads(body)
            events = parse_body(channel, decoded)
        except (ValueError, MalformedWebhook) as exc:
            raise HTTPException(400, f"malformed webhook: {exc}") from exc
        except (TypeError, AttributeError, KeyError) as exc:  # a field of the wrong shape deep in a signed body
            raise HTTPException(400, f"malformed webhook: unexpected {type(exc).__name__}") from exc
        return {"accepted": await intake.accept(channel, decoded, events)}
