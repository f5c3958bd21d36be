"""``chartcoder keys``: make, revoke and list the service's API keys (stored hashed; shown once)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli._common import HomeOption, console, user_errors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["app", "cli_actor", "service_session"]

app = typer.Typer(help="API keys of the HTTP service.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ROLE_CHOICES = ("coder", "admin")


def cli_actor() -> str:
    """Who the audit log names for a command run at this terminal."""
    return f"cli:{getpass.getuser()}"


@contextmanager
def service_session(home: Path | None) -> Iterator[Session]:
    """A session on the service database (migrated first), for commands run beside or instead of a server."""
    # Imported here: every chartcoder command loads this module, only these commands need SQLAlchemy.
    from service.settings import load_settings
    from service.store.migrate import open_migrated

    database = open_migrated(load_settings(home=home).resolved_database_url)
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key (unique).")],
    role: Annotated[str, typer.Option("--role", help="coder or admin.")] = "coder",
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Make a key and print it once: only its hash is stored."""
    from service.store.repositories import KeyRepository

    if role not in ROLE_CHOICES:
        raise typer.BadParameter(f"expected one of {', '.join(ROLE_CHOICES)}", param_hint="--role")
    if not name.strip() or len(name) > 100:
        raise typer.BadParameter("give 1 to 100 characters", param_hint="--name")
    with user_errors(), service_session(home) as session:
        key, token = KeyRepository(session).create(name, role, actor=cli_actor())
    if as_json:
        print(json.dumps({"id": key.id, "name": key.name, "role": key.role, "key": token}))
        return
    console.print(f"Created {role} key {name!r} (id {key.id}). It is shown this once; store it now:")
    typer.echo(token)


@app.command("revoke")
def revoke(
    name_or_id: Annotated[str, typer.Argument(help="The key's name or id.")],
    home: HomeOption = None,
) -> None:
    """Revoke a key: requests with it get 401 at once. The key stays listed (and audited)."""
    from service.store.repositories import KeyRepository

    with user_errors(), service_session(home) as session:
        key = KeyRepository(session).revoke(name_or_id, actor=cli_actor())
    console.print(f"Revoked key {key.name!r} (id {key.id}).")


@app.command("list")
def list_keys(as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Every key: name, role, the first characters of the key, when made and when revoked."""
    from service.store.repositories import KeyRepository

    with user_errors(), service_session(home) as session:
        keys = KeyRepository(session).all()
    rows = [
        {
            "id": key.id,
            "name": key.name,
            "role": key.role,
            "prefix": key.key_prefix,
            "created": key.created_at.isoformat(timespec="seconds"),
            "revoked": key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else None,
        }
        for key in keys
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="API keys")
    for column in ("id", "name", "role", "prefix", "created", "revoked"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(str(row[column] or "") for column in ("id", "name", "role", "prefix", "created", "revoked")))
    console.print(table)
