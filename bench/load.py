"""Load: N conversations × M messages through the web chat API (or, with `--via webhooks`, signed Meta
webhooks: Messenger, Instagram and WhatsApp in turn, the replies caught by a Graph API server played here;
with `--via telegram`, Telegram webhook updates, the replies caught by a Bot API server played here) of
a real `closer serve` process, all conversations at once, each sending its next message when the previous one
is answered; with `--model-latency S` the service talks to a scripted OpenAI-compatible model (served here)
whose every call takes S seconds. Prints a table and writes JSON: throughput, end-to-end p50/p95/p99, the
service's own overhead (model time excluded), storage round-trips per message and duplicate replies (both
from the service's metrics), answers lost, peak RSS. `--redis` gives the service a real Redis (the shared
turn queue); `--replicas N` starts N replicas sharing Redis, the embedded MongoDB server and a Chroma server,
and sends each customer's messages to the replicas in turn, as a round-robin load balancer would.

python -m bench.load [--conversations 200] [--messages 3] [--model-latency 1.0] [--via web|webhooks|telegram]
                     [--redis] [--replicas 2] [--json bench/results/load.json]
(`closer bench --conversations N ...` runs it too.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import free_port, percentile, rss_mb, start_server, stop
from bench.report import report

MESSAGES = [  # each with a detail of its own ({k}), inside one clause as a customer would write it
    "How much does the Office 200 cost with {k} cups a day?",
    "Do you deliver to Lviv, house number {k}?",
    "What is the warranty period for a machine bought {k} days ago?",
    "Сколько стоит аренда Barista Pro на {k} месяцев?",
    "Як часто робити декальцинацію при {k} чашках на день?",
    "We want {k} machines for our office next week",
]


def message_text(n: int, m: int) -> str:
    """Conversation n's message m: one of the questions with its own detail, as every customer's words
    differ (a repeated text would be embedded once and remembered, which real traffic does not allow)."""
    return MESSAGES[(n + m) % len(MESSAGES)].format(k=2 + (n * 7 + m) % 97)


class PeakRss:
    """The service's resident memory, sampled every 0.2 s in a thread while the load runs."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.peak, self._stop = pids, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, *(rss_mb(pid) for pid in self.pids))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """A process's children (the embedded MongoDB server of a `closer serve`)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


class CpuSplit:
    """CPU seconds spent during the load by the services, their children (the database) and this benchmark."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.children = pids, [child for pid in pids for child in child_pids(pid)]

    def _now(self) -> dict[str, float]:
        return {
            "service": sum(map(cpu_s, self.pids)),
            "database": sum(map(cpu_s, self.children)),
            "benchmark": sum(os.times()[:2]),
        }

    def __enter__(self) -> CpuSplit:
        self._start = self._now()
        return self

    def __exit__(self, *_: object) -> None:
        end = self._now()
        self.spent = {name: end[name] - self._start[name] for name in end}


def metric_sum(metrics_text: str, name: str) -> float:
    """The sum of every sample of `name` (any labels) in the Prometheus text."""
    return sum(float(v) for v in re.findall(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", metrics_text, re.M))


def counters(metrics_text: str) -> dict[str, float]:
    """What the run is measured by: model seconds and turns, storage commands, replies sent."""
    return {
        "model_s": metric_sum(metrics_text, "closer_brain_model_seconds_sum"),
        "model_turns": metric_sum(metrics_text, "closer_brain_model_seconds_count"),
        "commands": metric_sum(metrics_text, "closer_storage_commands_total"),
        "replies": metric_sum(metrics_text, "closer_replies_total"),
    }


SHARDS = 16  # TURN_SHARDS' default


class ReplyWatch:
    """Replies a platform server played here received (`sent`, growing), counted per recipient as they arrive;
    `recipient` names an item's recipient, or None for what is not a reply."""

    def __init__(self, sent: list[Any], recipient: Callable[[Any], str | None]) -> None:
        self._sent, self._recipient, self._seen, self.count = sent, recipient, 0, Counter[str]()

    async def wait(self, recipient: str, count: int, wait_s: float) -> bool:
        deadline = time.perf_counter() + wait_s
        while time.perf_counter() < deadline:
            for sent in self._sent[self._seen :]:
                if (to := self._recipient(sent)) is not None:
                    self.count[to] += 1
            self._seen = len(self._sent)
            if self.count[recipient] >= count:
                return True
            await asyncio.sleep(0.02)
        return False


