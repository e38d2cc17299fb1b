"""The HTTP app factory: adapters' routes (web chat, webhooks), the REST API, health and metrics."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError

from app.body_limit import BodyLimit
from app.container import Services
from app.routes import health, leads, media, stats
from channels.http_errors import ErrorBody, FieldError, ValidationErrorBody, error_response
from channels.web import web_router

log = logging.getLogger(__name__)

# What any route may answer, whatever it does: the body cap is a middleware and these handlers are app-wide.
# (Declaring 422 here also replaces FastAPI's `HTTPValidationError`, which our handler never sends.)
APP_WIDE_ERRORS: dict[int | str, dict[str, Any]] = {
    413: error_response("Request body over the configured limit (MAX_BODY_BYTES)"),
    422: error_response("The request does not match this document", ValidationErrorBody),
    503: error_response("Storage temporarily unavailable; retry"),
}
_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
# What an operation may answer for what it takes: a body (FastAPI's 400 for bytes that are not even text) and
# the bearer token (`require_api_key`). Added by `declare_implied_errors`: a dependency cannot declare responses.
UNREADABLE_BODY = {"description": "A body that cannot be read at all (e.g. not UTF-8)", "content": _ERROR_BODY}
UNAUTHORIZED = {
    "description": "Missing or wrong bearer token, or no API_KEY set and the caller is not on this machine",
    "content": _ERROR_BODY,
}


def create_app(services: Services, extra_routers: list[APIRouter] | None = None) -> FastAPI:
    app = FastAPI(title="Closer", version="0.1.0", docs_url="/docs", redoc_url=None, responses=APP_WIDE_ERRORS)
    app.state.services = services

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Junk bodies (bad JSON) get a short 422 naming the field, never a 500 (undecodable bytes: FastAPI's 400).
        errors = [
            FieldError(field=".".join(str(p) for p in e.get("loc", ()) if p != "body"), error=e.get("msg", ""))
            for e in exc.errors()
        ]
        return JSONResponse(ValidationErrorBody(detail="invalid request", errors=errors).model_dump(), status_code=422)

    @app.exception_handler(PyMongoError)
    async def storage_down(request: Request, exc: PyMongoError) -> JSONResponse:
        log.error("database error on %s: %s", request.url.path, type(exc).__name__)
        services.metrics.errors.labels("storage").inc()
        body = ErrorBody(detail="storage temporarily unavailable, please retry")
        return JSONResponse(body.model_dump(), status_code=503)

    rate = services.settings.http.web_chat_rate_per_minute
    app.include_router(web_router(services.hub, services.clients.cache, rate, services.stopping))
    app.include_router(leads.router)
    app.include_router(stats.router)
    app.include_router(health.router)
    app.include_router(media.router)
    for router in extra_routers or []:
        app.include_router(router)
    app.add_middleware(BodyLimit, max_bytes=services.settings.http.max_body_bytes)
    declare_implied_errors(app)
    return app


def declare_implied_errors(app: FastAPI) -> None:
    """Each operation with a body may answer 400, and each that asks for the bearer token 401: said once here,
    not repeated by every router."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {}).setdefault("schemas", {}).setdefault(
                "ErrorBody", ErrorBody.model_json_schema()
            )
            for operation in (op for path in document.get("paths", {}).values() for op in path.values()):
                if "requestBody" in operation:
                    operation["responses"].setdefault("400", UNREADABLE_BODY)
                if operation.get("security"):
                    operation["responses"].setdefault("401", UNAUTHORIZED)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def create_probe_app(services: Services) -> FastAPI:
    """A replica without the web role still answers its probes: /healthz, /readyz, /metrics."""
    app = FastAPI(title="Closer", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.include_router(health.router)
    return app
