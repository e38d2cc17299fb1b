"""Shared by the Meta channel tests: the app with Messenger, Instagram and WhatsApp wired to a local Graph API
test server (optionally with the Telegram admin bot on the local Bot API server), and signed posts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.bots import AdminBot, build_admin_bot
from app.container import Services
from app.http import create_app
from app.meta_channels import build_meta_channels
from channels.meta.intake import MetaIntake
from channels.meta.signature import sign
from tests.fakes.graph_api import FakeGraph
from tests.fakes.servers import serve_app

FIXTURES = Path(__file__).parent / "fixtures" / "meta"  # copies of ../shared/fixtures/meta
SECRET, VERIFY = "app-secret-for-tests", "verify-me"
PHONE_NUMBER_ID = "1122334455667"
ADMIN_TOKEN = "222222:admin-bot-token-for-the-local-server"
MANAGER, ADMIN = 9101, 9100


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class MetaApp:
    web: httpx.AsyncClient
    graph: FakeGraph
    services: Services
    intake: MetaIntake
    admin: AdminBot | None = None

    async def handled(self) -> None:
        """Wait until the webhooks acknowledged so far have been handled (they are handled after their 200)."""
        await self.intake.idle()


@asynccontextmanager
async def meta_app(services_factory, telegram_base: str | None = None, **overrides: Any) -> AsyncIterator[MetaApp]:
    """The app on a loopback port; with `telegram_base`, the admin bot too (MANAGER a manager, ADMIN an admin)."""
    graph = FakeGraph()
    async with AsyncExitStack() as stack:
        graph_base = await stack.enter_async_context(serve_app(graph.app))
        graph.base = graph_base
        settings: dict[str, Any] = {
            "meta_app_secret": SECRET,
            "meta_verify_token": VERIFY,
            "messenger_page_token": "page-token",
            "instagram_token": "ig-token",
            "whatsapp_token": "wa-token",
            "whatsapp_phone_number_id": PHONE_NUMBER_ID,
            "meta_graph_base": graph_base,
            "meta_graph_version": "v25.0",
        }
        if telegram_base is not None:
            settings.update(admin_settings(telegram_base))
        services = await stack.enter_async_context(services_factory(**{**settings, **overrides}))
        graph_http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        channels = build_meta_channels(services.settings, services, graph_http)
        assert channels.router is not None and channels.intake is not None
        await channels.intake.start(channels.webhooks)
        stack.push_async_callback(channels.intake.stop)
        admin = None
        if telegram_base is not None:
            admin = build_admin_bot(services.settings, services, None, channels.downloaders)
            assert admin is not None
            await admin.telegram.start()
            stack.push_async_callback(admin.telegram.stop)
        base = await stack.enter_async_context(serve_app(create_app(services, [channels.router])))
        web = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=20))
        yield MetaApp(web, graph, services, channels.intake, admin)


async def post_signed(web: httpx.AsyncClient, channel: str, body: dict | bytes, signature: str | None = "ok"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if signature == "ok":
        headers["x-hub-signature-256"] = sign(SECRET.encode(), raw)
    elif signature is not None:
        headers["x-hub-signature-256"] = signature
    return await web.post(f"/webhooks/{channel}", content=raw, headers=headers)


def messenger_text(psid: str, mid: str, text: str) -> dict:
    """A Messenger webhook with one text message from `psid`."""
    body = fixture("messenger_text_quick_reply")
    event = body["entry"][0]["messaging"][0]
    event["sender"]["id"] = psid
    event["message"] = {"mid": mid, "text": text}
    return body


def whatsapp_message(wa_id: str, wamid: str, kind: str = "text", name: str = "Olena", **content: Any) -> dict:
    """A WhatsApp webhook with one customer message (`kind` text by default: `body=`)."""
    body = fixture("whatsapp_text")
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
    payload = content if kind != "text" else {"body": content.get("body", "")}
    value["messages"] = [{"from": wa_id, "id": wamid, "timestamp": "1749416383", "type": kind, kind: payload}]
    return body


def admin_settings(telegram_base: str) -> dict[str, Any]:
    """The admin bot on the local Bot API server: MANAGER a manager, ADMIN an admin."""
    return {
        "admin_bot_token": ADMIN_TOKEN,
        "telegram_api_base": telegram_base,
        "manager_ids": [MANAGER],
        "admin_ids": [ADMIN],
    }


@asynccontextmanager
async def running_admin_bot(services: Services) -> AsyncIterator[AdminBot]:
    admin = build_admin_bot(services.settings, services, None)
    assert admin is not None
    await admin.telegram.start()
    try:
        yield admin
    finally:
        await admin.telegram.stop()


def take_button(call) -> str:
    return call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