async def conversation(
    replicas: list[httpx.AsyncClient], n: int, messages: int, timings: list[float], lost: list[str]
) -> None:
    for m in range(messages):
        http = replicas[(n + m) % len(replicas)]  # a load balancer: one customer's messages on every replica
        body = {"session_id": f"load-{n}", "text": message_text(n, m), "message_id": f"load-{n}-{m}"}
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


async def webhook_conversation(
    replicas: list[httpx.AsyncClient], watch: ReplyWatch, n: int, messages: int, timings: list[float], lost: list[str]
) -> None:
    from bench.meta_webhooks import CHANNELS, body, post

    channel, user = CHANNELS[n % len(CHANNELS)], f"7{n:07d}"
    for m in range(messages):
        http = replicas[(n + m) % len(replicas)]
        mid = f"load.{n}.{m}"
        started = time.perf_counter()
        try:
            await post(http, channel, body(channel, [(user, mid, message_text(n, m))]))
            if not await watch.wait(user, m + 1, wait_s=120):
                lost.append(f"{mid}: no reply")
        except httpx.HTTPError as exc:
            lost.append(f"{mid}: {type(exc).__name__}")
        timings.append(time.perf_counter() - started)


async def telegram_conversation(
    replicas: list[httpx.AsyncClient],
    fake: Any,
    watch: ReplyWatch,
    n: int,
    messages: int,
    timings: list[float],
    lost: list[str],
) -> None:
    from bench.telegram_webhooks import HEADERS

    chat = 700_000 + n
    for m in range(messages):
        http = replicas[(n + m) % len(replicas)]
        update = fake.message_update(chat, message_text(n, m))
        started = time.perf_counter()
        try:
            (await http.post("/webhooks/telegram", json=update, headers=HEADERS)).raise_for_status()
            if not await watch.wait(str(chat), m + 1, wait_s=120):
                lost.append(f"telegram {update['update_id']}: no reply")
        except httpx.HTTPError as exc:
            lost.append(f"telegram {update['update_id']}: {type(exc).__name__}")
        timings.append(time.perf_counter() - started)


async def run(
    conversations: int,
    messages: int,
    model_latency: float | None,
    via: str = "web",
    replicas: int = 1,
    redis: bool = False,
) -> dict[str, Any]:
    from bench.cluster import shared_backends
    from bench.meta_webhooks import meta_env
    from bench.telegram_webhooks import telegram_env
    from tests.fakes.graph_api import FakeGraph
    from tests.fakes.openai_api import ScriptedOpenAI
    from tests.fakes.servers import serve_app
    from tests.fakes.telegram_api import FakeTelegram

    model, graph, telegram = ScriptedOpenAI(), FakeGraph(), FakeTelegram()
    model.call_s = model_latency or 0.0
    results: dict[str, Any] = {
        "conversations": conversations,
        "messages": messages,
        "model_latency_s": model_latency,
        "via": via,
        "replicas": replicas,
        "redis": redis or replicas > 1,
    }
    with tempfile.TemporaryDirectory(prefix="closer-load-") as tmp, ExitStack() as stack:
        shared = stack.enter_context(shared_backends(Path(tmp), replicas > 1)) if results["redis"] else {}
        async with (
            serve_app(model.app) as model_url,
            serve_app(graph.app) as graph_url,
            serve_app(telegram.app) as telegram_url,
        ):
            env = {"OPENAI_BASE_URL": model_url + "/v1", "OPENAI_API_KEY": "bench"} if model_latency else {}
            env |= meta_env(graph_url) | shared | (telegram_env(telegram_url) if via == "telegram" else {})
            servers = []
            try:
                for i in range(replicas):  # one after the other: the first seeds the knowledge
                    port = free_port()
                    proc, _ = await asyncio.to_thread(start_server, Path(tmp) / f"r{i}", port, env)
                    servers.append((proc, port))
                # Idle connections are dropped before uvicorn's 5 s keep-alive closes them: at the same 5 s
                # (httpx's default) a post can go out on a socket the server is closing (a ReadError).
                limits = httpx.Limits(
                    max_connections=conversations, max_keepalive_connections=conversations, keepalive_expiry=2.0
                )
                async with AsyncExitStack() as clients:
                    webs = [
                        await clients.enter_async_context(
                            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120, limits=limits)
                        )
                        for _, port in servers
                    ]
                    if results["redis"]:
                        await _shards_shared(webs)
                    for web in webs:
                        await web.post("/api/v1/chat", json={"session_id": "warmup", "text": "hello"})
                    before = await _counters(webs)
                    timings: list[float] = []
                    lost: list[str] = []
                    watch = ReplyWatch(graph.sent, lambda sent: sent["recipient"])
                    telegram_watch = ReplyWatch(telegram.calls, _telegram_recipient)
                    pids = [proc.pid for proc, _ in servers]
                    with PeakRss(pids) as rss, CpuSplit(pids) as cpu:
                        started = time.perf_counter()
                        await asyncio.gather(
                            *(
                                webhook_conversation(webs, watch, n, messages, timings, lost)
                                if via == "webhooks"
                                else telegram_conversation(webs, telegram, telegram_watch, n, messages, timings, lost)
                                if via == "telegram"
                                else conversation(webs, n, messages, timings, lost)
                                for n in range(conversations)
                            )
                        )
                        elapsed = time.perf_counter() - started
                    await asyncio.sleep(1.0)  # a reply sent twice would arrive now
                    after = await _counters(webs)
            finally:
                for proc, _ in servers:
                    stop(proc)
                errors = [line for i in range(len(servers)) for line in _errors(Path(tmp) / f"r{i}" / "serve.log")]
    turns = len(timings)
    delta = {name: after[name] - before[name] for name in after}
    mean_model = delta["model_s"] / delta["model_turns"] if delta["model_turns"] else 0.0
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
            "storage_commands_per_message": round(delta["commands"] / turns, 1),
            # Replies beyond one per answered message (a burst merge makes fewer, never more).
            "duplicates": max(0, int(delta["replies"]) - (turns - len(lost))),
            "peak_rss_mb": round(rss.peak, 1),  # the largest replica's
            "cpu_ms_per_turn": {name: round(1000 * spent / turns, 1) for name, spent in cpu.spent.items()},
            "service_errors": errors[:20],
        }
    )
    return results


