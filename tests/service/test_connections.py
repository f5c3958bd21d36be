"""Connections the service bounds: a body that does not come, a URL too long, a client that leaves."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from tests.service.conftest import run_coroutine


def _scope(path: str, token: str, method: str = "POST") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"content-length", b"100"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


def _run(app, scope: dict, receive) -> list[dict]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    run_coroutine(asyncio.wait_for(app(scope, receive, send), timeout=30))
    return sent


def _token(keys) -> str:
    return keys.coder["Authorization"].removeprefix("Bearer ")


@pytest.mark.parametrize("settings_overrides", [{"body_timeout_s": 0.5}])
def test_a_body_that_does_not_arrive_in_time_gets_408(client, app, keys):
    first = True

    async def trickle() -> dict:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b'{"text": "Hyper', "more_body": True}
        await asyncio.sleep(3600)  # the rest never comes
        raise AssertionError("unreachable")

    started = time.monotonic()
    sent = _run(app, _scope("/v1/suggest", _token(keys)), trickle)
    assert time.monotonic() - started < 5
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]


def test_a_client_that_leaves_is_one_log_line_and_not_a_server_error(client, app, keys, caplog):
    async def gone() -> dict:
        return {"type": "http.disconnect"}

    with caplog.at_level(logging.INFO):
        sent = _run(app, _scope("/v1/suggest", _token(keys)), gone)  # raised ClientDisconnect: a traceback, a 500
    assert sent == []  # nobody to answer
    lines = [record for record in caplog.records if "disconnected" in record.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "Exception in ASGI application" not in caplog.text
    metrics = client.get("/metrics").text
    assert 'route="/v1/suggest",status="499"' in metrics
    assert not any(
        line.startswith("chartcoder_http_requests_total") and 'status="5' in line for line in metrics.splitlines()
    )


def test_an_oversized_url_gets_a_json_414(client, app, keys):
    import json

    scope = {**_scope("/v1/codes/search", _token(keys), method="GET"), "query_string": b"q=" + b"a" * 100_000}

    async def nothing() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    sent = _run(app, scope, nothing)  # the audit's 100 kB URL (httpx itself refuses to send one)
    assert sent[0]["status"] == 414
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    assert "URL is longer" in json.loads(sent[1]["body"])["detail"]
