"""The HTTP app: web chat, webhooks, REST API, health, readiness and metrics."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo.errors import PyMongoError

from app.api import api_router
from app.container import Services
from channels.web import web_router

log = logging.getLogger(__name__)


def create_app(services: Services, extra_routers: list[APIRouter] | None = None) -> FastAPI:
    app = FastAPI(title="Closer", version="0.1.0", docs_url="/docs", redoc_url=None)
    app.state.services = services

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = await readiness(services)
        ok = all(v in ("ok", "not configured") for v in checks.values())
        return JSONResponse({"ready": ok, **checks}, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(services.registry), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Junk bodies (bad JSON, non-UTF-8 bytes) get a short 422 naming the field, never a 500.
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "error": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": "invalid request", "errors": errors}, status_code=422)

    @app.exception_handler(PyMongoError)
    async def storage_down(request: Request, exc: PyMongoError) -> JSONResponse:
        log.error("database error on %s: %s", request.url.path, type(exc).__name__)
        return JSONResponse({"detail": "storage temporarily unavailable, please retry"}, status_code=503)

    app.include_router(web_router(services.hub, services.cache, services.settings.web_chat_rate_per_minute))
    app.include_router(api_router(services))
    for router in extra_routers or []:
        app.include_router(router)
    return app


async def readiness(services: Services) -> dict[str, str]:
    async def mongo() -> str:
        try:
            await asyncio.wait_for(services.db.command("ping"), timeout=3)
        except (PyMongoError, TimeoutError) as exc:
            return f"error: {type(exc).__name__}"
        return "ok"

    async def redis() -> str:
        if not services.redis_configured:
            return "not configured"
        return "ok" if await services.cache.ping() else "error: no answer"

    async def chroma() -> str:
        return "ok" if await services.vectors.ping() else "error: no answer"

    mongo_state, redis_state, chroma_state = await asyncio.gather(mongo(), redis(), chroma())
    return {"mongodb": mongo_state, "redis": redis_state, "chroma": chroma_state}
