"""Liveness, readiness per dependency, and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.container import Services
from app.routes.deps import ServicesDep
from storage.mongo import ping

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    checks = await readiness(services)
    # CONTRACT: 200 only when every configured dependency answers. A degraded replica still answers customers
    # (in-process state), and the body says so, so an operator sees why it is not ready.
    ok = all(v in ("ok", "not configured") for v in checks.values())
    degraded = sorted(name for name, v in checks.items() if v.startswith("degraded"))
    return JSONResponse({"ready": ok, "degraded": degraded, **checks}, status_code=200 if ok else 503)


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    return Response(generate_latest(services.clients.registry), media_type=CONTENT_TYPE_LATEST)


async def readiness(services: Services) -> dict[str, str]:
    clients = services.clients

    async def redis() -> str:
        if not clients.redis_configured:
            return "not configured"
        if await clients.cache.ping():
            return "ok"
        return "degraded: unreachable, answering on in-process state"

    async def chroma() -> str:
        return "ok" if await clients.vectors.ping() else "error: no answer"

    mongo_state, redis_state, chroma_state = await asyncio.gather(ping(clients.db), redis(), chroma())
    return {"mongodb": mongo_state, "redis": redis_state, "chroma": chroma_state}
