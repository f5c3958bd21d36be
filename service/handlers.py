"""Turning errors into JSON answers: every client mistake gets a 4xx with a message, never a 500.

No handler echoes what the client sent: pydantic's ``input`` (which would hold the note) is dropped from
validation errors, and nothing here logs.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import ServiceError
from suggest.errors import NoteError, NoteTooLargeError
from vocab.errors import InvalidCodeError, QueryError, UnknownCodeError

__all__ = ["error_body", "install_exception_handlers"]

CONTENT_TOO_LARGE = 413
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")


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
    location = list(error["loc"])
    if error["type"] == "extra_forbidden" and location:
        location[-1] = _field_name(location[-1])
    return {"loc": location, "msg": message, "type": error["type"]}


def _field_name(name: Any) -> Any:
    """An unknown field's name as sent when it looks like a field name; free text in its place is not echoed."""
    return name if isinstance(name, str) and _FIELD_NAME.match(name) else "<unknown field>"


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"detail": [_issue(item) for item in error.errors()]}, status_code=422)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    headers = error.headers
    if error.status_code == 405:
        # Starlette names only the methods of the first route matching the path; GET and POST on one path
        # are two routes (GET /v1/notes, POST /v1/notes): name every method the path has.
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        path_regex = getattr(route, "path_regex", None)
        if path_regex is not None and path_regex.match(request.url.path) and route.methods:
            methods.update(route.methods)
    return sorted(methods)


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error_type in (ServiceError, NoteError, QueryError, InvalidCodeError, UnknownCodeError):
        app.add_exception_handler(error_type, _domain_error)
