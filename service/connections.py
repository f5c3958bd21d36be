"""Bounded connections: deadlines for a request's headers and body, JSON for the errors a server answers itself,
and a client that goes away logged as one line instead of a traceback and a 500.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but gives a client that sends its headers
or its body one byte at a time all the time it wants, each such client holding a connection and its buffers.
Two guards close them:

* :class:`GuardedHttpToolsProtocol` / :class:`GuardedH11Protocol` (the server's protocol, whichever parser is
  installed): a connection whose request line and headers are not complete within ``header_timeout_s`` of the
  connection opening, or of the previous response, is closed; their "400 Invalid HTTP request" is JSON.
* :class:`ConnectionGuardMiddleware` (ASGI): a body that has not arrived within ``body_timeout_s`` of the
  request's start gets a 408 and the connection is closed; an over-long URL gets a JSON 414; a client that
  disconnects before its body is read is logged as one line and counted under status 499 (nginx's "client
  closed request"), never as a server error.

Behind a reverse proxy (service/README.md shows an nginx configuration) the proxy buffers and times out slow
clients first; these guards keep a directly exposed server from being held open all the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import h11
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "CLIENT_CLOSED_REQUEST",
    "DISCONNECTED_SCOPE_KEY",
    "ConnectionGuardMiddleware",
    "GuardedH11Protocol",
    "GuardedHttpToolsProtocol",
    "guarded_protocol",
]

log = logging.getLogger(__name__)

CLIENT_CLOSED_REQUEST = 499
DISCONNECTED_SCOPE_KEY = "chartcoder.client_disconnected"
_BAD_REQUEST_BODY = json.dumps({"detail": "Invalid HTTP request."}).encode()
_URL_TOO_LONG_BODY = json.dumps({"detail": "The URL is longer than the service accepts."}).encode()


class ConnectionGuardMiddleware:
    """Body deadline, URL length and client disconnects, for every HTTP request."""

    def __init__(self, app: ASGIApp, body_timeout_s: float, max_url_bytes: int) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s
        self.max_url_bytes = max_url_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
        if url_bytes > self.max_url_bytes:
            detail = f"The URL is longer than the service accepts ({self.max_url_bytes:,} bytes)."
            await JSONResponse({"detail": detail}, status_code=414, headers={"Connection": "close"})(
                scope, receive, send
            )
            return
        deadline = time.monotonic() + self.body_timeout_s

        async def receive_before_deadline() -> Message:
            remaining = deadline - time.monotonic()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(remaining, 0.001))
            except TimeoutError:
                raise HTTPException(
                    408,
                    f"The request body did not arrive within {self.body_timeout_s:g} s.",
                    headers={"Connection": "close"},
                ) from None
            if message["type"] == "http.disconnect":
                scope[DISCONNECTED_SCOPE_KEY] = True
            return message

        try:
            await self.app(scope, receive_before_deadline, send)
        except ClientDisconnect:
            scope[DISCONNECTED_SCOPE_KEY] = True
            # the path only (never the query): the client left before its request was read; nothing to answer
            log.info("client disconnected before its request was read: %s %s", scope["method"], scope["path"])


class _HeaderDeadline:
    """A timer from a connection's start (or its previous response) to the end of the next request's headers."""

    header_timeout_s: float
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _header_timer: asyncio.TimerHandle | None = None

    # Mixed in before uvicorn's protocol class: these run first and hand on to it through super().
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = _header_timeout_s()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            log.debug("closed a connection whose request headers took longer than %g s", self.header_timeout_s)
            self.transport.close()


def _header_timeout_s() -> float:
    from service.settings import get_settings  # the server process's settings (its workers read the same)

    return get_settings().header_timeout_s


def _max_url_bytes() -> int:
    from service.settings import get_settings

    return get_settings().max_url_bytes


class GuardedH11Protocol(_HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol with a header deadline and JSON for the requests it refuses itself."""

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state in (h11.SEND_BODY, h11.DONE):  # the request's headers are in
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:  # waiting for the next request
            self._arm_header_deadline()

    def send_400_response(self, msg: str) -> None:
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=_BAD_REQUEST_BODY),
            h11.EndOfMessage(),
        ):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)
        self.transport.close()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional in uvicorn: the h11 protocol serves then
    GuardedHttpToolsProtocol: type[asyncio.Protocol] | None = None
else:

    class _GuardedHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol with a header deadline and JSON for the requests it refuses itself."""

        def on_headers_complete(self) -> None:
            self._disarm_header_deadline()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            idle = self.cycle is None or self.cycle.response_complete  # no pipelined request started instead
            if not self.transport.is_closing() and idle:
                self._arm_header_deadline()

        def send_400_response(self, msg: str) -> None:
            status, body = b"400 Bad Request", _BAD_REQUEST_BODY
            if len(getattr(self, "url", b"")) > _max_url_bytes():  # the parser gave up inside the URL
                status, body = b"414 URI Too Long", _URL_TOO_LONG_BODY
            self.transport.write(
                b"HTTP/1.1 "
                + status
                + b"\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(body)}\r\n".encode()
                + b"connection: close\r\n\r\n"
                + body
            )
            self.transport.close()

    GuardedHttpToolsProtocol = _GuardedHttpToolsProtocol


def guarded_protocol() -> type[asyncio.Protocol]:
    """The protocol class for uvicorn's ``http=``: httptools when installed (uvicorn's own choice), else h11."""
    return GuardedHttpToolsProtocol or GuardedH11Protocol
