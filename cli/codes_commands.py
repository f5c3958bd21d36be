"""``chartcoder codes``: search the code set and show everything known about a code."""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cli._common import HomeOption, console, fail, user_errors
from vocab.errors import ChartcoderError
from vocab.search import SearchResult, check_query
from vocab.vocabulary import Vocabulary, ensure_vocabulary

app = typer.Typer(help="Search ICD-10-CM codes and show their details.", no_args_is_help=True)

LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, max=500, help="How many results.")]
BillableOption = Annotated[bool, typer.Option("--billable-only", help="Only codes valid on a claim.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ReleaseOption = Annotated[
    str | None, typer.Option("--release", help="The release to search: FY2027, or its effective date 2026-10-01.")
]
DateOption = Annotated[
    str | None, typer.Option("--date", help="Use the release in force on this date of service (YYYY-MM-DD).")
]


def _vocabulary(home: Path | None, release: str | None, on: str | None) -> Vocabulary:
    """The release named by --release, or in force on --date, or today (one of the two at most)."""
    if release is not None and on is not None:
        raise fail("Give --release or --date, not both.")
    if release is None and on is None:
        return ensure_vocabulary(home)
    from vocab.releases import named_release, release_for
    from vocab.settings import get_settings

    folder = home or get_settings().home.expanduser()
    chosen = named_release(folder, release) if release is not None else release_for(on, folder).release
    return ensure_vocabulary(home, chosen.effective)


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words, a code or a code prefix; '-' reads one query per line.")],
    limit: LimitOption = 10,
    billable_only: BillableOption = False,
    as_json: JsonOption = False,
    home: HomeOption = None,
    release: ReleaseOption = None,
    on: DateOption = None,
) -> None:
    """Rank codes for a query: 'type 2 diabetes with ckd', 'E11.2', 'e112', 'pneumo'."""
    with user_errors():
        if query != "-":
            check_query(query)  # a bad query fails before the code set is loaded
        vocabulary = _vocabulary(home, release, on)
        vocabulary.code_search  # noqa: B018 - load the lexicon now: a broken one fails the command, not each line
        if query == "-":
            _search_lines(vocabulary, limit, billable_only)
            return
        results = vocabulary.search(query, limit=limit, billable_only=billable_only)
    if as_json:
        print(json.dumps({"query": query, "results": [result.to_dict() for result in results]}, indent=2))
    else:
        _print_results(query, results)


def _search_lines(vocabulary: Vocabulary, limit: int, billable_only: bool) -> None:
    """One JSON line per input line, written as soon as it is ready (a pipe can drive it query by query).

    A query that cannot be searched (too long, a code that does not exist) gets an ``error`` field and the
    stream goes on; the command then exits 2. Input that is not UTF-8 text stops it at once.
    """
    failures = 0
    for line_number, line in enumerate(_stdin_lines(), start=1):
        if not line.strip():
            continue
        record: dict[str, Any] = {"query": line}
        try:
            found = vocabulary.search(line, limit=limit, billable_only=billable_only)
            record["results"] = [result.to_dict() for result in found]
        except ChartcoderError as error:
            failures += 1
            record["results"] = []
            record["error"] = f"line {line_number}: {error}"
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    if failures:
        raise fail(
            f"{failures} {'query' if failures == 1 else 'queries'} could not be searched (see the error fields)."
        )


def _stdin_lines() -> Iterator[str]:
    """Standard input line by line, as strict UTF-8 text; a clear error (exit 2) for anything else."""
    for line_number, raw in enumerate(sys.stdin.buffer, start=1):
        if b"\x00" in raw:
            raise fail(f"Standard input looks binary (line {line_number} contains NUL bytes), not text.")
        if line_number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as error:
            raise fail(
                f"Standard input is not UTF-8 text (line {line_number}, byte {error.start + 1}: {error.reason})."
            ) from None


def _print_results(query: str, results: list[SearchResult]) -> None:
    if not results:
        console.print(f"No codes match {query!r}.")
        return
    table = Table(title=f"codes for {query!r}", show_lines=False)
    for column in ("code", "description", "score", "billable", "matched term", "source"):
        table.add_column(column, overflow="fold")
    for result in results:
        table.add_row(
            result.code,
            result.description,
            f"{result.score:.3f}",
            "yes" if result.billable else "no",
            result.matched_term,
            result.source,
        )
    console.print(table)


@app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="A code in any spelling: E11.9, e119, S52.521A.")],
    as_json: JsonOption = False,
    home: HomeOption = None,
    release: ReleaseOption = None,
    on: DateOption = None,
) -> None:
    """Everything known about a code: title, billable, hierarchy, notes (own and inherited), 7th characters."""
    with user_errors():
        vocabulary = _vocabulary(home, release, on)
        details = vocabulary.describe(code)
    if as_json:
        print(json.dumps(details, indent=2))
    else:
        _print_details(details)


def _print_details(details: dict[str, Any]) -> None:
    billable = ("billable", "green") if details["billable"] else ("not billable", "yellow")
    console.print(Text.assemble((details["code"], "bold"), f"  {details['description']}  (", billable, ")"))
    console.print(f"  chapter {details['chapter']['id']}: {details['chapter']['title']}")
    console.print(f"  block {details['block']['id']}: {details['block']['title']}")
    for parent in details["parents"]:
        console.print(f"  parent {parent['code']}: {parent['description']}")
    if details["needs_seventh_character"]:
        console.print("  needs a 7th character", style="yellow")
    for char, meaning in details["seventh_characters"].items():
        console.print(f"    7th {char}: {meaning}")
    for field, notes in details["notes"].items():
        for item in notes:
            console.print(f"  {field.replace('_', ' ')} ({item['from']}): {item['note']}")
    if details["children"]:
        console.print(f"  children ({len(details['children'])}):")
        for child in details["children"]:
            console.print(
                f"    {child['code']:<9} {child['description']}{'' if child['billable'] else ' (not billable)'}"
            )
    for term in details["terms"]:
        console.print(f"  term ({term['source']}): {term['term']}")
