"""``chartcoder suggest`` and ``chartcoder batch``: code one note, or a JSONL file of notes."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from cli._common import HomeOption, console, error_console, fail, read_text_input, user_errors
from suggest.batch import BatchSummary, EngineSpec, run_batch
from suggest.pipeline import DEFAULT_MAX_NOTE_CHARS
from suggest.types import SETTINGS, Evidence, NoteSuggestions
from vocab.vocabulary import ensure_vocabulary

SettingOption = Annotated[
    str, typer.Option("--setting", "-s", help="Encounter setting: outpatient or inpatient (uncertain diagnoses).")
]
ModelOption = Annotated[str | None, typer.Option("--model", help="Model id (default: the champion).")]
DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="Date of service, YYYY-MM-DD (inpatient: the discharge date): coded with the ICD-10-CM release in force "
        "that day (`chartcoder vocab list`); default: today.",
    ),
]


def suggest(
    source: Annotated[str, typer.Argument(help="A note file (UTF-8 text), or '-' for standard input.")] = "",
    setting: SettingOption = "outpatient",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON result.")] = False,
    top: Annotated[int | None, typer.Option("--top", "-n", min=1, help="Show the best N suggestions.")] = None,
    model: ModelOption = None,
    home: HomeOption = None,
    date_of_service: DateOption = None,
    encounter: Annotated[
        Path | None,
        typer.Option(
            "--encounter",
            help="Code an encounter instead: a JSONL file, one document per line "
            '({"document_id", "type", "text", "date"?} and the encounter\'s fields; its setting, else inpatient '
            "for an admission's documents).",
        ),
    ] = None,
) -> None:
    """Suggest ICD-10-CM codes for one note (or, with --encounter, one encounter), with the evidence for each,
    from the release in force on its date of service (--date, else the encounter's discharge or latest document
    date; default: today)."""
    if encounter is not None:
        if source:
            raise fail("Give a note file or --encounter FILE.jsonl, not both.")
        _suggest_encounter(encounter, as_json, top, model, home, date_of_service)
        return
    if not source:
        raise fail("Give a note file (or '-' for standard input), or --encounter FILE.jsonl.")
    text = read_text_input(source, max_bytes=4 * DEFAULT_MAX_NOTE_CHARS)
    with user_errors():
        ensure_vocabulary(home)
        engines = EngineSpec(home=home, model=model).load_releases()
        note_id = None if source == "-" else Path(source).name
        result = engines.suggest(text, setting=setting, note_id=note_id, top=top, date_of_service=date_of_service)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_result(result)


def _suggest_encounter(
    path: Path, as_json: bool, top: int | None, model: str | None, home: Path | None, date_of_service: str | None
) -> None:
    from suggest.encounter import code_encounter
    from suggest.encounter_input import encounter_from_records

    if not path.is_file():
        raise fail(f"No such file: {path}")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise fail(f"Line {number}: not valid JSON ({error.msg}, column {error.colno}).") from None
        if not isinstance(record, dict):
            raise fail(f"Line {number}: expected a JSON object (one document).")
        records.append((number, record))
    with user_errors():
        ensure_vocabulary(home)
        encounter = encounter_from_records(records)
        engines = EngineSpec(home=home, model=model).load_releases()
        engine, _ = engines.engine_for(date_of_service or encounter.service_date)
        result = code_encounter(engine, encounter)
    if top is not None:
        result = replace(result, suggestions=result.suggestions[:top])
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    when = result.service_date.isoformat() if result.service_date else "no date"
    console.print(
        Text.assemble(
            (str(result.code_set), "bold"),
            f"  model {result.model}  setting {result.setting}  service date {when}  {len(result.documents)} documents",
        )
    )
    table = Table(show_lines=True)
    for column in ("#", "code", "description", "role", "POA", "documents", "evidence"):
        table.add_column(column, overflow="fold")
    for suggestion in result.suggestions:
        evidence = "; ".join(f"{piece.document_id}: {_describe(piece.evidence)}" for piece in suggestion.evidence)
        table.add_row(
            str(suggestion.rank),
            suggestion.code,
            suggestion.description,
            suggestion.role.replace("_", "-"),
            suggestion.poa or "",
            ", ".join(suggestion.documents),
            Text(evidence),  # the note's words, never read as rich markup
        )
    if result.suggestions:
        console.print(table)
    else:
        console.print("No codes suggested.")
    for exclusion in result.excluded:
        console.print(Text(f"left out {exclusion.code}: {exclusion.reason}", style="dim"))


def _print_result(result: NoteSuggestions) -> None:
    console.print(Text.assemble((str(result.code_set), "bold"), f"  model {result.model}  setting {result.setting}"))
    if result.release_before_date:
        console.print("The date of service is before every release here: the oldest release coded it.")
    if not result.suggestions:
        console.print("No codes suggested.")
    table = Table(show_lines=True)
    for column in ("#", "code", "description", "score", "evidence", "flags", "hcc"):
        table.add_column(column, overflow="fold")
    for suggestion in result.suggestions:
        evidence = "; ".join(_describe(piece) for piece in suggestion.evidence)
        flags = "; ".join(flag.kind.replace("_", " ") for flag in suggestion.flags)
        billable = "" if suggestion.billable else " (not billable)"
        table.add_row(
            str(suggestion.rank),
            suggestion.code,
            suggestion.description + billable,
            f"{suggestion.score:.2f}",
            evidence,
            flags,
            ", ".join(f"HCC {category.hcc}" for category in suggestion.hcc),
        )
    if result.suggestions:
        console.print(table)
    for exclusion in result.excluded:
        words = ", ".join(repr(piece.text) for piece in exclusion.evidence)
        console.print(f"left out {exclusion.code}: {exclusion.reason} ({words})", style="dim")


def _describe(piece: Evidence) -> str:
    assertion = "" if piece.assertion == "present" else f", {piece.assertion}"
    return f"{piece.text!r} [{piece.section.replace('_', ' ')}{assertion}]"


def batch(
    source: Annotated[
        Path, typer.Argument(help='JSONL input: one {"id", "text", "setting"?, "date_of_service"?} per line.')
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL output, one line per input line.")],
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, max=64, help="Worker processes.")] = 1,
    setting: SettingOption = "outpatient",
    top: Annotated[int | None, typer.Option("--top", "-n", min=1, help="Keep the best N per note.")] = None,
    model: ModelOption = None,
    home: HomeOption = None,
    engine: Annotated[str, typer.Option("--engine", help="local (worker processes) or spark.")] = "local",
    master: Annotated[
        str | None, typer.Option("--master", help="Spark master for --engine spark (default local[*]).")
    ] = None,
) -> None:
    """Code a JSONL file of notes, streaming (constant memory), with a progress bar; bad lines are
    reported with their line number and get an error line in the output. With --engine spark, IN and
    OUT are JSONL or Parquet (by extension) and progress is in Spark's UI."""
    if setting not in SETTINGS:
        raise fail(f"Unknown setting {setting!r}: expected {' or '.join(SETTINGS)}.")
    if engine not in ("local", "spark"):
        raise fail(f"Unknown engine {engine!r}: expected local or spark.")
    if engine == "local" and master is not None:
        raise fail("--master needs --engine spark.")
    if engine == "spark" and workers != 1:
        raise fail("--workers is for --engine local; give Spark cores with --master local[N].")
    if not (source.is_file() or (engine == "spark" and source.is_dir())):
        raise fail(f"No such file: {source}")
    if output.resolve() == source.resolve():
        raise fail("The output file must not be the input file.")
    with user_errors():
        ensure_vocabulary(home)
        spec = EngineSpec(home=home, model=model)
        if engine == "spark":
            summary = _run_on_spark(source, output, spec, master, setting, top)
        else:
            summary = _run_with_progress(source, output, spec, workers, setting, top)
    error_console.print(f"{summary.lines:,} lines: {summary.coded:,} coded, {summary.failed:,} with errors -> {output}")
    if summary.lines and summary.coded == 0:
        raise typer.Exit(1)


