"""Migration 0005_encounters: the encounter tables, append-only reviews, and the way back (SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from service.store.database import open_database
from service.store.migrate import _alembic_config

TABLES = {"encounters", "encounter_documents", "encounter_reviews", "encounter_review_codes"}


def _migrate(database, revision: str, *, down: bool = False) -> None:
    config = _alembic_config()
    with database.write_connection() as connection, connection.begin():
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_0005_adds_the_encounter_tables_with_append_only_reviews_and_goes_back(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'enc.db'}")
    _migrate(database, "head")
    assert set(inspect(database.engine).get_table_names()) >= TABLES
    now = "2026-12-07 00:00:00+00:00"
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, role, key_hash, key_prefix, created_at) "
                "VALUES ('k1', 'coder', 'coder', 'h', 'cc_', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO encounters (id, setting, details, model_id, suggestions, suggestion_count, "
                "document_count, created_by, created_at) VALUES ('e1', 'inpatient', '{}', 'm', '{}', 0, 1, 'k1', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO encounter_reviews (id, encounter_id, version, request_hash, coder_key_id, coder_name, "
                "model_id, seconds_to_submit, created_at) VALUES ('r1', 'e1', 1, 'x', 'k1', 'coder', 'm', 12.5, :now)"
            ),
            {"now": now},
        )
    with pytest.raises(DatabaseError, match="append-only"), database.engine.begin() as connection:
        connection.execute(text("UPDATE encounter_reviews SET seconds_to_submit = 1"))
    with pytest.raises(DatabaseError, match="append-only"), database.engine.begin() as connection:
        connection.execute(text("DELETE FROM encounter_reviews"))
    _migrate(database, "0006_queries", down=True)  # 0005's own revision below it (later ones go first)
    assert not TABLES & set(inspect(database.engine).get_table_names())
    database.dispose()
