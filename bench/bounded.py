"""A short question's latency while huge requests run, against the same question on an idle service.

Offline brain on embedded defaults, over real HTTP. The load: 20,000-character lead classifications and
7,900-character chat messages: each sample starts one of each, then times `/healthz` and a short
question while they run. Run with
`python -m bench.bounded`; prints a table and writes `bench/results/bounded.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import report

SHORT = ["What is the warranty?", "Сколько стоит Office 200?", "Скільки триває доставка?"]
HUGE_CLASSIFY = "1 " * 10_000  # the input that once held the event loop for 22 s
HUGE_CHAT = ("Добрий день! Розповім про нашу мережу кав'ярень у Львові та Києві, про клієнтів і плани. " * 90)[:7_900]


async def short_turns(http: httpx.AsyncClient, n: int, tag: str) -> list[float]:
    times = []
    for i in range(n):
        body = {"session_id": f"{tag}-{i % 5}", "text": SHORT[i % len(SHORT)]}
        started = time.perf_counter()
        (await http.post("/api/v1/chat", json=body)).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def beside_huge(http: httpx.AsyncClient, i: int, counts: dict[str, list[float]]) -> tuple[float, float]:
    """Start a 20,000-character classification and a 7,900-character chat, then time /healthz and a
    short question while both are being worked on."""

    async def timed(name: str, request) -> None:
        started = time.perf_counter()
        (await request).raise_for_status()
        counts[name].append((time.perf_counter() - started) * 1000)

    heavy = [
        asyncio.create_task(timed("classify_ms", http.post("/api/v1/leads/classify", json={"text": HUGE_CLASSIFY}))),
        asyncio.create_task(
            timed("huge_chat_ms", http.post("/api/v1/chat", json={"session_id": f"huge-{i}", "text": HUGE_CHAT}))
        ),
    ]
    await asyncio.sleep(0.03)  # both requests are in
    started = time.perf_counter()
    await http.get("/healthz")
    health = (time.perf_counter() - started) * 1000
    [short] = await short_turns(http, 1, f"busy{i}")
    await asyncio.gather(*heavy)
    return health, short


async def measure(n: int) -> dict:
    from app.container import open_services
    from app.http import create_app
    from app.settings import Settings
    from tests.fakes.servers import serve_app

    with tempfile.TemporaryDirectory(prefix="closer-bounded-") as tmp:
        settings = Settings.from_flat(_env_file=None, data_dir=Path(tmp), web_chat_rate_per_minute=10**6)
        async with (
            open_services(settings) as services,
            serve_app(create_app(services)) as url,
            httpx.AsyncClient(base_url=url, timeout=120) as http,
        ):
            services.brain.cache = None  # the same question must cost the same each time
            await short_turns(http, 5, "warm")
            idle = await short_turns(http, n, "idle")
            counts: dict[str, list[float]] = {"classify_ms": [], "huge_chat_ms": []}
            health, busy = [], []
            for i in range(n):
                health_ms, short_ms = await beside_huge(http, i, counts)
                health.append(health_ms)
                busy.append(short_ms)
    return {
        "short_turn_idle_ms": {"p50": round(statistics.median(idle), 1), "max": round(max(idle), 1)},
        "short_turn_beside_huge_ms": {"p50": round(statistics.median(busy), 1), "max": round(max(busy), 1)},
        "healthz_beside_huge_ms": {"p50": round(statistics.median(health), 1), "max": round(max(health), 1)},
        "huge_classify_ms_p50": round(statistics.median(counts["classify_ms"]), 1),
        "huge_chat_ms_p50": round(statistics.median(counts["huge_chat_ms"]), 1),
        "n": n,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bounded", description=__doc__)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--json", type=Path, default=Path("bench/results/bounded.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.n))
    rows = [
        ("short question, idle: p50 / max", "{p50} / {max} ms".format(**results["short_turn_idle_ms"])),
        (
            "short question beside huge ones: p50 / max",
            "{p50} / {max} ms".format(**results["short_turn_beside_huge_ms"]),
        ),
        ("/healthz beside huge ones: p50 / max", "{p50} / {max} ms".format(**results["healthz_beside_huge_ms"])),
        ("20,000-character classify p50", f"{results['huge_classify_ms_p50']} ms"),
        ("7,900-character chat turn p50", f"{results['huge_chat_ms_p50']} ms"),
    ]
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
