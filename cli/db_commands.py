"""``chartcoder db``: migrate the service database, purge note text (and provider queries) past retention."""

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
    queries_older_than_days: Annotated[
        int | None,
        typer.Option(
            "--queries-older-than-days",
            min=1,
            help="Provider queries answered or withdrawn this long ago. Default: the query_retention_days setting.",
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Blank the text of notes older than the retention period, with their provider queries' words (codes,
    reviews and query statuses are kept); and the words of closed queries past the query retention period."""
    from service.settings import load_settings
    from service.store.encounter_repository import EncounterRepository
    from service.store.queries import QueryRepository
    from service.store.repositories import NoteRepository, cutoff

    settings = load_settings(home=home)
    days = older_than_days or settings.retention_days
    query_days = queries_older_than_days or settings.query_retention_days
    if days is None and query_days is None:
        raise fail(
            "No retention period is set: pass --older-than-days N (or --queries-older-than-days N) or set "
            "CHARTCODER_RETENTION_DAYS (or CHARTCODER_QUERY_RETENTION_DAYS)."
        )
    with user_errors(), service_session(home) as session:
        if days is not None:
            purged = NoteRepository(session).purge_text(cutoff(days), actor=cli_actor())
            encounters = EncounterRepository(session).purge_text(cutoff(days), actor=cli_actor())
            console.print(
                f"Purged the text of {purged} note(s) and {encounters} encounter(s) older than {days} day(s)."
            )
        if query_days is not None:
            queries = QueryRepository(session).purge_closed(cutoff(query_days), actor=cli_actor())
            console.print(f"Purged the words of {queries} provider queries closed over {query_days} day(s) ago.")
