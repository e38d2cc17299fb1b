"""Manager card latency: from a buyer's qualifying Telegram message reaching the Bot API server to the
managers' card leaving through it, and from the buyer's next message (their phone number) to the card's
edit showing it. Real services on embedded defaults; the Telegram cloud is the local test server.

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

from app.bots import build_admin_bot, build_customer_bot
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
PHONE = "Мій телефон +38067123{:04d}"


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
                cards, edits = [], []
                token = settings.telegram.bot_token.get_secret_value()
                try:
                    for i in range(n):
                        before = len(fake.sent(MANAGER))
                        buyer = 50_000 + i
                        started = time.perf_counter()
                        await fake.inject(fake.message_update(buyer, MESSAGES[i % len(MESSAGES)]), token=token)
                        await fake.wait_until(lambda before=before: len(fake.sent(MANAGER)) > before)
                        cards.append((time.perf_counter() - started) * 1000)
                        card = fake.sent(MANAGER)[-1].result["message_id"]
                        phone = PHONE.format(i)
                        started = time.perf_counter()
                        await fake.inject(fake.message_update(buyer, phone), token=token)
                        await fake.wait_until(
                            lambda card=card, phone=phone: phone[-13:] in fake.card_text(MANAGER, card), wait_s=30
                        )
                        edits.append((time.perf_counter() - started) * 1000)
                finally:
                    await admin.telegram.stop()
                    await customer.stop()
                sent_to_manager = len(fake.sent(MANAGER))
    return {
        "n": n,
        "card_p50_ms": round(float(np.percentile(cards, 50)), 1),
        "card_p95_ms": round(float(np.percentile(cards, 95)), 1),
        "edit_p50_ms": round(float(np.percentile(edits, 50)), 1),
        "edit_p95_ms": round(float(np.percentile(edits, 95)), 1),
        "messages_to_manager": sent_to_manager,  # n when every buyer got exactly one card and no extra ping
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alert_latency", description=__doc__)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--json", type=Path, default=Path("bench/results/alert_latency.json"))
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.n))
    rows = [
        ("card p50 / p95 (qualifying message -> card)", f"{result['card_p50_ms']} / {result['card_p95_ms']} ms"),
        ("edit p50 / p95 (next message -> card edited)", f"{result['edit_p50_ms']} / {result['edit_p95_ms']} ms"),
        ("messages to the manager for n buyers", f"{result['messages_to_manager']} for {result['n']}"),
    ]
    report(rows, result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
