"""Running the Alembic migrations shipped in this package, from code (server start-up, ``chartcoder db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from service.store.database import Database, open_database
from vocab.file_modes import PRIVATE

__all__ = ["MIGRATIONS_DIR", "current_revision", "head_revision", "open_migrated", "upgrade_to_head"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant works: it only has to be the same in every process that migrates this database.
_POSTGRES_MIGRATION_LOCK = 0x63686172


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(database: Database) -> str:
    """Bring the schema to the newest revision; safe when several processes start at once. Returns it."""
    config = _alembic_config()
    # One transaction holding the write lock: a second process waits, then finds the schema at head.
    with database.write_connection() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_POSTGRES_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head_revision()


def open_migrated(url: str, *, file_mode: int = PRIVATE.file) -> Database:
    """Open the database at ``url`` with its schema at head (a new SQLite file gets ``file_mode``)."""
    database = open_database(url, file_mode=file_mode)
    upgrade_to_head(database)
    return database
