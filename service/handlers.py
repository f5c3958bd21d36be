"""Turning errors into JSON answers: every client mistake gets a 4xx with a message, never a 500.

No handler echoes what the client sent: pydantic's ``input`` (which would hold the note) is dropped from
validation errors, and nothing here logs.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import ServiceError
from suggest.errors import NoteError, NoteTooLargeError
from vocab.errors import InvalidCodeError, QueryError, UnknownCodeError

__all__ = ["error_body", "install_exception_handlers"]

CONTENT_TOO_LARGE = 413


def error_body(error: Exception) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": str(error), "error": type(error).__name__}
    if isinstance(error, ServiceError):
        body.update(error.extra())
    return body


def _status_for(error: Exception) -> int:
    if isinstance(error, ServiceError):
        return error.status_code
    if isinstance(error, NoteTooLargeError):
        return CONTENT_TOO_LARGE
    if isinstance(error, UnknownCodeError):
        return 404
    return 422  # NoteError, QueryError, InvalidCodeError: the request was understood but cannot be served


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=_status_for(error))


def _issue(error: dict[str, Any]) -> dict[str, Any]:
    """A validation error without its ``input`` or ``ctx``: they can quote the note back."""
    message = error["msg"]
    if error["type"] == "json_invalid":
        message = f"Malformed JSON: {error.get('ctx', {}).get('error', 'cannot be parsed')}"
    return {"loc": list(error["loc"]), "msg": message, "type": error["type"]}


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"detail": [_issue(item) for item in error.errors()]}, status_code=422)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error_type in (ServiceError, NoteError, QueryError, InvalidCodeError, UnknownCodeError):
        app.add_exception_handler(error_type, _domain_error)
