"""``chartcoder export``: filed encounters out of the service database, streamed (FHIR, CSV, JSONL)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from cli._common import HomeOption, console, fail, user_errors
from cli.keys_commands import cli_actor, service_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["export"]

_FORMAT_HELP = "csv and jsonl: one row per code; fhir: one FHIR R4B Bundle per encounter per line (NDJSON)."


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} takes a date as YYYY-MM-DD.") from None


def export(
    format: Annotated[str, typer.Option("--format", help=_FORMAT_HELP)] = "csv",
    service_from: Annotated[
        str | None, typer.Option("--from", help="First service date on or after this day (YYYY-MM-DD).")
    ] = None,
    service_to: Annotated[
        str | None, typer.Option("--to", help="First service date on or before this day (YYYY-MM-DD).")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="A file to write (default: stdout).")] = None,
    home: HomeOption = None,
) -> None:
    """Export the filed encounters (each one's latest version) whose service dates fall in --from..--to.

    Streams from the database in batches: memory does not grow with the number of rows. Audited
    (``encounters.exported``: who, format, dates, how many; never a patient id).
    """
    from service.export.files import FORMATS

    if format not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}.")
    first, last = _day(service_from, "--from"), _day(service_to, "--to")
    if first and last and first > last:
        raise fail("--to is before --from.")
    with user_errors(), service_session(home) as session:
        if output is None:
            written = _export(session, format, first, last, sys.stdout, home)
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                written = _export(session, format, first, last, out, home)
        _audit(session, format, first, last, written)
    if output is not None:
        console.print(f"Wrote {written} code row(s) to {output}.")


def _export(
    session: Session, format: str, first: date | None, last: date | None, out: TextIO, home: Path | None
) -> int:
    from service.export.evidence import note_words
    from service.export.files import write_csv, write_fhir_ndjson, write_jsonl
    from service.store.filed_search import FiledSearch, iter_filed

    # the files carry no evidence; FHIR quotes its words
    filed = iter_filed(session, FiledSearch(service_from=first, service_to=last), evidence=format == "fhir")
    if format == "csv":
        return write_csv(filed, out)
    if format == "jsonl":
        return write_jsonl(filed, out)
    from vocab.vocabulary import load_vocabulary

    codeset = load_vocabulary(home).codeset

    def describe(code: str) -> str | None:
        known = codeset.get(code)
        return known.description if known else None

    return write_fhir_ndjson(filed, out, describe, lambda: note_words(session))


def _audit(session: Session, format: str, first: date | None, last: date | None, written: int) -> None:
    from service.store.database import write_transaction
    from service.store.repositories import AuditRepository

    with write_transaction(session):
        AuditRepository(session).record(
            cli_actor(),
            "encounters.exported",
            details={
                "format": format,
                "service_from": first.isoformat() if first else None,
                "service_to": last.isoformat() if last else None,
                "codes": written,
            },
        )
