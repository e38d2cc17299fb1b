"""Storage round-trips per customer turn: MongoDB commands counted with a PyMongo command listener.

Runs the service in-process on embedded defaults (offline brain), sends web chat turns through the
HTTP app, and counts every command the driver sends while each turn is handled. Run with
`python -m bench.roundtrips`; prints a table and writes `bench/results/roundtrips.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from pymongo import monitoring

from bench.report import report

# A realistic mix: first questions, follow-ups, a buying message that turns the lead hot.
SCRIPT = [
    "Hello!",
    "How much does the Office 200 cost?",
    "Do you deliver to Lviv?",
    "We want to order two Office 200 this week, please send an invoice",
    "Сколько стоит аренда Barista Pro?",
    "Як часто робити декальцинацію?",
]
IGNORED = {"hello", "ismaster", "isMaster", "ping", "endSessions", "saslStart", "saslContinue", "buildInfo"}


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.active = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.active and event.command_name not in IGNORED:
            self.counts[f"{event.command_name} {event.command.get(event.command_name, '')}"] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


async def measure(conversations: int) -> dict:
    from app.container import open_services
    from app.http import create_app
    from app.settings import Settings

    counter = CommandCounter()
    monitoring.register(counter)  # global: applies to the client open_services creates next
    per_turn: list[int] = []
    by_step: dict[int, list[int]] = {i: [] for i in range(len(SCRIPT))}
    latencies: list[float] = []
    totals: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="closer-roundtrips-") as tmp:
        settings = Settings.from_flat(_env_file=None, data_dir=Path(tmp), web_chat_rate_per_minute=100_000)
        async with open_services(settings) as services:
            app = create_app(services)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await client.post("/api/v1/chat", json={"session_id": "warmup", "text": "hello"})
                for c in range(conversations):
                    for step, text in enumerate(SCRIPT):
                        counter.counts.clear()
                        counter.active = True
                        started = time.perf_counter()
                        response = await client.post("/api/v1/chat", json={"session_id": f"rt-{c}", "text": text})
                        latencies.append((time.perf_counter() - started) * 1000)
                        counter.active = False
                        response.raise_for_status()
                        count = sum(counter.counts.values())
                        per_turn.append(count)
                        by_step[step].append(count)
                        totals.update(counter.counts)
    turns = len(per_turn)
    return {
        "turns": turns,
        "mongo_commands_per_turn": {
            "mean": round(statistics.fmean(per_turn), 2),
            "min": min(per_turn),
            "max": max(per_turn),
        },
        "by_script_step": {SCRIPT[i]: round(statistics.fmean(v), 2) for i, v in by_step.items()},
        "by_command": {name: round(n / turns, 2) for name, n in totals.most_common()},
        "in_process_turn_ms": {
            "p50": round(statistics.median(latencies), 1),
            "mean": round(statistics.fmean(latencies), 1),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrips", description=__doc__)
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--json", type=Path, default=Path("bench/results/roundtrips.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.conversations))
    rows = [("MongoDB commands per customer turn (mean)", str(results["mongo_commands_per_turn"]["mean"]))]
    rows += [(f"  step: {text[:48]}", str(n)) for text, n in results["by_script_step"].items()]
    rows += [(f"  {name}", str(n)) for name, n in results["by_command"].items()]
    rows.append(("in-process turn p50", f"{results['in_process_turn_ms']['p50']} ms"))
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
