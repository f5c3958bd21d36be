"""The guarded server protocols on their own (uvicorn in a thread, a trivial app): the header deadline cuts a
connection whose headers trickle, a normal request on it is unaffected, and what the parser refuses is JSON."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from service.connections import GuardedH11Protocol, GuardedHttpToolsProtocol
from tests.service.server_process import free_port

PROTOCOLS = [GuardedH11Protocol] + ([GuardedHttpToolsProtocol] if GuardedHttpToolsProtocol else [])


async def _hello(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture(params=PROTOCOLS, ids=lambda protocol: protocol.__name__)
def port(request, monkeypatch) -> Iterator[int]:
    from service.settings import get_settings

    monkeypatch.setenv("CHARTCODER_HEADER_TIMEOUT_S", "1")
    get_settings.cache_clear()
    port = free_port()
    config = uvicorn.Config(
        _hello, host="127.0.0.1", port=port, http=request.param, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        get_settings.cache_clear()


def _read_all(connection: socket.socket) -> bytes:
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    return answer


def test_trickling_headers_are_cut_at_the_deadline(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        started = time.monotonic()
        connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n")
        closed = False
        for _ in range(20):  # one header byte every 0.2 s: 4 s if nobody cuts it
            try:
                connection.sendall(b"X")
            except OSError:
                closed = True
                break
            connection.settimeout(0.2)
            try:
                if connection.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
        assert closed, "the server kept a connection whose headers trickled"
        assert time.monotonic() - started < 3.0


def test_a_keep_alive_connection_serves_requests_and_is_then_timed_again(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        for _ in range(2):
            connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
            time.sleep(0.6)  # under the 1 s deadline each time: never cut
        connection.sendall(b"GET / HTTP/1.1\r\nHost: te")  # the third request stalls in its headers
        started = time.monotonic()
        assert connection.recv(65536) == b""
        assert time.monotonic() - started < 3.0


def test_a_request_the_parser_refuses_gets_json(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"NOT AN HTTP REQUEST\r\n\r\n")
        head, _, body = _read_all(connection).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body) == {"detail": "Invalid HTTP request."}
