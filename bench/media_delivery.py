"""Time from a customer asking for a file to the file leaving, per channel, with the local test servers
(Telegram Bot API, Meta Graph API) and the real services on embedded defaults, offline brain. Telegram is
measured on the first send (upload) and after it (cached file_id).

python -m bench.media_delivery [--n 10] [--json bench/results/media_delivery.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from app.bots import build_customer_bot
from app.container import open_services
from app.http import create_app
from app.meta_channels import build_meta_channels
from app.settings import Settings
from bench.report import pct, report
from channels.meta.signature import sign
from tests.fakes.graph_api import FakeGraph
from tests.fakes.servers import serve_app
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "1:customer-token-bench"
SECRET = "bench-secret"
ASK = "Do you have a video of how the machine gets installed?"
VIDEO = b"\x00\x00\x00\x18ftypmp4" + b"v" * 2_000_000  # a 2 MB clip


async def measure(n: int) -> dict[str, Any]:
    fake, graph = FakeTelegram(), FakeGraph()
    with tempfile.TemporaryDirectory(prefix="closer-media-bench-") as tmp:
        async with serve_app(fake.app) as telegram_base, serve_app(graph.app) as graph_base:
            settings = Settings.from_flat(
                _env_file=None,
                data_dir=Path(tmp),
                telegram_bot_token=TOKEN,
                telegram_api_base=telegram_base,
                meta_app_secret=SECRET,
                meta_verify_token="v",
                messenger_page_token="page",
                whatsapp_token="wa",
                whatsapp_phone_number_id="100",
                meta_graph_base=graph_base,
            )
            async with open_services(settings) as services, httpx.AsyncClient(timeout=30) as http:
                await services.media.library.add(
                    VIDEO,
                    kind="video",
                    title="How we install a coffee machine",
                    filename="install.mp4",
                    mime_type="video/mp4",
                    audience="all",
                    description="A video of the installation at a customer's office: water, power, what to prepare.",
                    tags=["installation", "video"],
                )
                bot = build_customer_bot(settings, services)
                meta = build_meta_channels(settings, services, http)
                assert bot is not None and meta.router is not None
                await bot.start()
                try:
                    app = create_app(services, [meta.router])
                    async with serve_app(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as web:
                        return await _run(n, fake, graph, web)
                finally:
                    await bot.stop()


async def _run(n: int, fake: FakeTelegram, graph: FakeGraph, web: httpx.AsyncClient) -> dict[str, Any]:
    times: dict[str, list[float]] = {"telegram (first, upload)": [], "telegram (cached file_id)": []}
    for i in range(n):
        chat = 70_000 + i
        started = time.perf_counter()
        await fake.inject(fake.message_update(chat, ASK), token=TOKEN)
        await fake.wait_for("sendVideo", chat_id=chat, wait_s=60)
        times["telegram (first, upload)" if i == 0 else "telegram (cached file_id)"].append(_ms(started))
    for channel in ("messenger", "whatsapp"):
        times[channel] = []
        for i in range(n):
            user = f"{channel[0]}{i:06d}"
            started = time.perf_counter()
            await _post(web, channel, user, f"{channel}.{i}")
            await graph.wait_for(user, wait_s=60)
            times[channel].append(_ms(started))
    times["web (signed link in the answer)"] = []
    for i in range(n):
        started = time.perf_counter()
        response = await web.post("/api/v1/chat", json={"session_id": f"bench-{i}", "text": ASK})
        assert response.json()["replies"][0]["media"], "the web chat answered without the video"
        times["web (signed link in the answer)"].append(_ms(started))
    return {
        "n": n,
        "file_bytes": len(VIDEO),
        "channels": {k: {"p50_ms": pct(v, 50), "p95_ms": pct(v, 95)} for k, v in times.items()},
    }


async def _post(web: httpx.AsyncClient, channel: str, user: str, mid: str) -> None:
    if channel == "whatsapp":
        message = {"from": user, "id": f"wamid.{mid}", "timestamp": "1", "type": "text", "text": {"body": ASK}}
        value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "100"}, "messages": [message]}
        body: dict[str, Any] = {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": value}]}],
        }
    else:
        event = {"sender": {"id": user}, "recipient": {"id": "page"}, "message": {"mid": mid, "text": ASK}}
        body = {"object": "page", "entry": [{"id": "page", "messaging": [event]}]}
    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json", "x-hub-signature-256": sign(SECRET.encode(), raw)}
    (await web.post(f"/webhooks/{channel}", content=raw, headers=headers)).raise_for_status()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.media_delivery", description=__doc__)
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--json", type=Path, default=Path("bench/results/media_delivery.json"))
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.n))
    rows = [(f"{k} p50 / p95", f"{v['p50_ms']} / {v['p95_ms']} ms") for k, v in result["channels"].items()]
    report(rows, result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
