"""The work queue: POST /v1/notes stores a note with its suggestions; lists never show note text."""

from __future__ import annotations

from tests.service.conftest import DIABETES_NOTE


def test_a_queued_note_keeps_text_suggestions_and_metadata(client, keys, engine):
    body = {
        "text": DIABETES_NOTE,
        "setting": "inpatient",
        "note_id": "enc-77",
        "encounter": {"encounter_id": "E-1", "encounter_date": "2026-01-15", "patient_sex": "female"},
    }
    created = client.post("/v1/notes", json=body, headers=keys.coder)
    assert created.status_code == 201, created.text
    note = created.json()
    assert note["status"] == "pending"
    assert note["text"] == DIABETES_NOTE
    assert note["model"] == engine.model_id
    # the documentation list (findings) reads [] where the engine reports none
    expected = {"documentation": [], **engine.suggest(DIABETES_NOTE, setting="inpatient", note_id="enc-77").to_dict()}
    assert note["suggestions"] == expected
    assert note["encounter"]["encounter_date"] == "2026-01-15"
    fetched = client.get(f"/v1/notes/{note['id']}", headers=keys.coder).json()
    assert fetched == note


def test_lists_carry_no_note_text(client, keys, queued_note):
    client.post("/v1/notes", json={"text": "Essential hypertension, stable."}, headers=keys.coder)
    page = client.get("/v1/notes", headers=keys.coder)
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 2
    assert "diabetes" not in page.text.lower() and "hypertension" not in page.text.lower()
    item = next(item for item in body["items"] if item["id"] == queued_note["id"])
    assert set(item) == {
        "id",
        "external_id",
        "status",
        "setting",
        "model",
        "suggestion_count",
        "review_count",
        "open_queries",
        "created_at",
    }
    assert item["suggestion_count"] == len(queued_note["suggestions"]["suggestions"])


def test_status_filter_and_paging(client, keys, queued_note):
    other = client.post("/v1/notes", json={"text": "Atrial fibrillation."}, headers=keys.coder).json()
    code = queued_note["suggestions"]["suggestions"][0]["code"]
    review = client.post(f"/v1/notes/{queued_note['id']}/review", json={"accepted": [code]}, headers=keys.coder)
    assert review.status_code == 201
    pending = client.get("/v1/notes?status=pending", headers=keys.coder).json()
    reviewed = client.get("/v1/notes?status=reviewed", headers=keys.coder).json()
    assert [item["id"] for item in pending["items"]] == [other["id"]]
    assert [item["id"] for item in reviewed["items"]] == [queued_note["id"]]
    assert reviewed["items"][0]["review_count"] == 1
    first = client.get("/v1/notes?limit=1&offset=0", headers=keys.coder).json()
    second = client.get("/v1/notes?limit=1&offset=1", headers=keys.coder).json()
    assert first["total"] == second["total"] == 2
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {other["id"], queued_note["id"]}
    assert client.get("/v1/notes?status=archived", headers=keys.coder).status_code == 422
    assert client.get("/v1/notes?limit=0", headers=keys.coder).status_code == 422


def test_unknown_note_is_404(client, keys):
    response = client.get("/v1/notes/does-not-exist", headers=keys.coder)
    assert response.status_code == 404
    assert response.json()["error"] == "NoteNotFoundError"


def test_a_bad_note_is_not_queued(client, keys):
    assert client.post("/v1/notes", json={"text": "  "}, headers=keys.coder).status_code == 422
    assert client.post("/v1/notes", json={"text": "x" * 200_001}, headers=keys.coder).status_code == 413
    assert client.get("/v1/notes", headers=keys.coder).json()["total"] == 0
