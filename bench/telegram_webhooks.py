"""Telegram webhooks under load: signed updates (secret token header), a share of them delivered twice as
Telegram does when it did not see a 200 in time, posted to a real `closer serve` process in webhook mode
(offline brain, embedded defaults). Measures acknowledgement throughput and p50/p99 (persist, then 200),
the time until every customer got an answer at the local Bot API server this process plays, and duplicates.

python -m bench.telegram_webhooks [--updates 400] [--redelivered 0.25] [--concurrency 8]
    [--json bench/results/telegram_webhooks.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import free_port, rss_mb, start_server, stop
from bench.report import pct, report
from tests.fakes.servers import serve_app
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "4242:bench-customer-bot"
SECRET = "bench-webhook-secret"
QUESTIONS = [
    "Сколько стоит аренда Office 200?",
    "Do you deliver to Lviv?",
    "Яка гарантія на Barista Pro?",
    "How often should I descale?",
]
LANGUAGES = ("ru", "en", "uk", "en")


def deliveries(fake: FakeTelegram, updates: int, redelivered: float, seed: int = 7) -> list[dict[str, Any]]:
    """`updates` posts: one message each from distinct customers, a `redelivered` share of them sent again."""
    unique = round(updates / (1 + redelivered))
    first = [
        fake.message_update(500_000 + n, QUESTIONS[n % len(QUESTIONS)], language=LANGUAGES[n % len(LANGUAGES)])
        for n in range(unique)
    ]
    rng = random.Random(seed)
    again = [first[rng.randrange(unique)] for _ in range(updates - unique)]
    # A redelivery comes after the first delivery timed out: later in the stream, never before it.
    order: list[dict[str, Any]] = list(first)
    for update in again:
        after = order.index(update)
        order.insert(rng.randrange(after + 1, len(order) + 1), update)
    return order


def telegram_env(api_base: str) -> dict[str, str]:
    """The service's settings for the customer bot in webhook mode, pointed at a Bot API server played here."""
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": api_base,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PUBLIC_BASE_URL": "https://closer.example",
    }


async def measure(updates: int, redelivered: float, concurrency: int) -> dict[str, Any]:
    fake = FakeTelegram()
    with tempfile.TemporaryDirectory(prefix="closer-tg-bench-") as tmp:
        async with serve_app(fake.app) as api_base:
            port = free_port()
            proc, _ = await asyncio.to_thread(start_server, Path(tmp), port, telegram_env(api_base))
            try:
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}",
                    timeout=60,
                    limits=httpx.Limits(keepalive_expiry=2.0),  # before uvicorn's 5 s keep-alive closes them
                ) as web:
                    lone = await reply_latency(web, fake)
                    load = await burst(web, fake, deliveries(fake, updates, redelivered), concurrency)
                rss = rss_mb(proc.pid)
            finally:
                stop(proc)
    return {
        "updates": updates,
        "redelivered": redelivered,
        "concurrency": concurrency,
        **load,
        "lone_reply_ms": lone,
        "rss_mb_after": round(rss, 1),
    }


HEADERS = {"content-type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}


async def reply_latency(web: httpx.AsyncClient, fake: FakeTelegram, rounds: int = 12) -> dict[str, float]:
    """One customer at a time: the update posted → the answer reaching the Bot API server (no added wait)."""
    times = []
    for n in range(rounds):
        chat = 400_000 + n
        started = time.perf_counter()
        update = fake.message_update(chat, QUESTIONS[n % len(QUESTIONS)], language=LANGUAGES[n % len(LANGUAGES)])
        (await web.post("/webhooks/telegram", json=update, headers=HEADERS)).raise_for_status()
        await fake.wait_for("sendMessage", chat_id=chat, wait_s=60)
        times.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.2)  # apart: each one alone
    return {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95)}


async def burst(
    web: httpx.AsyncClient, fake: FakeTelegram, order: list[dict[str, Any]], concurrency: int
) -> dict[str, Any]:
    gate = asyncio.Semaphore(concurrency)
    customers = {update["message"]["chat"]["id"] for update in order}

    async def one(update: dict[str, Any]) -> float:
        raw = json.dumps(update).encode()
        async with gate:
            started = time.perf_counter()
            response = await web.post("/webhooks/telegram", content=raw, headers=HEADERS)
            response.raise_for_status()
            return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    acks = await asyncio.gather(*(one(update) for update in order))
    acked_s = time.perf_counter() - started
    with contextlib.suppress(TimeoutError):  # what stays unanswered is counted below
        await fake.wait_until(lambda: customers <= _answers(fake).keys(), wait_s=600)
    answered_s = time.perf_counter() - started
    await asyncio.sleep(1.0)  # a late duplicate would come now
    answered = _answers(fake)
    return {
        "posts": len(order),
        "customers": len(customers),
        "acks_per_s": round(len(order) / acked_s, 1),
        "ack_p50_ms": pct(acks, 50),
        "ack_p99_ms": pct(acks, 99),
        "all_answered_s": round(answered_s, 1),
        "customers_answered": len(customers & answered.keys()),
        "customers_answered_twice": sum(1 for chat in customers if answered[chat] > 1),
    }


def _answers(fake: FakeTelegram) -> Counter[int]:
    """Answers per chat (form fields arrive as strings)."""
    return Counter(int(call.params["chat_id"]) for call in fake.sent() if call.token == TOKEN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.telegram_webhooks", description=__doc__)
    parser.add_argument("--updates", type=int, default=400)
    parser.add_argument("--redelivered", type=float, default=0.25)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", type=Path, default=Path("bench/results/telegram_webhooks.json"))
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.updates, args.redelivered, args.concurrency))
    rows = [
        ("signed updates acknowledged / s", f"{result['acks_per_s']} ({result['posts']} posts)"),
        ("ack p50 / p99", f"{result['ack_p50_ms']} / {result['ack_p99_ms']} ms"),
        (
            "every customer answered after",
            f"{result['all_answered_s']} s ({result['customers_answered']}/{result['customers']})",
        ),
        ("customers answered more than once", str(result["customers_answered_twice"])),
        ("lone update → answer p50 / p95", "{p50_ms} / {p95_ms} ms".format(**result["lone_reply_ms"])),
        ("RSS after", f"{result['rss_mb_after']} MB"),
    ]
    report(rows, result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
