"""Several processes on one database: the example knowledge is seeded by exactly one of them, two
`closer serve` replicas started together both come up (the second used to die on the seed marker), and a
message whose replica is killed mid-turn is answered once by another, also when the replica killed was
answering a turn another one accepted (the shared turn queue)."""

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
import pytest
import redis.asyncio as aioredis
from pymongo import AsyncMongoClient

from app.shutdown import STOP_BUDGET_S
from storage.meta import MetaRepository
from storage.repositories import utcnow
from storage.turn_stream import GROUP, TurnStream
from tests.conftest import eventually
from tests.fakes.openai_api import ScriptedOpenAI
from tests.fakes.servers import serve_app

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


def _start_replica(
    tmp_path: Path, name: str, mongo_uri: str, db: str, role: str = "all", **env: str
) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    environment = {
        **os.environ,
        "MONGODB_URI": mongo_uri,
        "MONGODB_DB": db,
        "DATA_DIR": str(tmp_path / name),
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--role", role],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return proc, port


async def _wait_up(replicas: list[tuple[subprocess.Popen, int]], timeout_s: float = 180) -> None:
    up: set[int] = set()
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=1) as client:
        while len(up) < len(replicas) and time.monotonic() < deadline:
            for proc, port in replicas:
                assert proc.poll() is None, proc.stderr.read().decode()[-800:] if proc.stderr else "exited"
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        up.add(port)
                except httpx.HTTPError:
                    pass
            await asyncio.sleep(0.2)
    assert up == {port for _, port in replicas}


async def _ask_until_the_model_has_it(
    client: httpx.AsyncClient, port: int, session: str, model: ScriptedOpenAI
) -> asyncio.Task[httpx.Response]:
    """Ask a replica about shipping to Lviv; returns the waiting request once its turn is at the model."""
    asking = asyncio.create_task(client.post(f"http://127.0.0.1:{port}/api/v1/chat", json=_lviv_question(session)))
    assert await eventually(lambda: bool(model.answer_requests())), "the turn never reached the model"
    return asking


def _lviv_question(session: str) -> dict[str, str]:
    return {"session_id": session, "text": "Do you ship to Lviv?", "message_id": f"{session}-lviv"}


async def _messages_once_settled(mongo_uri: str, db: str, settle_s: float) -> tuple[list[dict], list[dict]]:
    """Inbound and outbound messages, read once a reply exists and `settle_s` more seconds of sweeps and
    rounds have passed (so a second answer would be there too)."""
    mongo = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        messages = mongo[db].messages
        for _ in range(300):
            if await messages.count_documents({"direction": "out"}):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(settle_s)
        inbound = [m async for m in messages.find({"direction": "in"})]
        outbound = [m async for m in messages.find({"direction": "out"})]
    finally:
        await mongo.close()
    return inbound, outbound


async def _lviv_answered_once(mongo_uri: str, db: str) -> None:
    """The one customer message (about Lviv) answered, and once."""
    inbound, outbound = await _messages_once_settled(mongo_uri, db, settle_s=3)
    assert [m["status"] for m in inbound] == ["answered"]
    assert len(outbound) == 1 and "Lviv" in outbound[0]["text"]


def _stop(replicas: list[tuple[subprocess.Popen, int]]) -> None:
    for proc, _ in replicas:
        if proc.poll() is None:
            proc.terminate()
    for proc, _ in replicas:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


async def test_two_replicas_start_together_on_one_database(tmp_path, mongo_uri):
    replicas = [_start_replica(tmp_path, f"replica{i}", mongo_uri, "replicas_test") for i in range(2)]
    try:
        await _wait_up(replicas)
    finally:
        _stop(replicas)


async def test_a_message_whose_replica_is_killed_mid_turn_is_answered_once_by_a_worker(tmp_path, mongo_uri):
    model = ScriptedOpenAI()
    model.call_s = 30.0  # the first replica is killed while the model is still writing its answer
    async with serve_app(model.app) as model_url:
        llm = {"OPENAI_BASE_URL": f"{model_url}/v1", "OPENAI_API_KEY": "sk-test", "REPLICA_TIMEOUT_S": "2"}
        doomed = _start_replica(tmp_path, "doomed", mongo_uri, "crash_test", **llm)
        replicas = [doomed]
        try:
            await _wait_up([doomed])
            async with httpx.AsyncClient(timeout=60) as client:
                asking = await _ask_until_the_model_has_it(client, doomed[1], "crash-1", model)
                doomed[0].kill()  # kill -9: no shutdown code runs
                with pytest.raises(httpx.HTTPError):
                    await asking
            model.call_s = 0.0
            survivor = _start_replica(tmp_path, "survivor", mongo_uri, "crash_test", role="worker", **llm)
            replicas.append(survivor)
            await _wait_up([survivor])
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{survivor[1]}") as client:
                assert (await client.get("/metrics")).status_code == 200  # a worker answers its probes...
                no_chat = await client.post("/api/v1/chat", json={"session_id": "w", "text": "hi"})
                assert no_chat.status_code == 404  # ...and takes no customer traffic of its own
            await _lviv_answered_once(mongo_uri, "crash_test")
        finally:
            _stop(replicas)


