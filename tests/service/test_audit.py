"""GET /v1/audit: who did what, when, with which model; the trail only grows."""

from __future__ import annotations


def test_reviews_and_key_actions_are_audited(client, app, keys, queued_note):
    from service.store.repositories import KeyRepository

    code = queued_note["suggestions"]["suggestions"][0]["code"]
    review = client.post(f"/v1/notes/{queued_note['id']}/review", json={"accepted": [code]}, headers=keys.coder)
    with app.state.database.session() as session:
        KeyRepository(session).revoke("coder-test", actor="cli:tester")

    page = client.get("/v1/audit", headers=keys.admin)
    assert page.status_code == 200
    entries = page.json()["items"]
    actions = [entry["action"] for entry in entries]
    assert actions == ["key.revoked", "review.created", "key.created", "key.created"]  # newest first
    revoked, reviewed = entries[0], entries[1]
    assert revoked["actor"] == "cli:tester" and revoked["target"] == keys.coder_id
    assert reviewed["actor"] == "coder-test" and reviewed["actor_key_id"] == keys.coder_id
    assert reviewed["model"] == queued_note["model"]
    assert reviewed["target"] == queued_note["id"]
    assert reviewed["details"]["review_id"] == review.json()["id"]
    assert reviewed["details"]["accepted"] == [code]

    only_reviews = client.get("/v1/audit?action=review.created", headers=keys.admin).json()
    assert only_reviews["total"] == 1


def test_the_audit_log_has_no_write_routes(client, keys, app):
    assert client.delete("/v1/audit", headers=keys.admin).status_code == 405
    assert client.post("/v1/audit", json={}, headers=keys.admin).status_code == 405
    paths = app.openapi()["paths"]
    assert set(paths["/v1/audit"]) == {"get"}


def test_the_audit_log_does_not_store_note_text(client, app, keys, queued_note):
    code = queued_note["suggestions"]["suggestions"][0]["code"]
    client.post(f"/v1/notes/{queued_note['id']}/review", json={"accepted": [code]}, headers=keys.coder)
    trail = client.get("/v1/audit", headers=keys.admin).text
    assert "diabetes" not in trail.lower()
