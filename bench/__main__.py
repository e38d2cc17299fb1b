"""Start-up time, idle memory and web chat latency of a real `closer serve` process (offline brain)."""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import report

QUESTIONS = [
    "How much does the Office 200 cost?",
    "Сколько стоит аренда Barista Pro?",
    "Скільки триває доставка по Україні?",
    "What is the warranty period?",
    "Как стать дилером?",
    "Як часто робити декальцинацію?",
    "Do you deliver to the EU?",
    "Who won the football match yesterday?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(data_dir: Path, port: int, extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    proc, log_path = launch_server(data_dir, port, extra)
    wait_healthy(proc, port, log_path)
    return proc, time.perf_counter() - started


def launch_server(data_dir: Path, port: int, extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
    """A `closer serve` process on `port`, not yet waited for; its log goes to `data_dir/serve.log`."""
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "WEB_CHAT_RATE_PER_MINUTE": "100000",
        "FLOOD_LIMIT": "100000",  # a benchmark session writes far more than a person would
    }
    for key in ("MONGODB_URI", "REDIS_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "TELEGRAM_BOT_TOKEN"):
        env.pop(key, None)  # the machine's own services are not the benchmark's; `extra` may set them
    env.update(extra or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "serve.log"  # a file, not a pipe: a pipe nobody reads fills up and stalls the server
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=log_file
        )
    return proc, log_path


def wait_healthy(proc: subprocess.Popen, port: int, log_path: Path, timeout_s: float = 180) -> None:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"closer serve exited: {log_path.read_text(errors='replace')[-500:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"closer serve did not answer /healthz within {timeout_s:.0f} s")


def start_together(workdir: Path, replicas: int = 2) -> float:
    """Seconds until `replicas` fresh `closer serve` processes, started at the same moment on one MongoDB and
    one Redis, all answer /healthz (they race for the example knowledge's seed and share the CPU)."""
    from bench.cluster import shared_backends

    with shared_backends(workdir / "backends", chroma=False) as env:
        started = time.perf_counter()
        ports = [free_port() for _ in range(replicas)]
        servers = [launch_server(workdir / f"replica{i}", port, env) for i, port in enumerate(ports)]
        try:
            for (proc, log_path), port in zip(servers, ports, strict=True):
                wait_healthy(proc, port, log_path, timeout_s=300)
            return time.perf_counter() - started
        finally:
            for proc, _ in servers:
                stop(proc)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(turns: int) -> dict:
    results: dict = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}
    }
    with tempfile.TemporaryDirectory(prefix="closer-bench-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        proc, cold = start_server(data_dir, port)
        stop(proc)
        port = free_port()
        proc, warm = start_server(data_dir, port)
        try:
            time.sleep(2)
            idle = rss_mb(proc.pid)
            latencies = []
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                client.post("/api/v1/chat", json={"session_id": "warmup", "text": "hello"})
                for i in range(turns):
                    body = {"session_id": f"bench-{i % 20}", "text": QUESTIONS[i % len(QUESTIONS)]}
                    t0 = time.perf_counter()
                    response = client.post("/api/v1/chat", json=body)
                    latencies.append((time.perf_counter() - t0) * 1000)
                    response.raise_for_status()
            busy = rss_mb(proc.pid)
        finally:
            stop(proc)
        together = start_together(data_dir / "together")
    results["start"] = {
        "cold_s": round(cold, 2),
        "warm_s": round(warm, 2),
        "two_replicas_together_s": round(together, 2),
    }
    results["memory"] = {"idle_rss_mb": round(idle, 1), "after_turns_rss_mb": round(busy, 1)}
    results["web_chat_turn_ms"] = {
        "n": turns,
        "p50": round(percentile(latencies, 0.5), 1),
        "p95": round(percentile(latencies, 0.95), 1),
        "max": round(max(latencies), 1),
        "mean": round(statistics.fmean(latencies), 1),
    }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--turns", type=int, default=200, help="web chat turns to time")
    parser.add_argument("--json", type=Path, default=Path("bench/results/foundation.json"))
    args = parser.parse_args(argv)
    results = run(args.turns)
    rows = [
        ("cold start to /healthz (fresh DATA_DIR, seeds example KB)", f"{results['start']['cold_s']} s"),
        ("warm start to /healthz", f"{results['start']['warm_s']} s"),
        ("two fresh replicas started together, one database", f"{results['start']['two_replicas_together_s']} s"),
        ("idle RSS", f"{results['memory']['idle_rss_mb']} MB"),
        (f"RSS after {args.turns} turns", f"{results['memory']['after_turns_rss_mb']} MB"),
        ("web chat turn p50 (offline brain)", f"{results['web_chat_turn_ms']['p50']} ms"),
        ("web chat turn p95 (offline brain)", f"{results['web_chat_turn_ms']['p95']} ms"),
    ]
    report(rows, results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
