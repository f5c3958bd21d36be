"""Provider queries over HTTP: draft from a finding, send, answer or withdraw, queue, stats, audit, retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from service.store.models import ProviderQuery, utcnow
from service.store.queries import QueryRepository
from service.store.repositories import NoteRepository, cutoff
from tests.service.conftest import DIABETES_NOTE

OTHER = "Other (please specify)"
UNDETERMINED = "Unable to determine / clinically undetermined"


def _finding(note_text: str, words: str = "Type 2 diabetes mellitus with diabetic chronic kidney disease") -> dict:
    start = note_text.index(words)
    return {
        "kind": "specificity.ckd_stage",
        "severity": "info",
        "message": "Chronic kidney disease without a stage.",
        "basis": "ICD-10-CM Official Guidelines I.C.14.a",
        "evidence": [{"start": start, "end": start + len(words), "text": words, "section": "assessment_plan"}],
        "needs_query": True,
    }


def _send(client, keys, note: dict[str, Any], **changes: Any) -> Any:
    finding = _finding(note["text"])
    draft = client.post("/v1/queries/draft", json={"note_id": note["id"], "finding": finding}, headers=keys.coder)
    assert draft.status_code == 200, draft.text
    body = {"note_id": note["id"], "finding": finding, "question": draft.json()["question"]}
    body["options"] = draft.json()["options"]
    body.update(changes)
    return client.post("/v1/queries", json=body, headers=keys.coder)


def test_draft_send_answer_is_audited_and_counted(client, keys, queued_note):
    draft = client.post(
        "/v1/queries/draft", json={"note_id": queued_note["id"], "finding": _finding(DIABETES_NOTE)}, headers=keys.coder
    ).json()
    assert "stage of chronic kidney disease" in draft["question"]
    assert draft["options"][-2:] == [OTHER, UNDETERMINED]
    assert '"Type 2 diabetes mellitus with diabetic chronic kidney disease"' in draft["text"]

    sent = _send(client, keys, queued_note)
    assert sent.status_code == 201, sent.text
    query = sent.json()
    assert query["status"] == "open" and query["text"].startswith("Clinical indicators")
    queue = client.get("/v1/notes", headers=keys.coder).json()["items"]
    assert [(item["status"], item["open_queries"]) for item in queue] == [("query_open", 1)]
    assert client.get("/v1/notes?status=query_open", headers=keys.coder).json()["total"] == 1
    assert client.get("/v1/notes?status=pending", headers=keys.coder).json()["total"] == 0

    answered = client.post(f"/v1/queries/{query['id']}/answer", json={"option": 4, "text": "CKD 4"}, headers=keys.coder)
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered" and answered.json()["answer_kind"] == "clinical"
    assert answered.json()["answer_text"] == "CKD 4"
    again = client.post(f"/v1/queries/{query['id']}/withdraw", json={}, headers=keys.coder)
    assert again.status_code == 409

    assert client.get("/v1/notes", headers=keys.coder).json()["items"][0]["status"] == "pending"
    stats = client.get("/v1/stats", headers=keys.coder).json()["queries"]
    assert stats["raised"] == 1 and stats["answered"] == 1 and stats["open"] == 0 and stats["answer_rate"] == 1.0
    assert stats["median_hours_to_answer"] is not None and stats["median_hours_to_answer"] >= 0
    assert stats["by_kind"] == [
        {"kind": "specificity.ckd_stage", "raised": 1, "open": 0, "answered": 1, "withdrawn": 0}
    ]
    assert stats["answers"] == {"clinical": 1, "other": 0, "undetermined": 0}

    audit = client.get("/v1/audit", headers=keys.admin).json()["items"]
    actions = [entry["action"] for entry in audit]
    assert "query.created" in actions and "query.answered" in actions
    assert "kidney" not in str(audit), "the audit trail never holds the query's words"


def test_the_queue_filters_by_status_note_kind_and_age(client, app, keys, queued_note):
    first = _send(client, keys, queued_note).json()
    second = _send(client, keys, queued_note).json()
    client.post(f"/v1/queries/{second['id']}/withdraw", json={"reason": "answered by phone"}, headers=keys.coder)
    with app.state.database.engine.begin() as connection:
        connection.execute(
            update(ProviderQuery).where(ProviderQuery.id == first["id"]).values(created_at=utcnow() - timedelta(days=3))
        )

    def ids(query: str) -> list[str]:
        response = client.get(f"/v1/queries{query}", headers=keys.coder)
        assert response.status_code == 200, response.text
        assert "question" not in response.text and "kidney" not in response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids("") == [first["id"], second["id"]]
    assert ids("?status=open") == [first["id"]]
    assert ids("?status=withdrawn") == [second["id"]]
    assert ids(f"?note_id={queued_note['id']}&older_than_days=2") == [first["id"]]
    assert ids("?kind=specificity.ckd_stage&older_than_days=4") == []
    assert ids("?note_id=someothernote") == []
    assert client.get("/v1/queries?status=closed", headers=keys.coder).status_code == 422


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"question": "Please clarify; this affects reimbursement and the DRG."}, "question"),
        ({"question": "Would you agree the patient has CKD stage 4?"}, "question"),
        ({"options": ["Stage 4", OTHER]}, "options"),
        ({"options": ["Stage 4", UNDETERMINED]}, "options"),
        ({"options": ["Stage 4 (higher payment)", OTHER, UNDETERMINED]}, "options"),
    ],
)
def test_a_leading_or_incomplete_query_is_refused(client, keys, queued_note, changes, field):
    refused = _send(client, keys, queued_note, **changes)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert client.get("/v1/queries", headers=keys.coder).json()["total"] == 0


def test_a_finding_must_quote_the_note(client, keys, queued_note):
    finding = _finding(DIABETES_NOTE)
    finding["evidence"][0]["text"] = "Type 1 diabetes mellitus with diabetic chronic kidney disease"
    refused = client.post(
        "/v1/queries/draft", json={"note_id": queued_note["id"], "finding": finding}, headers=keys.coder
    )
    assert refused.status_code == 422 and refused.json()["field"] == "finding.evidence"
    finding["evidence"] = []
    refused = client.post(
        "/v1/queries/draft", json={"note_id": queued_note["id"], "finding": finding}, headers=keys.coder
    )
    assert refused.status_code == 422 and "E020" in refused.json()["detail"]
    missing = client.post("/v1/queries/draft", json={"note_id": "nosuchnote", "finding": finding}, headers=keys.coder)
    assert missing.status_code == 404


def test_answers_other_needs_words_and_unknown_ids_are_404(client, keys, queued_note):
    query = _send(client, keys, queued_note).json()
    other = query["options"].index(OTHER)
    assert (
        client.post(f"/v1/queries/{query['id']}/answer", json={"option": other}, headers=keys.coder).status_code == 422
    )
    assert client.post(f"/v1/queries/{query['id']}/answer", json={"option": 19}, headers=keys.coder).status_code == 422
    assert client.post("/v1/queries/nosuch/answer", json={"option": 0}, headers=keys.coder).status_code == 404
    assert client.get("/v1/queries/nosuch", headers=keys.coder).status_code == 404
    undetermined = query["options"].index(UNDETERMINED)
    done = client.post(f"/v1/queries/{query['id']}/answer", json={"option": undetermined}, headers=keys.coder).json()
    assert done["answer_kind"] == "undetermined"
    read = client.get(f"/v1/queries/{query['id']}", headers=keys.coder)
    assert read.status_code == 200 and read.json()["question"]
    assert "query.read" in [entry["action"] for entry in client.get("/v1/audit", headers=keys.admin).json()["items"]]


def test_every_route_needs_a_key(client, queued_note):
    assert client.get("/v1/queries").status_code == 401
    assert client.post("/v1/queries/draft", json={}).status_code == 401


def test_query_words_are_purged_with_the_note_and_after_query_retention(client, app, keys, queued_note):
    open_query = _send(client, keys, queued_note).json()
    closed = _send(client, keys, queued_note).json()
    client.post(f"/v1/queries/{closed['id']}/answer", json={"option": 0}, headers=keys.coder)
    with app.state.database.session() as session:
        assert QueryRepository(session).purge_closed(cutoff(-1), actor="test") == 1  # closed before tomorrow
    purged = client.get(f"/v1/queries/{closed['id']}", headers=keys.coder).json()
    assert purged["question"] is None and purged["text"] is None and purged["indicators"] is None
    assert purged["status"] == "answered" and purged["answer_kind"] == "clinical" and purged["text_purged_at"]
    assert client.get(f"/v1/queries/{open_query['id']}", headers=keys.coder).json()["question"], "open ones stay"

    with app.state.database.session() as session:
        assert NoteRepository(session).purge_text(cutoff(-1), actor="test") == 1
    assert client.get(f"/v1/queries/{open_query['id']}", headers=keys.coder).json()["question"] is None
    assert client.get("/v1/stats", headers=keys.coder).json()["queries"]["raised"] == 2, "figures stay"
    entries = client.get("/v1/audit?action=notes.purged", headers=keys.admin).json()["items"]
    assert entries[0]["details"]["queries"] == 1
    draft = client.post(
        "/v1/queries/draft", json={"note_id": queued_note["id"], "finding": _finding(DIABETES_NOTE)}, headers=keys.coder
    )
    assert draft.status_code == 409, "a purged note has nothing left to quote"


def test_no_query_words_in_any_log(caplog, client, keys, queued_note):
    import logging

    from tests.service.test_phi_logs import LOGGERS

    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    marker = "Quillfeather-Marbleworth query marker"
    question = f"Based on your clinical judgment, please clarify the stage ({marker})."
    refused = _send(client, keys, queued_note, question=f"{question} It affects reimbursement.")
    answered = _send(client, keys, queued_note, question=question).json()
    withdrawn = _send(client, keys, queued_note, question=question).json()
    statuses = [
        refused.status_code,
        client.get(f"/v1/queries/{answered['id']}", headers=keys.coder).status_code,
        client.post(
            f"/v1/queries/{answered['id']}/answer", json={"option": 0, "text": marker}, headers=keys.coder
        ).status_code,
        client.post(f"/v1/queries/{withdrawn['id']}/withdraw", json={"reason": marker}, headers=keys.coder).status_code,
        client.post(
            f"/v1/queries/{withdrawn['id']}/answer", json={"option": 0, "text": marker}, headers=keys.coder
        ).status_code,
    ]
    assert statuses == [422, 200, 200, 200, 409]
    assert caplog.records, "the logs were captured"
    assert marker not in caplog.text
    assert "chronic kidney disease" not in caplog.text


def test_db_purge_purges_closed_queries_past_query_retention(
    client, app, keys, queued_note, service_home, database_url, monkeypatch
):
    from typer.testing import CliRunner

    from cli.main import app as cli_app

    closed = _send(client, keys, queued_note).json()
    client.post(f"/v1/queries/{closed['id']}/answer", json={"option": 0}, headers=keys.coder)
    with app.state.database.engine.begin() as connection:
        connection.execute(
            update(ProviderQuery)
            .where(ProviderQuery.id == closed["id"])
            .values(closed_at=utcnow() - timedelta(days=10))
        )
    monkeypatch.setenv("CHARTCODER_DATABASE_URL", database_url)
    monkeypatch.setenv("CHARTCODER_QUERY_RETENTION_DAYS", "7")
    result = CliRunner().invoke(cli_app, ["db", "purge", "--home", str(service_home)])
    assert result.exit_code == 0, result.output
    assert "Purged the words of 1 provider queries" in result.output
    assert client.get(f"/v1/queries/{closed['id']}", headers=keys.coder).json()["question"] is None
    assert client.get(f"/v1/notes/{queued_note['id']}", headers=keys.coder).json()["text"], "notes are kept"


@pytest.mark.parametrize("settings_overrides", [{"query_retention_days": 1, "purge_interval_s": 0.05}])
def test_the_server_purges_closed_queries_periodically(client, app, keys, queued_note):
    from tests.service.conftest import eventually

    closed = _send(client, keys, queued_note).json()
    client.post(f"/v1/queries/{closed['id']}/answer", json={"option": 0}, headers=keys.coder)
    with app.state.database.engine.begin() as connection:
        connection.execute(
            update(ProviderQuery).where(ProviderQuery.id == closed["id"]).values(closed_at=utcnow() - timedelta(days=2))
        )
    purged = eventually(
        lambda: client.get(f"/v1/queries/{closed['id']}", headers=keys.coder).json()["question"] is None
    )
    assert purged, "the periodic purge did not blank the closed query"
