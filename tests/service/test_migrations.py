"""The Alembic migrations on a database holding data written by an older revision (SQLite)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from service.store.database import open_database
from service.store.migrate import _alembic_config, current_revision, head_revision
from service.store.models import Review


def _migrate(database, revision: str, *, down: bool = False) -> None:
    config = _alembic_config()
    with database.write_connection() as connection, connection.begin():
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_0003_keeps_old_reviews_and_reads_them_without_order_or_poa(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    _migrate(database, "0002")
    with database.engine.begin() as connection:
        now = "2026-12-01 00:00:00+00:00"
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, role, key_hash, key_prefix, created_at) "
                "VALUES ('k1', 'coder', 'coder', 'h', 'cc_', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO notes (id, setting, text, model_id, suggestions, suggestion_count, created_by, "
                "created_at) VALUES ('n1', 'inpatient', 'note', 'm1', '{}', 0, 'k1', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO reviews (id, note_id, version, request_hash, coder_key_id, coder_name, model_id, "
                "created_at) VALUES ('r1', 'n1', 1, 'x', 'k1', 'coder', 'm1', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text("INSERT INTO review_codes (review_id, code, decision) VALUES ('r1', 'E11.9', 'accepted')")
        )
    _migrate(database, "head")
    assert current_revision(database) == head_revision()
    with database.session() as session:
        review = session.get(Review, "r1")
        assert review is not None
        assert review.codes_with("accepted") == ["E11.9"]
        assert review.sequence == [] and review.poa == []
    _migrate(database, "0002", down=True)  # and back: the old rows survive the downgrade
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT code FROM review_codes")).scalars().all() == ["E11.9"]
    database.dispose()


def test_0006_queries_adds_the_table_on_a_0003_database_and_drops_it_again(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    database = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    _migrate(database, "0003")
    assert "provider_queries" not in inspect(database.engine).get_table_names()
    _migrate(database, "0006_queries")
    columns = {column["name"] for column in inspect(database.engine).get_columns("provider_queries")}
    assert {"note_id", "finding_kind", "question", "status", "answer_kind", "closed_at", "text_purged_at"} <= columns
    _migrate(database, "0003", down=True)
    assert "provider_queries" not in inspect(database.engine).get_table_names()


def test_0004_filing_tables_upgrade_and_downgrade(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    database = open_database(f"sqlite:///{tmp_path / 'filing.db'}")
    _migrate(database, "0004")
    tables = set(inspect(database.engine).get_table_names())
    assert {"filed_encounters", "filed_codes"} <= tables
    indexes = {index["name"] for index in inspect(database.engine).get_indexes("filed_codes")}
    assert "ix_filed_codes_current_reported_code" in indexes
    _migrate(database, "0003", down=True)
    assert not {"filed_encounters", "filed_codes"} & set(inspect(database.engine).get_table_names())
    database.dispose()


def test_0007_copies_service_dates_and_categories_onto_filed_codes_and_back(database_url: str) -> None:
    """Filed codes written at 0005_encounters get their encounter's service date and their category, the code
    searches answer from the new indexes, and a downgrade restores the (code, filed id) index (both databases)."""
    from datetime import date

    from sqlalchemy import inspect

    from service.store.filed_search import FiledSearch, search_filed

    database = open_database(database_url)
    _migrate(database, "0005_encounters")
    with database.engine.begin() as connection:
        for filed_id, day, current in (
            ("f1", "2026-03-02", True),
            ("f0", "2026-01-05", False),
            ("f2", "2026-02-01", True),
        ):
            connection.execute(
                text(
                    "INSERT INTO filed_encounters (id, encounter_id, version, current, service_start, setting, "
                    "coder_name, status, model_id, filed_at) VALUES (:id, :encounter, :version, :current, :day, "
                    "'outpatient', 'coder', 'filed', 'm1', :now)"
                ),
                {
                    "id": filed_id,
                    "encounter": "e2" if filed_id == "f2" else "e1",
                    "version": 2 if filed_id == "f1" else 1,
                    "current": current,
                    "day": date.fromisoformat(day),
                    "now": "2026-12-07 10:00:00",
                },
            )
        rows = [("f1", "E11.9", "accepted", True), ("f1", "I10", "rejected", True), ("f0", "E11.9", "accepted", False)]
        rows += [("f2", "E13.8", "added", True), ("f2", "E11.65", "accepted", True)]
        for filed_id, code, decision, current in rows:
            connection.execute(
                text(
                    "INSERT INTO filed_codes (filed_id, code, decision, current, evidence) "
                    "VALUES (:filed_id, :code, :decision, :current, '[]')"
                ),
                {"filed_id": filed_id, "code": code, "decision": decision, "current": current},
            )
    _migrate(database, "head")
    assert current_revision(database) == head_revision()
    with database.engine.connect() as connection:
        copied = connection.execute(
            text("SELECT filed_id, code, category, service_start FROM filed_codes ORDER BY filed_id, code")
        ).all()
    assert [(filed_id, code, category, str(day)) for filed_id, code, category, day in copied] == [
        ("f0", "E11.9", "E11", "2026-01-05"),
        ("f1", "E11.9", "E11", "2026-03-02"),
        ("f1", "I10", "I10", "2026-03-02"),
        ("f2", "E11.65", "E11", "2026-02-01"),
        ("f2", "E13.8", "E13", "2026-02-01"),
    ]
    indexes = {index["name"] for index in inspect(database.engine).get_indexes("filed_codes")}
    assert {"ix_filed_codes_current_reported_code_date", "ix_filed_codes_current_reported_category_date"} <= indexes
    assert "ix_filed_codes_current_reported_code" not in indexes
    with database.session() as session:
        # the latest version answers (f1, not f0); a rejected code matches nothing; newest service date first
        assert [item.id for item in search_filed(session, FiledSearch(code="E11.9")).items] == ["f1"]
        assert [item.id for item in search_filed(session, FiledSearch(code_prefix="E11.")).items] == ["f1", "f2"]
        ranged = search_filed(session, FiledSearch(code_from="E12", code_to="E13.9"))
        assert [item.id for item in ranged.items] == ["f2"] and ranged.total == 1
        assert search_filed(session, FiledSearch(code="I10")).total == 0
    _migrate(database, "0005_encounters", down=True)
    indexes = {index["name"] for index in inspect(database.engine).get_indexes("filed_codes")}
    assert "ix_filed_codes_current_reported_code" in indexes
    assert not {"category", "service_start"} & {
        column["name"] for column in inspect(database.engine).get_columns("filed_codes")
    }
    database.dispose()
