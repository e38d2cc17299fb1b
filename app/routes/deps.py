"""Dependencies of the REST routes, as `Annotated` aliases; the services live on `app.state`."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.container import Services
from brain.qualification import Qualifier
from storage.leads import LeadRepository

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}
# Declares the scheme in the OpenAPI document; a missing or wrong token is refused below, with our own message.
BEARER = HTTPBearer(
    auto_error=False, description="API_KEY as a bearer token (with no API_KEY set, only local callers, tokenless)"
)


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_leads(services: ServicesDep) -> LeadRepository:
    return services.repos.leads


def get_qualifier(services: ServicesDep) -> Qualifier:
    return services.brain.qualifier


LeadsDep = Annotated[LeadRepository, Depends(get_leads)]
QualifierDep = Annotated[Qualifier, Depends(get_qualifier)]


async def require_api_key(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> None:
    """Bearer API_KEY; with no key configured only this machine may call (e.g. a CRM connector on the host)."""
    configured = services.settings.http.api_key
    if configured is None:
        if (request.client.host if request.client else "") not in LOCAL_HOSTS:
            raise HTTPException(status_code=401, detail="API_KEY is not configured; only local callers allowed")
        return
    # None: no Authorization header, or not "Bearer <token>".
    if credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), configured.get_secret_value().encode()
    ):
        raise HTTPException(
            status_code=401, detail="missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
