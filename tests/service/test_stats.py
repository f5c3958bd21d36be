"""GET /v1/stats on a known set of reviews."""

from __future__ import annotations

from datetime import UTC, datetime

from service.store.repositories import NoteRepository


def _suggestions(model: str, codes: list[str]) -> dict:
    return {
        "note_id": None,
        "code_set": "ICD-10-CM FY2026",
        "model": model,
        "setting": "outpatient",
        "suggestions": [
            {
                "rank": rank,
                "code": code,
                "description": code,
                "score": 0.9,
                "billable": True,
                "evidence": [],
                "flags": [],
                "rationale": "test",
            }
            for rank, code in enumerate(codes, start=1)
        ],
        "excluded": [],
    }


def _note(app, key_id: str, model: str, codes: list[str]) -> str:
    with app.state.database.session() as session:
        note = NoteRepository(session).add(
            text="Synthetic note.",
            setting="outpatient",
            external_id=None,
            encounter=None,
            suggestions=_suggestions(model, codes),
            created_by=key_id,
        )
    return note.id


def _review(client, headers, note_id: str, **codes: list[str]) -> None:
    response = client.post(f"/v1/notes/{note_id}/review", json=codes, headers=headers)
    assert response.status_code == 201, response.text


def test_stats_count_latest_reviews_per_code_model_and_day(client, app, keys):
    note1 = _note(app, keys.coder_id, "model-a", ["E11.22", "I10"])
    note2 = _note(app, keys.coder_id, "model-a", ["E11.9"])
    note3 = _note(app, keys.coder_id, "model-b", ["I10", "J18.9"])
    _note(app, keys.coder_id, "model-b", ["I10"])  # never reviewed
    _review(client, keys.coder, note1, accepted=["E11.22"], rejected=["I10"], added=["I48.0"])
    _review(client, keys.coder, note1, accepted=["E11.22", "I10"], added=["I48.0"])  # version 2 replaces 1
    _review(client, keys.coder, note2, rejected=["E11.9"], added=["I48.0", "J18.9"])
    _review(client, keys.admin, note3, accepted=["I10", "J18.9"])

    stats = client.get("/v1/stats", headers=keys.coder)
    assert stats.status_code == 200
    body = stats.json()
    today = datetime.now(UTC).date().isoformat()
    assert body["reviews_total"] == 4
    assert body["notes_reviewed"] == 3
    assert body["reviews_per_day"] == [{"day": today, "reviews": 4}]
    assert (body["accepted"], body["rejected"], body["acceptance_rate"]) == (4, 1, 0.8)
    assert [(row["code"], row["accepted"], row["rejected"], row["acceptance_rate"]) for row in body["per_code"]] == [
        ("I10", 2, 0, 1.0),
        ("E11.22", 1, 0, 1.0),
        ("E11.9", 0, 1, 0.0),
        ("J18.9", 1, 0, 1.0),
    ]
    assert body["per_code"][0]["description"] == "Essential (primary) hypertension"
    assert [(row["model"], row["reviews"], row["accepted"], row["rejected"]) for row in body["per_model"]] == [
        ("model-a", 2, 2, 1),
        ("model-b", 1, 2, 0),
    ]
    assert body["per_model"][0]["acceptance_rate"] == 0.6667
    assert [(row["code"], row["count"]) for row in body["most_added"]] == [("I48.0", 2), ("J18.9", 1)]

    recent = client.get("/v1/stats?days=1&top=1", headers=keys.coder).json()
    assert recent["reviews_total"] == 4
    assert len(recent["per_code"]) == 1 and len(recent["most_added"]) == 1


def test_stats_with_no_reviews(client, keys):
    body = client.get("/v1/stats", headers=keys.coder).json()
    assert body["reviews_total"] == 0
    assert body["acceptance_rate"] is None
    assert body["per_code"] == body["per_model"] == body["most_added"] == body["reviews_per_day"] == []
