"""Wires Meta's channels: Messenger, Instagram Direct (and its comments) and WhatsApp senders into the outbox,
their webhooks into the app, and their media downloads for the managers' relay."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from fastapi import APIRouter

from app.container import Services
from app.replica import alive_replicas
from app.settings import Settings
from channels.left_behind import LeftBehind
from channels.meta.comments import CommentResponder
from channels.meta.graph import GraphSender
from channels.meta.intake import MetaIntake
from channels.meta.routes import event_handler, meta_router, parse_body
from channels.meta.whatsapp_send import WhatsAppSender

log = logging.getLogger(__name__)

Downloader = Callable[[str], Awaitable[bytes]]


@dataclass(slots=True)
class MetaChannels:
    router: APIRouter | None = None
    intake: MetaIntake | None = None  # stores webhook bodies, handles their events after the 200
    webhooks: list[str] = field(default_factory=list)  # the channels whose webhooks are served
    downloaders: dict[str, Downloader] = field(default_factory=dict)  # channel → attachment id or URL → bytes


def build_meta_channels(settings: Settings, services: Services, http: httpx.AsyncClient) -> MetaChannels:
    """A sender for each channel whose token is set; the webhook routes when META_APP_SECRET and
    META_VERIFY_TOKEN are set."""
    meta = settings.meta
    built = MetaChannels()

    async def token_rejected(channel: str, detail: str) -> None:
        await services.alerts.once(f"token:{channel}", f"⚠️ Meta rejected the {channel} access token: {detail}")

    async def fetch_url(url: str) -> bytes:  # Messenger/Instagram attachments come as (signed) CDN URLs
        response = await http.get(url)
        response.raise_for_status()
        return response.content

    senders: dict[str, GraphSender] = {}
    tokens = {"messenger": meta.messenger_page_token, "instagram": meta.instagram_token}
    for name, token in tokens.items():
        if token is not None:
            senders[name] = GraphSender(
                name,
                http,
                meta.graph_base,
                meta.graph_version,
                token.get_secret_value(),
                human_agent=meta.human_agent_tag,
                on_token_error=token_rejected,
            )
            services.outbox.register(senders[name])
            built.downloaders[name] = fetch_url
    if meta.whatsapp_token is not None and meta.whatsapp_phone_number_id:
        whatsapp = WhatsAppSender(
            http,
            meta.graph_base,
            meta.graph_version,
            meta.whatsapp_phone_number_id,
            meta.whatsapp_token.get_secret_value(),
            on_token_error=token_rejected,
        )
        services.outbox.register(whatsapp)
        built.downloaders["whatsapp"] = whatsapp.download
    if meta.app_secret is None or meta.verify_token is None:
        if senders or meta.whatsapp_token is not None:
            log.warning("Meta tokens are set but META_APP_SECRET / META_VERIFY_TOKEN are not: webhooks are off")
        return built
    comments = _comment_responder(services, senders.get("instagram")) if meta.comment_replies else None
    handle = event_handler(services.hub, services.repos.messages, comments)
    repos = services.repos
    alive = alive_replicas(repos.replicas, settings.reliability.replica_timeout_s)
    held = LeftBehind(repos.inbox, services.hub.worker, alive)
    built.intake = MetaIntake(held, services.hub.intake, parse_body, handle)
    built.webhooks = [*senders, *(["whatsapp"] if "whatsapp" in built.downloaders else [])]
    built.router = meta_router(
        built.intake, meta.app_secret.get_secret_value(), meta.verify_token.get_secret_value(), built.webhooks
    )
    return built


def _comment_responder(services: Services, instagram: GraphSender | None) -> CommentResponder | None:
    if instagram is None:
        return None
    repos = services.repos
    return CommentResponder(
        instagram,
        lambda: (services.brain.playbook, services.brain.router),
        repos.instagram_comments,
        repos.contacts,
        repos.conversations,
        repos.messages,
    )
