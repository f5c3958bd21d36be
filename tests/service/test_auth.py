"""API keys: who may call what."""

from __future__ import annotations

import pytest

from tests.service.conftest import bearer, make_key

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
