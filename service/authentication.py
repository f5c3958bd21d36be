"""Authenticate first, then read: the API key is checked before a single byte of the request body is read.

FastAPI reads and parses the body before it solves a route's dependencies, so a key check done only as a
dependency lets anyone make the server read (and hold) a body up to the size cap, and answers a keyless
malformed body with 422 instead of 401. This middleware stands between the route and the body: when the
route chosen for a request needs a key (it depends on :func:`service.deps.get_current_key`), the first
attempt to read the body looks the key up first, and a request without a valid key gets its 401 instead,
with ``Connection: close`` so that the unread body is never drained. The key found is handed on to the
dependency in the ASGI scope (one lookup per request). Requests without a body are checked by the dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from fastapi.dependencies.models import Dependant
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.security import Principal
from service.store.database import Database
from service.store.repositories import KeyRepository

__all__ = [
    "INVALID_KEY_MESSAGE",
    "MISSING_KEY_MESSAGE",
    "PRINCIPAL_SCOPE_KEY",
    "AuthenticateFirstMiddleware",
    "authenticate",
    "bearer_token",
]

PRINCIPAL_SCOPE_KEY = "chartcoder.principal"
MISSING_KEY_MESSAGE = "Missing API key: send 'Authorization: Bearer <key>'."
INVALID_KEY_MESSAGE = "Unknown or revoked API key."
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None (as FastAPI's ``HTTPBearer`` reads it)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def authenticate(database: Database, token: str) -> Principal | None:
    """The active key whose token this is, looked up on every request so that a revoked key stops at once."""
    with database.session() as session:
        return KeyRepository(session).authenticate(token)


class AuthenticateFirstMiddleware:
    """401 before the body is read, for every route that needs a key; other requests pass untouched."""

    def __init__(self, app: ASGIApp, key_dependency: Callable[..., Any]) -> None:
        self.app = app
        self.key_dependency = key_dependency
        self._needs_key: dict[int, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checked = False

        async def receive_after_key_check() -> Message:
            nonlocal checked
            if not checked:
                checked = True
                await self._check_key(scope)  # raises the 401 (FastAPI answers it) before anything is read
            return await receive()

        await self.app(scope, receive_after_key_check, send)

    async def _check_key(self, scope: Scope) -> None:
        if not self._route_needs_key(scope.get("route")):
            return
        token = bearer_token(scope)
        principal = None
        if token is not None:
            principal = await run_in_threadpool(authenticate, scope["app"].state.database, token)
        if principal is None:
            message = MISSING_KEY_MESSAGE if token is None else INVALID_KEY_MESSAGE
            raise HTTPException(401, message, headers={**CHALLENGE, "Connection": "close"})
        scope[PRINCIPAL_SCOPE_KEY] = principal

    def _route_needs_key(self, route: Any) -> bool:
        dependant = getattr(route, "dependant", None)
        if not isinstance(dependant, Dependant):
            return False
        known = self._needs_key.get(id(route))
        if known is None:
            known = self._needs_key[id(route)] = _depends_on(dependant, self.key_dependency)
        return known


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return dependant.call is call or any(_depends_on(child, call) for child in dependant.dependencies)
