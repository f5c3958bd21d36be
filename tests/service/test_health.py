"""Liveness, readiness and the Prometheus metrics."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from tests.service.conftest import DIABETES_NOTE


def test_readyz_reports_engine_and_database(client, app, monkeypatch):
    assert client.get("/readyz").json() == {"status": "ready", "checks": {"engine": "ok", "database": "ok"}}

    def down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(app.state.database, "ping", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable (OperationalError)"
    monkeypatch.undo()
    monkeypatch.setattr(app.state, "engine", None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["engine"] == "not loaded"


def test_metrics_count_requests_by_route_template_suggestions_and_reviews(client, keys, queued_note):
    code = queued_note["suggestions"]["suggestions"][0]["code"]
    client.post(f"/v1/notes/{queued_note['id']}/review", json={"accepted": [code]}, headers=keys.coder)
    client.post("/v1/suggest", json={"text": DIABETES_NOTE}, headers=keys.coder)
    client.get("/no/such/path/12345")
    text = client.get("/metrics").text
    assert 'chartcoder_http_requests_total{method="POST",route="/v1/notes/{note_id}/review",status="201"} 1.0' in text
    assert 'chartcoder_http_requests_total{method="POST",route="/v1/notes",status="201"} 1.0' in text
    assert 'chartcoder_http_request_duration_seconds_bucket{le="0.5",method="POST",route="/v1/suggest"}' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "/no/such/path" not in text
    assert "chartcoder_notes_suggested_total 2.0" in text
    served = len(queued_note["suggestions"]["suggestions"]) * 2
    assert f"chartcoder_suggestions_served_total {served:.1f}" in text
    assert "chartcoder_reviews_stored_total 1.0" in text


def test_openapi_documents_the_api(client):
    schema = client.get("/openapi.json").json()
    assert {"/v1/suggest", "/v1/suggest/batch", "/v1/notes", "/v1/notes/{note_id}/review", "/v1/stats"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "examples" in schema["components"]["schemas"]["NoteInput"]
