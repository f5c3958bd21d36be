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
    # newest first; the review files the note as an encounter in its own transaction (issue 17.3)
    assert actions == ["key.revoked", "encounter.filed", "review.created", "note.created", "key.created", "key.created"]
    revoked, filed, reviewed = entries[0], entries[1], entries[2]
    assert filed["target"] == queued_note["id"] and filed["actor"] == "coder-test"
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


def test_note_creation_and_every_read_of_its_text_are_audited(client, app, keys, queued_note):
    client.get(f"/v1/notes/{queued_note['id']}", headers=keys.coder)
    client.get(f"/v1/notes/{queued_note['id']}", headers=keys.admin)
    trail = client.get("/v1/audit", headers=keys.admin)
    entries = trail.json()["items"]
    created = [entry for entry in entries if entry["action"] == "note.created"]
    reads = [entry for entry in entries if entry["action"] == "note.read"]
    assert len(created) == 1
    assert created[0]["actor"] == "coder-test" and created[0]["actor_key_id"] == keys.coder_id
    assert created[0]["target"] == queued_note["id"] and created[0]["at"]
    assert [(entry["actor"], entry["target"]) for entry in reads] == [
        ("admin-test", queued_note["id"]),
        ("coder-test", queued_note["id"]),
    ]
    assert "diabetes" not in trail.text.lower()  # who, when, which note: never the text


def test_listing_notes_is_not_a_read_of_their_text(client, app, keys, queued_note):
    client.get("/v1/notes", headers=keys.coder)
    actions = [entry["action"] for entry in client.get("/v1/audit", headers=keys.admin).json()["items"]]
    assert "note.read" not in actions
