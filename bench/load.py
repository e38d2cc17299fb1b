"""Load: N conversations × M messages through the web chat API of a real `closer serve` process, all
conversations at once, each sending its next message when the previous one is answered; with
`--model-latency S` the service talks to a scripted OpenAI-compatible model (served here) whose every call
takes S seconds. Prints a table and writes JSON: throughput, end-to-end p50/p95/p99, the service's own
overhead (model time excluded, from the service's metrics), answers lost, peak RSS.

python -m bench.load [--conversations 200] [--messages 3] [--model-latency 1.0] [--json bench/results/load.json]
(`closer bench --conversations N ...` runs it too.)
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import free_port, percentile, rss_mb, start_server, stop
from bench.report import report

MESSAGES = [
    "How much does the Office 200 cost?",
    "Do you deliver to Lviv?",
    "What is the warranty period?",
    "Сколько стоит аренда Barista Pro?",
    "Як часто робити декальцинацію?",
    "We want two machines for our office next week",
]


class PeakRss:
    """The service's resident memory, sampled every 0.2 s in a thread while the load runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, rss_mb(self.pid))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def model_seconds(metrics_text: str) -> tuple[float, int]:
    """Total model seconds and turns, from `closer_brain_model_seconds` in the Prometheus text."""
    total = sum(float(v) for v in re.findall(r"^closer_brain_model_seconds_sum\{[^}]*\} (\S+)$", metrics_text, re.M))
    count = sum(float(v) for v in re.findall(r"^closer_brain_model_seconds_count\{[^}]*\} (\S+)$", metrics_text, re.M))
    return total, int(count)


async def conversation(http: httpx.AsyncClient, n: int, messages: int, timings: list[float], lost: list[str]) -> None:
    for m in range(messages):
        body = {"session_id": f"load-{n}", "text": MESSAGES[(n + m) % len(MESSAGES)], "message_id": f"load-{n}-{m}"}
        started = time.perf_counter()
        try:
            response = await http.post("/api/v1/chat", json=body)
            replies = response.json().get("replies") if response.status_code == 200 else None
        except httpx.HTTPError as exc:
            replies = None
            lost.append(f"{body['message_id']}: {type(exc).__name__}")
        else:
            if not replies:
                lost.append(f"{body['message_id']}: {response.status_code}")
        timings.append(time.perf_counter() - started)


async def run(conversations: int, messages: int, model_latency: float | None) -> dict[str, Any]:
    from tests.fakes.openai_api import ScriptedOpenAI
    from tests.fakes.servers import serve_app

    model = ScriptedOpenAI()
    model.call_s = model_latency or 0.0
    results: dict[str, Any] = {"conversations": conversations, "messages": messages, "model_latency_s": model_latency}
    with tempfile.TemporaryDirectory(prefix="closer-load-") as tmp:
        async with serve_app(model.app) as model_url:
            extra = {"OPENAI_BASE_URL": model_url + "/v1", "OPENAI_API_KEY": "bench"} if model_latency else {}
            port = free_port()
            proc, _ = await asyncio.to_thread(start_server, Path(tmp), port, extra)
            try:
                limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=conversations)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120, limits=limits) as http:
                    await http.post("/api/v1/chat", json={"session_id": "warmup", "text": "hello"})
                    before = model_seconds((await http.get("/metrics")).text)
                    timings: list[float] = []
                    lost: list[str] = []
                    with PeakRss(proc.pid) as rss:
                        started = time.perf_counter()
                        await asyncio.gather(
                            *(conversation(http, n, messages, timings, lost) for n in range(conversations))
                        )
                        elapsed = time.perf_counter() - started
                    after = model_seconds((await http.get("/metrics")).text)
            finally:
                stop(proc)
    turns = len(timings)
    model_total, model_turns = after[0] - before[0], after[1] - before[1]
    mean_model = model_total / model_turns if model_turns else 0.0
    results.update(
        {
            "answered": turns - len(lost),
            "lost": lost[:20],
            "lost_count": len(lost),
            "elapsed_s": round(elapsed, 2),
            "turns_per_s": round(turns / elapsed, 1),
            "e2e_s": {q: round(percentile(timings, v), 3) for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
            "mean_e2e_s": round(sum(timings) / turns, 3),
            "mean_model_s": round(mean_model, 3),
            "mean_overhead_s": round(sum(timings) / turns - mean_model, 3),
            "model_calls": len(model.requests),
            "peak_rss_mb": round(rss.peak, 1),
        }
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--model-latency", type=float, default=None, help="seconds per model call (unset: offline)")
    parser.add_argument("--json", type=Path, default=Path("bench/results/load.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.conversations, args.messages, args.model_latency))
    e2e = results["e2e_s"]
    brain = f"scripted model, {args.model_latency} s a call" if args.model_latency else "offline brain"
    rows = [
        ("load", f"{args.conversations} conversations × {args.messages} messages, {brain}"),
        ("answered / lost", f"{results['answered']} / {results['lost_count']}"),
        ("throughput", f"{results['turns_per_s']} turns/s ({results['elapsed_s']} s)"),
        ("end to end p50 / p95 / p99", f"{e2e['p50']} / {e2e['p95']} / {e2e['p99']} s"),
        (
            "mean end to end / model / overhead",
            f"{results['mean_e2e_s']} / {results['mean_model_s']} / {results['mean_overhead_s']} s",
        ),
        ("model calls", str(results["model_calls"])),
        ("peak RSS", f"{results['peak_rss_mb']} MB"),
    ]
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
