"""The JSON bodies of the HTTP API's error answers, as the OpenAPI document declares them (the contract test
holds every answer to it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """A refusal with a short reason: a wrong token, too large a body, too many messages, storage down."""

    detail: str


class FieldError(BaseModel):
    field: str  # the dotted path inside the request, e.g. `session_id` or `query.limit`; empty for the whole body
    error: str


class ValidationErrorBody(BaseModel):
    """The request does not match this document: each field at fault, with why (not FastAPI's raw errors)."""

    detail: str
    errors: list[FieldError]


def error_response(description: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    """One entry of a route's `responses`."""
    return {"model": model, "description": description}
