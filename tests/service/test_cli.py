"""``chartcoder keys`` and ``chartcoder db``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app as cli_app


@pytest.fixture
def run(service_home, database_url, monkeypatch):
    monkeypatch.setenv("CHARTCODER_DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli_app, [*args, "--home", str(service_home)])

    return invoke


def test_keys_create_list_revoke(run, database_url):
    from service.store.database import open_database
    from service.store.repositories import KeyRepository

    created = run("keys", "create", "--name", "alice", "--role", "coder", "--json")
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)
    assert key["key"].startswith("cc_") and key["role"] == "coder"
    plain = run("keys", "create", "--name", "root", "--role", "admin")
    assert plain.exit_code == 0 and "shown this once" in plain.output
    assert run("keys", "create", "--name", "alice").exit_code == 2  # names are unique
    assert run("keys", "create", "--name", "x", "--role", "boss").exit_code == 2

    listed = json.loads(run("keys", "list", "--json").output)
    assert [(row["name"], row["role"], row["revoked"]) for row in listed] == [
        ("alice", "coder", None),
        ("root", "admin", None),
    ]
    assert key["key"] not in run("keys", "list").output

    assert run("keys", "revoke", "alice").exit_code == 0
    assert run("keys", "revoke", "nobody").exit_code == 2
    assert json.loads(run("keys", "list", "--json").output)[0]["revoked"] is not None
    database = open_database(database_url)
    with database.session() as session:
        assert KeyRepository(session).authenticate(key["key"]) is None
    database.dispose()


def test_db_upgrade(run):
    from service.store.migrate import head_revision

    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output