def _run_with_progress(
    source: Path, output: Path, spec: EngineSpec, workers: int, setting: str, top: int | None
) -> BatchSummary:
    progress = Progress(
        TextColumn("coding"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=error_console,
        transient=not sys.stderr.isatty(),
    )
    reported = 0

    def report(record: dict[str, Any]) -> None:
        nonlocal reported
        reported += 1
        if reported <= 50:
            progress.console.print(f"line {record['line']}: {record['error']}", markup=False)
        elif reported == 51:
            progress.console.print("more bad lines: see the error lines in the output", markup=False)

    with progress, source.open("rb") as stream, output.open("w", encoding="utf-8") as sink:
        task = progress.add_task("coding", total=source.stat().st_size)
        return run_batch(
            stream,
            sink,
            spec,
            workers=workers,
            default_setting=setting,
            top=top,
            on_bytes=lambda size: progress.advance(task, size),
            on_error=report,
        )


def _run_on_spark(
    source: Path, output: Path, spec: EngineSpec, master: str | None, setting: str, top: int | None
) -> BatchSummary:
    from suggest.spark import run_spark_batch  # imported here: PySpark is an optional extra

    reported = 0

    def report(record: dict[str, Any]) -> None:
        nonlocal reported
        reported += 1
        if reported <= 50:
            error_console.print(f"line {record['line']}: {record['error']}", markup=False)
        elif reported == 51:
            error_console.print("more bad lines: see the errors in the output", markup=False)

    return run_spark_batch(
        source,
        output,
        master=master,
        home=spec.home,
        model=spec.model,
        default_setting=setting,
        top=top,
        on_error=report,
        on_start=lambda url: error_console.print(f"Spark UI (progress): {url or 'off'}", markup=False),
    )
