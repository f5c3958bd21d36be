"""Opening the database: one SQLAlchemy engine per process, sessions per request.

SQLite runs in WAL mode with ``synchronous=FULL`` so a committed transaction survives a crash or power loss
(the service answers a write only after its commit), and write transactions start with ``BEGIN IMMEDIATE``
so concurrent writers queue on the busy timeout instead of failing with "database is locked" when a read
transaction tries to upgrade. PostgreSQL keeps its durable defaults; sessions use UTC.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from vocab.file_modes import PRIVATE

__all__ = ["Database", "open_database", "write_transaction"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "chartcoder_write"


class Database:
    """An engine and its session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self) -> Session:
        return self.sessions()

    def write_connection(self) -> Connection:
        """A connection whose transactions take the write lock at BEGIN (SQLite); plain elsewhere."""
        return self.engine.connect().execution_options(**{_WRITE_OPTION: True})

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()


class _NoRowsLogger(logging.LoggerAdapter[Any]):
    """The engine's logger, minus DEBUG: at DEBUG SQLAlchemy logs every result row, and rows hold note text."""

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


def open_database(url: str, *, file_mode: int = PRIVATE.file) -> Database:
    """An engine for ``url`` that never logs note text: no parameters (also kept out of error messages), no rows.

    A new SQLite file is created with ``file_mode`` (owner-only unless told), whatever the process umask; SQLite
    gives its ``-wal`` and ``-shm`` files the database file's mode.
    """
    parsed = make_url(url)
    options: dict[str, Any] = {"hide_parameters": True, "pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_sqlite_file(Path(parsed.database), file_mode)
        options["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(parsed, **options)
        _configure_sqlite(engine)
    else:
        if parsed.get_backend_name() == "postgresql":
            server_options = " ".join(filter(None, [str(parsed.query.get("options", "")), "-c timezone=UTC"]))
            parsed = parsed.difference_update_query(["options"])
            options["connect_args"] = {"options": server_options}
        engine = create_engine(parsed, **options)
    engine.logger = _NoRowsLogger(engine.logger)  # type: ignore[assignment]
    return Database(engine)


def _create_sqlite_file(path: Path, file_mode: int) -> None:
    folder_mode = file_mode | ((file_mode & 0o444) >> 2)  # 0600 -> 0700, 0640 -> 0750: searchable where readable
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, mode=folder_mode, exist_ok=True)
        os.chmod(path.parent, folder_mode)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, file_mode)
    except FileExistsError:
        return  # an existing database keeps its mode (the service warns at start when it is too open)
    os.close(descriptor)
    os.chmod(path, file_mode)  # os.open's mode is reduced by the umask, never raised: set it exactly


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's implicit, deferred one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """A transaction that will write: takes SQLite's write lock up front; commits on success, else rolls back."""
    if session.in_transaction():
        session.rollback()  # a read transaction cannot be upgraded safely: start afresh
    with session.begin():
        session.connection(execution_options={_WRITE_OPTION: True})
        yield session
