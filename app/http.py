"""The HTTP app factory: adapters' routes (web chat, webhooks), the REST API, health and metrics."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError

from app.body_limit import BodyLimit
from app.container import Services
from app.routes import health, leads, media
from channels.web import web_router

log = logging.getLogger(__name__)


def create_app(services: Services, extra_routers: list[APIRouter] | None = None) -> FastAPI:
    app = FastAPI(title="Closer", version="0.1.0", docs_url="/docs", redoc_url=None)
    app.state.services = services

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
        services.metrics.errors.labels("storage").inc()
        return JSONResponse({"detail": "storage temporarily unavailable, please retry"}, status_code=503)

    rate = services.settings.http.web_chat_rate_per_minute
    app.include_router(web_router(services.hub, services.clients.cache, rate))
    app.include_router(leads.router)
    app.include_router(health.router)
    app.include_router(media.router)
    for router in extra_routers or []:
        app.include_router(router)
    app.add_middleware(BodyLimit, max_bytes=services.settings.http.max_body_bytes)
    return app


def create_probe_app(services: Services) -> FastAPI:
    """A replica without the web role still answers its probes: /healthz, /readyz, /metrics."""
    app = FastAPI(title="Closer", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.include_router(health.router)
    return app