async def test_sigterm_during_a_long_model_call_exits_within_its_budget_and_hands_the_message_back(tmp_path, mongo_uri):
    """A container gets 30 s between SIGTERM and SIGKILL: the replica must not wait for a model call that
    takes two minutes, and what it could not answer is answered by the next replica, once."""
    model = ScriptedOpenAI()
    model.call_s = 120.0
    async with serve_app(model.app) as model_url:
        llm = {"OPENAI_BASE_URL": f"{model_url}/v1", "OPENAI_API_KEY": "sk-test", "LLM_TIMEOUT_S": "180"}
        stopping = _start_replica(tmp_path, "stopping", mongo_uri, "sigterm_test", **llm)
        replicas = [stopping]
        try:
            await _wait_up([stopping])
            async with httpx.AsyncClient(timeout=180) as client:
                asking = await _ask_until_the_model_has_it(client, stopping[1], "sigterm-1", model)
                stopping[0].terminate()
                stopping[0].wait(timeout=STOP_BUDGET_S + 10)  # raises TimeoutExpired if it outlives its budget
                told = await asking  # before uvicorn's grace ends: "restarting, send it again", not a cut
                assert told.status_code == 503 and told.headers["retry-after"] and "same message_id" in told.text
            assert stopping[0].returncode == 0  # its clean-up ran (the signal used to kill it inside uvicorn)...
            mongo = AsyncMongoClient(mongo_uri)
            try:  # ...so it left the registry: what it held is taken over at once, not after the timeout
                assert await mongo["sigterm_test"].replicas.count_documents({}) == 0
            finally:
                await mongo.close()
            model.call_s = 0.0
            survivor = _start_replica(tmp_path, "survivor", mongo_uri, "sigterm_test", **llm)
            replicas.append(survivor)
            await _wait_up([survivor])
            await _lviv_answered_once(mongo_uri, "sigterm_test")
            async with httpx.AsyncClient(timeout=60) as client:  # the widget sends the same message again
                url = f"http://127.0.0.1:{survivor[1]}/api/v1/chat"
                again = (await client.post(url, json=_lviv_question("sigterm-1"))).json()
            assert again["duplicate"] and "Lviv" in again["replies"][0]["text"]  # and gets the survivor's answer
        finally:
            _stop(replicas)


async def test_a_turn_whose_answering_replica_is_killed_is_claimed_and_its_customer_still_answered(
    tmp_path, mongo_uri, redis_url
):
    """Through the shared turn queue: the web replica accepted the message, the worker holding its shard was
    answering it when it was killed; the web replica takes the shard with the unfinished entry and answers."""
    model = ScriptedOpenAI()
    model.call_s = 30.0
    db = "claim_test"
    shared = {"REDIS_URL": redis_url, "TURN_SHARDS": "1", "REPLICA_TIMEOUT_S": "2"}
    async with serve_app(model.app) as model_url:
        llm = {"OPENAI_BASE_URL": f"{model_url}/v1", "OPENAI_API_KEY": "sk-test", **shared}
        worker = _start_replica(tmp_path, "worker", mongo_uri, db, role="worker", **llm)
        replicas = [worker]
        redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
        stream = TurnStream(redis, db, shards=1)
        try:
            await _wait_up([worker])
            for _ in range(100):  # the only shard is the worker's before the web replica starts
                if ((await stream.holder(0)) or "").split(":")[1:2] == [str(worker[0].pid)]:
                    break
                await asyncio.sleep(0.1)
            web = _start_replica(tmp_path, "web", mongo_uri, db, role="web", **llm)
            replicas.append(web)
            await _wait_up([web])
            async with httpx.AsyncClient(timeout=90) as client:
                asking = await _ask_until_the_model_has_it(client, web[1], "claim-1", model)
                pending = await redis.xpending(stream.stream_name(0), GROUP)
                assert pending["pending"] == 1
                assert [c["name"].split(":")[1] for c in pending["consumers"]] == [str(worker[0].pid)]
                worker[0].kill()  # kill -9 of the replica answering it
                model.call_s = 0.0
                answered = await asyncio.wait_for(asking, 90)
            assert answered.status_code == 200 and "Lviv" in answered.json()["replies"][0]["text"]
            inbound, outbound = await _messages_once_settled(mongo_uri, db, settle_s=2)
            assert [m["status"] for m in inbound] == ["answered"]
            assert len(outbound) == 1
            assert (await redis.xpending(stream.stream_name(0), GROUP))["pending"] == 0
        finally:
            await redis.aclose()
            _stop(replicas)
