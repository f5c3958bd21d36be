"""Fixtures of the HTTP service tests: an app on SQLite (and on PostgreSQL when one is given), keys, a client.

The PostgreSQL leg runs when ``CHARTCODER_TEST_POSTGRES_URL`` names a server (``bash .ci/start-postgres.sh``
starts one and prints the URL); each test gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

POSTGRES_ENV = "CHARTCODER_TEST_POSTGRES_URL"
DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def engine(mini_vocabulary):
    """The real suggestion engine over the mini code set, loaded once for every app of the session."""
    from suggest.pipeline import load_engine

    return load_engine(mini_vocabulary)


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL leg: set {POSTGRES_ENV} (bash .ci/start-postgres.sh starts a server, prints it)")
    pytest.importorskip("psycopg", reason="PostgreSQL leg: install psycopg[binary]")
    return url


def _postgres_schema_url(base_url: str) -> Iterator[str]:
    """A URL whose connections work in a fresh schema of their own; the schema is dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chartcoder.db'}"
    else:
        yield from _postgres_schema_url(request.getfixturevalue("postgres_base_url"))


@pytest.fixture
def service_home(tmp_path: Path, mini_home: Path) -> Path:
    """A data folder for one test whose code set is the mini one (shared, read-only)."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)  # as the service makes it (owner-only): no start-up warning in every test
    (home / "codeset").symlink_to(mini_home / "codeset", target_is_directory=True)
    return home


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or with ``@pytest.mark.parametrize``) to change settings."""
    return {}


@pytest.fixture
def settings(service_home: Path, database_url: str, settings_overrides: dict[str, Any]):
    from service.settings import Settings

    return Settings(home=service_home, database_url=database_url, **settings_overrides)


@pytest.fixture
def app(settings, mini_vocabulary, engine):
    from service.app import create_app

    return create_app(settings, vocabulary=mini_vocabulary, engine=engine)


@pytest.fixture
def client(app) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:  # runs the lifespan: migrations, engine, purge task
        yield test_client


@dataclass(frozen=True)
class Keys:
    admin: dict[str, str]
    coder: dict[str, str]
    coder_id: str
    admin_id: str


def make_key(app, name: str, role: str) -> tuple[str, str]:
    """A new key's id and token, made directly in the app's database (as `chartcoder keys create` does)."""
    from service.store.repositories import KeyRepository

    with app.state.database.session() as session:
        key, token = KeyRepository(session).create(name, role, actor="test")
    return key.id, token


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` in a thread of its own: Playwright's sync API (tests/e2e, run earlier in the
    same session) keeps an event loop running in the main thread, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def eventually(check, timeout_s: float = 10.0) -> Any:
    """``check()``'s first truthy value, polled until ``timeout_s``; its last value when none came."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def keys(client, app) -> Keys:
    admin_id, admin_token = make_key(app, "admin-test", "admin")
    coder_id, coder_token = make_key(app, "coder-test", "coder")
    return Keys(admin=bearer(admin_token), coder=bearer(coder_token), coder_id=coder_id, admin_id=admin_id)


DIABETES_NOTE = (
    "ASSESSMENT AND PLAN:\n"
    "1. Type 2 diabetes mellitus with diabetic chronic kidney disease. Continue metformin.\n"
    "2. Atrial fibrillation, rate controlled.\n"
    "Denies chest pain."
)


@pytest.fixture
def queued_note(client, keys) -> dict[str, Any]:
    """A note in the work queue (stored with its suggestions) whose suggestions are not empty."""
    response = client.post("/v1/notes", json={"text": DIABETES_NOTE, "note_id": "visit-1"}, headers=keys.coder)
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["suggestions"]["suggestions"], "the fixture note should get suggestions from the mini code set"
    return note
