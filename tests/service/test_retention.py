"""The retention setting: note text older than N days is blanked (codes and reviews stay)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from service.store.models import Note, utcnow
from service.store.repositories import NoteRepository, cutoff
from tests.service.conftest import DIABETES_NOTE


def _age(app_or_database, note_id: str, days: int) -> None:
    database = getattr(getattr(app_or_database, "state", None), "database", app_or_database)
    with database.engine.begin() as connection:
        connection.execute(update(Note).where(Note.id == note_id).values(created_at=utcnow() - timedelta(days=days)))


def test_purge_blanks_old_text_and_quoted_evidence_only(client, app, keys, queued_note):
    fresh = client.post("/v1/notes", json={"text": "Atrial fibrillation."}, headers=keys.coder).json()
    _age(app, queued_note["id"], days=40)
    with app.state.database.session() as session:
        assert NoteRepository(session).purge_text(cutoff(30), actor="test") == 1

    old = client.get(f"/v1/notes/{queued_note['id']}", headers=keys.coder).json()
    assert old["text"] is None and old["text_purged_at"] is not None
    assert [item["code"] for item in old["suggestions"]["suggestions"]] == [
        item["code"] for item in queued_note["suggestions"]["suggestions"]
    ]
    evidence = [piece for item in old["suggestions"]["suggestions"] for piece in item["evidence"]]
    assert evidence and all(piece["text"] is None for piece in evidence)
    assert "metformin" not in str(old)
    assert client.get(f"/v1/notes/{fresh['id']}", headers=keys.coder).json()["text"] == "Atrial fibrillation."
    purges = client.get("/v1/audit?action=notes.purged", headers=keys.admin).json()["items"]
    assert purges[0]["details"]["notes"] == 1


@pytest.mark.parametrize("settings_overrides", [{"retention_days": 30, "purge_interval_s": 0.05}])
def test_the_server_purges_periodically(client, app, keys):
    note = client.post("/v1/notes", json={"text": DIABETES_NOTE}, headers=keys.coder).json()
    _age(app, note["id"], days=31)
    deadline = time.monotonic() + 10
    while client.get(f"/v1/notes/{note['id']}", headers=keys.coder).json()["text"] is not None:
        assert time.monotonic() < deadline, "the periodic purge did not run"
        time.sleep(0.05)
    # rounds that purge nothing leave no audit entry
    entries = client.get("/v1/audit?action=notes.purged", headers=keys.admin).json()["items"]
    assert [entry["details"]["notes"] for entry in entries] == [1]
    assert entries[0]["actor"] == "system:retention"


def test_db_purge_command(database_url, service_home, monkeypatch):
    from cli.main import app as cli_app
    from service.store.migrate import open_migrated
    from service.store.repositories import KeyRepository

    monkeypatch.setenv("CHARTCODER_DATABASE_URL", database_url)
    database = open_migrated(database_url)
    with database.session() as session:
        key, _token = KeyRepository(session).create("k", "coder", actor="test")
        note = NoteRepository(session).add(
            text="Old note.",
            setting="outpatient",
            external_id=None,
            encounter=None,
            suggestions={"model": "m", "suggestions": [], "excluded": []},
            created_by=key.id,
        )
    _age(database, note.id, days=10)
    runner = CliRunner()
    result = runner.invoke(cli_app, ["db", "purge", "--home", str(service_home)])
    assert result.exit_code == 2
    assert "No retention period" in result.output
    result = runner.invoke(cli_app, ["db", "purge", "--older-than-days", "7", "--home", str(service_home)])
    assert result.exit_code == 0, result.output
    assert "Purged the text of 1 note" in result.output
    with database.session() as session:
        assert session.get(Note, note.id).text is None
    database.dispose()
