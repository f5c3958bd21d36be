"""API keys: who may call what."""

from __future__ import annotations

import pytest

from tests.service.conftest import bearer, make_key, run_coroutine

PROTECTED = [
    ("POST", "/v1/suggest", {"text": "Hypertension."}),
    ("POST", "/v1/suggest/batch", {"notes": [{"text": "Hypertension."}]}),
    ("POST", "/v1/notes", {"text": "Hypertension."}),
    ("GET", "/v1/notes", None),
    ("GET", "/v1/notes/abc", None),
    ("POST", "/v1/notes/abc/review", {"accepted": []}),
    ("GET", "/v1/codes/search?q=diab", None),
    ("GET", "/v1/codes/E11.9", None),
    ("GET", "/v1/stats", None),
    ("GET", "/v1/audit", None),
]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_every_api_route_needs_a_key(client, method, path, body):
    response = client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "API key" in response.json()["detail"]


def test_a_wrong_key_or_scheme_is_refused(client, keys):
    assert client.get("/v1/notes", headers=bearer("cc_not-a-real-key")).status_code == 401
    assert client.get("/v1/notes", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}).status_code == 401
    assert client.get("/v1/notes", headers={"Authorization": "Bearer"}).status_code == 401


def test_a_coder_key_may_not_read_the_audit_log(client, keys):
    response = client.get("/v1/audit", headers=keys.coder)
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]
    assert client.get("/v1/audit", headers=keys.admin).status_code == 200


def test_an_admin_key_may_do_what_a_coder_may(client, keys):
    assert client.get("/v1/notes", headers=keys.admin).status_code == 200


def test_a_revoked_key_stops_working_at_once(client, app, keys):
    from service.store.repositories import KeyRepository

    _key_id, token = make_key(app, "temp", "coder")
    assert client.get("/v1/notes", headers=bearer(token)).status_code == 200
    with app.state.database.session() as session:
        KeyRepository(session).revoke("temp", actor="test")
    response = client.get("/v1/notes", headers=bearer(token))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_health_routes_need_no_key(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/v1/info").json()["docs"] == "/docs"
    assert client.get("/").headers["content-type"].startswith("text/html")  # the review page signs in itself


def test_keys_are_stored_hashed(client, app, keys):
    from sqlalchemy import select

    from service.security import hash_token
    from service.store.models import ApiKey

    token = keys.coder["Authorization"].removeprefix("Bearer ")
    with app.state.database.session() as session:
        stored = session.scalars(select(ApiKey.key_hash)).all()
    assert token not in stored
    assert hash_token(token) in stored


@pytest.mark.parametrize("path", ["/v1/suggest", "/v1/notes", "/v1/suggest/batch"])
def test_a_keyless_malformed_body_is_401_not_422(client, path):
    response = client.post(path, content=b'{"text": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


def _call_asgi(app, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[list[dict], int]:
    """Send one POST straight to the ASGI app; returns the messages it sent and how often it asked for body."""
    import asyncio

    sent: list[dict] = []
    body_reads = 0

    async def receive() -> dict:
        nonlocal body_reads
        body_reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}  # an endless body

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    run_coroutine(asyncio.wait_for(app(scope, receive, send), timeout=30))
    return sent, body_reads


@pytest.mark.parametrize(
    "authorization",
    [[], [(b"authorization", b"Bearer cc_not-a-real-key")], [(b"authorization", b"Basic YWRtaW46YWRtaW4=")]],
)
def test_a_request_without_a_valid_key_is_refused_before_its_body_is_read(client, app, authorization):
    # 39 MB announced (under the body cap), an endless body: the 401 must come without a single read
    headers = [(b"content-length", b"39000000"), *authorization]
    sent, body_reads = _call_asgi(app, "/v1/suggest/batch", headers)
    assert sent[0]["status"] == 401
    assert (b"connection", b"close") in sent[0]["headers"]  # the unread body is not drained either
    assert body_reads == 0
