"""Wires Messenger and Instagram Direct: their Graph senders into the outbox, their webhooks into the app."""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter

from app.container import Services
from app.settings import Settings
from channels.meta.graph import GraphSender
from channels.meta.routes import meta_router

log = logging.getLogger(__name__)


def build_meta_channels(settings: Settings, services: Services, http: httpx.AsyncClient) -> APIRouter | None:
    """The webhook routes when META_APP_SECRET and META_VERIFY_TOKEN are set (None otherwise); a sender for each
    channel whose token is set."""
    meta = settings.meta
    tokens = {"messenger": meta.messenger_page_token, "instagram": meta.instagram_token}
    for name, token in tokens.items():
        if token is not None:
            sender = GraphSender(name, http, meta.graph_base, meta.graph_version, token.get_secret_value())
            services.outbox.register(sender)
    if meta.app_secret is None or meta.verify_token is None:
        if any(tokens.values()):
            log.warning("Meta tokens are set but META_APP_SECRET / META_VERIFY_TOKEN are not: webhooks are off")
        return None
    return meta_router(
        services.hub,
        services.repos.messages,
        meta.app_secret.get_secret_value(),
        meta.verify_token.get_secret_value(),
        list(tokens),
    )