async def _shards_shared(webs: list[httpx.AsyncClient], timeout_s: float = 60) -> None:
    """Wait until every shard of the turn queue is held and every replica holds some."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        owned = [metric_sum((await web.get("/metrics")).text, "closer_turn_shards_owned") for web in webs]
        if sum(owned) == SHARDS and min(owned) > 0:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the turn shards were not shared out within {timeout_s} s")


def _telegram_recipient(call: Any) -> str | None:
    return str(call.params["chat_id"]) if call.method == "sendMessage" else None


def _errors(log: Path) -> list[str]:
    """What a replica logged at ERROR or above (its log file goes with the temporary folder)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [line[:300] for line in lines if " ERROR " in line or " CRITICAL " in line or "Traceback" in line]


async def _counters(webs: list[httpx.AsyncClient]) -> dict[str, float]:
    """The counters summed over every replica."""
    total: dict[str, float] = {}
    for web in webs:
        for name, value in counters((await web.get("/metrics")).text).items():
            total[name] = total.get(name, 0.0) + value
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--model-latency", type=float, default=None, help="seconds per model call (unset: offline)")
    parser.add_argument(
        "--via", choices=("web", "webhooks", "telegram"), default="web", help="web chat API, Meta or Telegram webhooks"
    )
    parser.add_argument("--replicas", type=int, default=1, help="replicas behind a round-robin balancer")
    parser.add_argument("--redis", action="store_true", help="one replica with Redis (the shared turn queue)")
    parser.add_argument("--json", type=Path, default=Path("bench/results/load.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(
        run(args.conversations, args.messages, args.model_latency, args.via, args.replicas, args.redis)
    )
    e2e, cpu = results["e2e_s"], results["cpu_ms_per_turn"]
    brain = f"scripted model, {args.model_latency} s a call" if args.model_latency else "offline brain"
    rows = [
        ("load", f"{args.conversations} conversations × {args.messages} messages via {args.via}, {brain}"),
        ("replicas", f"{args.replicas}" + (" sharing Redis" if results["redis"] else "")),
        ("answered / lost / duplicates", f"{results['answered']} / {results['lost_count']} / {results['duplicates']}"),
        ("throughput", f"{results['turns_per_s']} turns/s ({results['elapsed_s']} s)"),
        ("end to end p50 / p95 / p99", f"{e2e['p50']} / {e2e['p95']} / {e2e['p99']} s"),
        (
            "mean end to end / model / overhead",
            f"{results['mean_e2e_s']} / {results['mean_model_s']} / {results['mean_overhead_s']} s",
        ),
        ("model calls", str(results["model_calls"])),
        ("storage round-trips per message", str(results["storage_commands_per_message"])),
        ("peak RSS", f"{results['peak_rss_mb']} MB"),
        ("CPU per turn: service / its database / benchmark", " / ".join(f"{ms} ms" for ms in cpu.values())),
    ]
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
