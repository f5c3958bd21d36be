"""``chartcoder db``: migrate the service database, purge note text past the retention period."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._common import HomeOption, console, fail, user_errors
from cli.keys_commands import cli_actor, service_session

__all__ = ["app"]

app = typer.Typer(help="The HTTP service's database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(home: HomeOption = None) -> None:
    """Create or migrate the database to the newest schema (the server also does this at start)."""
    from service.settings import load_settings
    from service.store.migrate import current_revision, open_migrated

    with user_errors():
        database = open_migrated(load_settings(home=home).resolved_database_url)
        revision = current_revision(database)
        url = database.url
        database.dispose()
    console.print(f"Database {url} is at revision {revision}.")


@app.command("purge")
def purge(
    older_than_days: Annotated[
        int | None,
        typer.Option("--older-than-days", min=1, help="Default: the retention_days setting."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Blank the text of notes older than the retention period (codes and reviews are kept)."""
    from service.settings import load_settings
    from service.store.encounter_repository import EncounterRepository
    from service.store.repositories import NoteRepository, cutoff

    settings = load_settings(home=home)
    days = older_than_days or settings.retention_days
    if days is None:
        raise fail("No retention period is set: pass --older-than-days N or set CHARTCODER_RETENTION_DAYS.")
    with user_errors(), service_session(home) as session:
        purged = NoteRepository(session).purge_text(cutoff(days), actor=cli_actor())
        encounters = EncounterRepository(session).purge_text(cutoff(days), actor=cli_actor())
    console.print(f"Purged the text of {purged} note(s) and {encounters} encounter(s) older than {days} day(s).")
