"""Backends several `closer serve` replicas share in a benchmark: a real redis-server, the embedded MongoDB
server in its own process and a Chroma server, each on a loopback port, stopped on the way out."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.__main__ import free_port, stop


@contextmanager
def shared_backends(workdir: Path, chroma: bool) -> Iterator[dict[str, str]]:
    """The settings that point replicas at the shared Redis, MongoDB (and Chroma, for more than one)."""
    from storage.embedded_mongo import EmbeddedMongoProcess
    from tests.redis_server import start_redis

    with ExitStack() as stack:
        redis_port = free_port()
        redis = start_redis(_dir(workdir / "redis"), redis_port)
        stack.callback(stop, redis)
        mongo = EmbeddedMongoProcess(_dir(workdir / "mongo"))
        env = {"REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "MONGODB_URI": mongo.start(), "MONGODB_DB": "bench"}
        stack.callback(mongo.stop)
        if chroma:
            port = free_port()
            server = _start_chroma(_dir(workdir / "chroma"), port)
            stack.callback(stop, server)
            env |= {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)}
        yield env


def _start_chroma(path: Path, port: int) -> subprocess.Popen:
    binary = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    proc = subprocess.Popen(
        [binary, "run", "--path", str(path), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the Chroma server did not start within 60 s")


def _dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
