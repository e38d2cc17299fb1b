"""Meta webhooks under load: signed batched events (Messenger, Instagram, WhatsApp mixed) posted to a real
`closer serve` process (offline brain, embedded defaults) over HTTP: acknowledgement throughput and p50/p99
latency (persist, then 200), the time until every reply reached the local Graph API server (this process
plays Meta on both sides), and reply latency per channel for single messages.

python -m bench.meta_webhooks [--posts 120] [--batch 5] [--concurrency 8] [--json bench/results/meta_webhooks.json]
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

from bench.__main__ import free_port, rss_mb, start_server, stop
from bench.report import pct, report
from channels.meta.signature import sign
from tests.fakes.graph_api import FakeGraph
from tests.fakes.servers import serve_app

SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "1000000001"
QUESTIONS = [
    "Сколько стоит аренда Office 200?",
    "Do you deliver to Lviv?",
    "Яка гарантія на Barista Pro?",
    "How often should I descale?",
]
CHANNELS = ("messenger", "instagram", "whatsapp")


def body(channel: str, events: list[tuple[str, str, str]]) -> dict[str, Any]:
    """One webhook carrying `events` (user id, message id, text), one entry each (Meta batches both ways)."""
    if channel == "whatsapp":
        entries = [
            {
                "id": "waba",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"phone_number_id": PHONE_NUMBER_ID},
                            "contacts": [{"profile": {"name": "Bench"}, "wa_id": user}],
                            "messages": [
                                {"from": user, "id": mid, "timestamp": "1", "type": "text", "text": {"body": text}}
                            ],
                        },
                    }
                ],
            }
            for user, mid, text in events
        ]
        return {"object": "whatsapp_business_account", "entry": entries}
    entries = [
        {
            "id": "page",
            "time": 1,
            "messaging": [{"sender": {"id": user}, "recipient": {"id": "page"}, "message": {"mid": mid, "text": text}}],
        }
        for user, mid, text in events
    ]
    return {"object": "page" if channel == "messenger" else "instagram", "entry": entries}


def meta_env(graph_base: str) -> dict[str, str]:
    """The service's settings for the three Meta channels, pointed at a Graph API server played here."""
    return {
        "META_APP_SECRET": SECRET,
        "META_VERIFY_TOKEN": "bench",
        "MESSENGER_PAGE_TOKEN": "page",
        "INSTAGRAM_TOKEN": "ig",
        "WHATSAPP_TOKEN": "wa",
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "META_GRAPH_BASE": graph_base,
    }


async def post(web: httpx.AsyncClient, channel: str, payload: dict[str, Any]) -> float:
    raw = json.dumps(payload).encode()
    headers = {"content-type": "application/json", "x-hub-signature-256": sign(SECRET.encode(), raw)}
    started = time.perf_counter()
    response = await web.post(f"/webhooks/{channel}", content=raw, headers=headers)
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


async def measure(posts: int, batch: int, concurrency: int) -> dict[str, Any]:
    """A real `closer serve` process (its own cores and event loop); this process plays Meta on both sides."""
    graph = FakeGraph()
    with tempfile.TemporaryDirectory(prefix="closer-meta-bench-") as tmp:
        async with serve_app(graph.app) as graph_base:
            port = free_port()
            proc, _ = await asyncio.to_thread(start_server, Path(tmp), port, meta_env(graph_base))
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as web:
                    per_channel = await reply_latency(web, graph)
                    load = await burst(web, graph, posts, batch, concurrency)
                rss = rss_mb(proc.pid)
            finally:
                stop(proc)
    return {
        "posts": posts,
        "batch": batch,
        "concurrency": concurrency,
        **load,
        "reply_latency": per_channel,
        "rss_mb_after": round(rss, 1),
    }


async def reply_latency(web: httpx.AsyncClient, graph: FakeGraph, rounds: int = 8) -> dict[str, dict[str, float]]:
    """One message at a time per channel: post → the reply reaching the Graph server."""
    result = {}
    for channel in CHANNELS:
        times = []
        for i in range(rounds):
            user = f"9{CHANNELS.index(channel)}0000{i:04d}"
            started = time.perf_counter()
            await post(web, channel, body(channel, [(user, f"lat.{channel}.{i}", QUESTIONS[i % len(QUESTIONS)])]))
            await graph.wait_for(user, wait_s=60)
            times.append((time.perf_counter() - started) * 1000)
        result[channel] = {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95)}
    return result


async def burst(web: httpx.AsyncClient, graph: FakeGraph, posts: int, batch: int, concurrency: int) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    users: list[str] = []

    async def one(n: int) -> float:
        channel = CHANNELS[n % len(CHANNELS)]
        events = []
        for k in range(batch):
            user = f"8{n:05d}{k:02d}"
            users.append(user)
            events.append((user, f"burst.{n}.{k}", QUESTIONS[(n + k) % len(QUESTIONS)]))
        async with gate:
            return await post(web, channel, body(channel, events))

    sent_before = len(graph.sent)
    started = time.perf_counter()
    acks = await asyncio.gather(*(one(n) for n in range(posts)))
    acked_s = time.perf_counter() - started
    while len(graph.sent) - sent_before < len(users):
        await asyncio.sleep(0.05)
        if time.perf_counter() - started > 600:
            break
    answered_s = time.perf_counter() - started
    replies = {s["recipient"] for s in graph.sent[sent_before:]}
    return {
        "events": len(users),
        "acks_per_s": round(posts / acked_s, 1),
        "events_acked_per_s": round(len(users) / acked_s, 1),
        "ack_p50_ms": pct(acks, 50),
        "ack_p99_ms": pct(acks, 99),
        "all_answered_s": round(answered_s, 1),
        "customers_answered": len(replies & set(users)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.meta_webhooks", description=__doc__)
    parser.add_argument("--posts", type=int, default=120)
    parser.add_argument("--batch", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", type=Path, default=Path("bench/results/meta_webhooks.json"))
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.posts, args.batch, args.concurrency))
    rows = [
        ("signed webhooks acknowledged / s", f"{result['acks_per_s']} ({result['events_acked_per_s']} events/s)"),
        ("ack p50 / p99", f"{result['ack_p50_ms']} / {result['ack_p99_ms']} ms"),
        (
            "all events answered after",
            f"{result['all_answered_s']} s ({result['customers_answered']}/{result['events']})",
        ),
    ]
    for channel, figures in result["reply_latency"].items():
        rows.append((f"reply latency {channel} p50 / p95", f"{figures['p50_ms']} / {figures['p95_ms']} ms"))
    report(rows, result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
