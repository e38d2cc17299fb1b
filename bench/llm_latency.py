"""Reply latency in LLM mode with a scripted OpenAI-compatible model that takes 1 s a call.

Measures, over real HTTP on embedded defaults: a knowledge question answered as JSON (the offline route
is sure: one model call before the reply), a follow-up the offline router cannot place (the fast model
routes first: two calls), and the same questions streamed as Server-Sent Events (time to the first draft
and to the final reply). `--always-route` forces the router call on every turn, as the code did before.
Run with `python -m bench.llm_latency`; prints a table and writes `bench/results/llm_latency.json`.
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

SURE = [
    "How much does the Office 200 cost?",
    "What is the warranty period?",
    "Сколько стоит аренда Barista Pro?",
    "Скільки триває доставка по Україні?",
    "How often should I descale the machine?",
]
UNSURE = ["What about the second one?", "And for the office?"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def sse_times(http: httpx.AsyncClient, session: str, text: str) -> tuple[float | None, float]:
    started, first = time.perf_counter(), None
    body = {"session_id": session, "text": text}
    async with http.stream("POST", "/api/v1/chat", json=body, headers={"Accept": "text/event-stream"}) as response:
        async for line in response.aiter_lines():
            if line == "event: draft" and first is None:
                first = time.perf_counter() - started
    return first, time.perf_counter() - started


async def run_questions(http: httpx.AsyncClient, rounds: int) -> tuple[list[float], ...]:
    sure, unsure, first_draft, streamed = [], [], [], []
    for r in range(rounds):
        for i, text in enumerate(SURE):
            t0 = time.perf_counter()
            (await http.post("/api/v1/chat", json={"session_id": f"s{r}-{i}", "text": text})).raise_for_status()
            sure.append(time.perf_counter() - t0)
            first, total = await sse_times(http, f"e{r}-{i}", text)
            streamed.append(total)
            if first is not None:
                first_draft.append(first)
        for i, text in enumerate(UNSURE):
            t0 = time.perf_counter()
            (await http.post("/api/v1/chat", json={"session_id": f"u{r}-{i}", "text": text})).raise_for_status()
            unsure.append(time.perf_counter() - t0)
    return sure, unsure, first_draft, streamed


async def measure(call_s: float, rounds: int, always_route: bool) -> dict:
    import brain.service
    from app.container import open_services
    from app.http import create_app
    from app.settings import Settings
    from tests.fakes.openai_api import ScriptedOpenAI
    from tests.fakes.servers import serve_app

    if always_route:
        brain.service.OFFLINE_ROUTE_SURE = 1.01  # the old behaviour: the fast model routes every turn
    model = ScriptedOpenAI()
    model.call_s = call_s
    results: dict = {"call_s": call_s, "always_route": always_route}
    with tempfile.TemporaryDirectory(prefix="closer-llm-") as tmp:
        async with serve_app(model.app) as llm_url:
            settings = Settings.from_flat(
                _env_file=None, data_dir=Path(tmp), openai_base_url=llm_url + "/v1", web_chat_rate_per_minute=10**6
            )
            async with (
                open_services(settings) as services,
                serve_app(create_app(services)) as url,
                httpx.AsyncClient(base_url=url, timeout=60) as http,
            ):
                services.brain.cache = None  # every question reaches the model: the model's latency is measured
                timings = await run_questions(http, rounds)
    sure, unsure, first_draft, streamed = timings
    for name, values in (
        ("sure_route_json", sure),
        ("unsure_route_json", unsure),
        ("sse_first_draft", first_draft),
        ("sse_final", streamed),
    ):
        if values:
            results[name] = {
                "n": len(values),
                "p50_s": round(statistics.median(values), 3),
                "p95_s": round(percentile(values, 0.95), 3),
            }
    results["model_calls"] = len(model.requests)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.llm_latency", description=__doc__)
    parser.add_argument("--call-s", type=float, default=1.0, help="how long each scripted model call takes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--always-route", action="store_true", help="route with the model on every turn (old)")
    parser.add_argument("--json", type=Path, default=Path("bench/results/llm_latency.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.call_s, args.rounds, args.always_route))
    rows = [
        (f"{name} p50 / p95", f"{results[name]['p50_s']} / {results[name]['p95_s']} s")
        for name in ("sure_route_json", "unsure_route_json", "sse_first_draft", "sse_final")
        if name in results
    ]
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
