"""Hot-lead alert latency: from a buyer's Telegram message reaching the Bot API server to the managers'
alert leaving through it. Real services on embedded defaults; the Telegram cloud is the local test server.

python -m bench.alert_latency [--n 30] [--json bench/results/alert_latency.json]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from app.admin_runtime import build_admin_bot

from app.bots import build_customer_bot
from app.container import open_services
from app.settings import Settings
from bench.report import report
from tests.fakes.servers import serve_app
from tests.fakes.telegram_api import FakeTelegram

MANAGER = 9001
MESSAGES = [
    "Хотим арендовать две Barista Pro с понедельника, выставьте счёт",
    "We need 5 Office 200 machines next week, please send an invoice",
    "Потрібно 4 машини в офіси до кінця місяця, виставте рахунок",
]


async def measure(n: int) -> dict:
    fake = FakeTelegram()
    with tempfile.TemporaryDirectory(prefix="closer-alerts-") as tmp:
        async with serve_app(fake.app) as base:
            settings = Settings.from_flat(
                _env_file=None,
                data_dir=Path(tmp),
                telegram_bot_token="1:customer-token-bench",
                admin_bot_token="2:admin-token-bench",
                telegram_api_base=base,
                manager_ids=[MANAGER],
            )
            async with open_services(settings) as services:
                customer = build_customer_bot(settings, services)
                admin = build_admin_bot(settings, services, customer)
                assert customer is not None and admin is not None
                await customer.start()
                await admin.telegram.start()
                latencies = []
                try:
                    for i in range(n):
                        before = len(fake.sent(MANAGER))
                        update = fake.message_update(50_000 + i, MESSAGES[i % len(MESSAGES)])
                        started = time.perf_counter()
                        await fake.inject(update, token=settings.telegram.bot_token.get_secret_value())
                        await fake.wait_until(lambda before=before: len(fake.sent(MANAGER)) > before)
                        latencies.append((time.perf_counter() - started) * 1000)
                finally:
                    await admin.telegram.stop()
                    await customer.stop()
    return {
        "n": n,
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "max_ms": round(max(latencies), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alert_latency", description=__doc__)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--json", type=Path, default=Path("bench/results/alert_latency.json"))
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.n))
    rows = [
        ("alert latency p50 (message -> alert)", f"{result['p50_ms']} ms"),
        ("alert latency p95", f"{result['p95_ms']} ms"),
    ]
    report(rows, result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
