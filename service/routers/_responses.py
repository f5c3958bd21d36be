"""The error answers each route documents in OpenAPI (all share :class:`service.schemas.ErrorResponse`)."""

from __future__ import annotations

from typing import Any

from service.schemas import ErrorResponse

__all__ = ["errors"]

_DESCRIPTIONS = {
    401: "No API key, or an unknown or revoked one.",
    403: "The API key's role may not do this.",
    404: "No such resource.",
    409: "The idempotency key was used for a different request, or the review_id belongs to another review.",
    413: "The note or the batch is larger than the service accepts.",
    422: "The request is malformed or cannot be served (message says why).",
    503: "The engine did not finish within the request timeout.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse, "description": _DESCRIPTIONS[status]} for status in statuses}
