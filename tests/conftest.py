"""Shared fixtures: real Redis, MongoDB through the real driver, Chroma on disk, apps over real HTTP."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.container import Services, open_services
from app.http import create_app
from app.settings import Settings
from app.turn_queue import TurnRole
from storage.embedded_mongo import EmbeddedMongoProcess
from storage.embeddings import LocalEmbedder, QueryMemo
from tests.fakes.openai_api import ScriptedOpenAI
from tests.fakes.servers import free_port, serve_app
from tests.fakes.telegram_api import FakeTelegram
from tests.redis_server import start_redis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free port. Missing binary fails loudly: `make test` installs it."""
    port = free_port()
    proc = start_redis(tmp_path_factory.mktemp("redis"), port)
    url = f"redis://127.0.0.1:{port}/0"
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MONGODB_URI when set (a real MongoDB), otherwise the embedded server, through the real driver."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"]
        return
    # A child process, as `closer serve` runs it: its Python does not share the suite's GIL.
    server = EmbeddedMongoProcess(tmp_path_factory.mktemp("mongo"))
    uri = server.start()
    yield uri
    server.stop()


@pytest.fixture(scope="session")
def make_settings(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory):
    """Settings for one isolated instance: its own database name and data folder."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path_factory.mktemp("data"),
            "mongodb_uri": mongo_uri,
            "mongodb_db": f"t_{uuid.uuid4().hex[:10]}",
            "web_chat_rate_per_minute": 1000,
        }
        values.update(overrides)
        return Settings.from_flat(_env_file=None, **values)

    return build


@pytest.fixture(scope="session")
def shared_embedder() -> Iterator[QueryMemo]:
    """One local embedder for the whole suite, remembering what it embedded: every instance indexes the
    same example knowledge and trains on the same playbook, so only the first one pays for it."""
    embedder = QueryMemo(LocalEmbedder(), everything=True)
    yield embedder
    embedder.close()


@pytest.fixture(scope="session")
def services_factory(make_settings, shared_embedder):
    @asynccontextmanager
    async def build(turns: TurnRole = "answer", **overrides: Any) -> AsyncIterator[Services]:
        settings = make_settings(**overrides)
        local = settings.knowledge.embeddings == "local"
        embedder = shared_embedder if local else None
        async with open_services(settings, embedder=embedder, turns=turns) as services:
            try:
                yield services
            finally:
                await services.clients.mongo.drop_database(settings.mongo.db)

    return build


@pytest.fixture(scope="session")
async def services(services_factory) -> AsyncIterator[Services]:
    """One offline instance shared by tests that each use their own customer ids."""
    async with services_factory() as built:
        yield built


@pytest.fixture(scope="session")
async def web(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app served by uvicorn on a loopback port."""
    async with serve_app(create_app(services)) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
async def fake_telegram() -> AsyncIterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram()
    async with serve_app(fake.app) as base_url:
        yield fake, base_url


@pytest.fixture
async def fake_openai() -> AsyncIterator[tuple[ScriptedOpenAI, str]]:
    fake = ScriptedOpenAI()
    async with serve_app(fake.app) as base_url:
        yield fake, base_url + "/v1"


def unique_id() -> str:
    return uuid.uuid4().hex[:12]


async def eventually(condition, timeout_s: float = 60) -> bool:
    """Whether `condition()` holds within `timeout_s` (polled every 50 ms)."""
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


@pytest.fixture
def session_id() -> str:
    return f"s-{unique_id()}"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
