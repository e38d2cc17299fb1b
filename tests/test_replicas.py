"""Several processes on one database: the example knowledge is seeded by exactly one of them, and two
`closer serve` replicas started together both come up (the second used to die on the seed marker)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from storage.meta import MetaRepository
from storage.repositories import utcnow

ROOT = Path(__file__).resolve().parent.parent


async def test_one_process_claims_the_seed_and_a_dead_claim_is_retaken(services):
    meta = MetaRepository(services.clients.mongo["claims_test"])
    claims = await asyncio.gather(*(meta.claim_seed("kb") for _ in range(5)))
    assert sorted(claims) == [False, False, False, False, True]
    await meta.mark_seeded("kb")
    assert not await meta.claim_seed("kb")  # seeded: nobody seeds again
    db = services.clients.mongo["claims_test"]
    await db.meta.update_one({"_id": "seeded"}, {"$set": {"status": "seeding", "at": utcnow() - timedelta(hours=1)}})
    assert await meta.claim_seed("kb")  # the seeding process died: another one finishes it
    await services.clients.mongo.drop_database("claims_test")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_replicas_start_together_on_one_database(tmp_path, mongo_uri):
    ports = [_free_port(), _free_port()]
    procs = []
    for i, port in enumerate(ports):
        env = {
            **os.environ,
            "MONGODB_URI": mongo_uri,
            "MONGODB_DB": "replicas_test",
            "DATA_DIR": str(tmp_path / f"replica{i}"),
            "HTTP_PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    try:
        up: set[int] = set()
        deadline = time.monotonic() + 180
        while len(up) < 2 and time.monotonic() < deadline:
            for proc, port in zip(procs, ports, strict=True):
                assert proc.poll() is None, proc.stderr.read().decode()[-800:] if proc.stderr else "exited"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        up.add(port)
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        assert up == set(ports)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
