"""``chartcoder evaluate``: measure the engine on labeled notes (JSON Lines or a CodiEsp split).

Prints MAP, P@k, R@k, micro P/R/F1 at the engine's threshold, per-chapter and candidate recall and the gold
codes most often missing from the candidates; for notes coded by a certified coder (the coder-notes layout),
also principal at rank 1, core recall, precision of the proposed codes and must-not codes, overall, per
setting, by chapter and by code family; or the whole report as JSON. Progress and data problems go to
standard error so that ``--json`` output stays clean. Note text is never printed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from cli._common import HomeOption, console, error_console, fail, user_errors
from suggest.types import SETTINGS
from training.coder_metrics import CoderReport, GroupScores, reported_families
from training.data import CodiespReader, DataReport, JsonlReader
from training.evaluate import CUTOFFS, EvaluationReport
from training.evaluate import evaluate as run_evaluation
from vocab.codeset import CodeSet
from vocab.vocabulary import ensure_vocabulary

__all__ = ["evaluate", "print_data_report", "print_report"]

# How many data issues the table output lists (all of them are in the JSON).
_SHOWN_ISSUES = 5


def evaluate(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help='Labeled JSONL: {"id", "text", "codes": [...]} per line, or the coder-notes layout '
            '({"id", "setting", "text", "principal", "core", "optional", "must_not"}).',
        ),
    ] = None,
    codiesp: Annotated[
        Path | None, typer.Option("--codiesp", help="A CodiEsp split folder (D.tsv and text_en/).")
    ] = None,
    setting: Annotated[
        str, typer.Option("--setting", "-s", help="Encounter setting for notes that do not state one.")
    ] = "outpatient",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, max=64, help="Worker processes.")] = 1,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Evaluate the first N notes.")] = None,
    top_missed: Annotated[int, typer.Option("--top-missed", min=0, help="Missed candidate codes to list.")] = 15,
    home: HomeOption = None,
    model: Annotated[str | None, typer.Option("--model", help="Model id (default: the champion).")] = None,
) -> None:
    """Measure the engine on labeled notes: MAP, P@k, R@k, micro P/R/F1, per-chapter and candidate recall."""
    if (data is None) == (codiesp is None):
        raise fail("Give exactly one of --data LABELED.jsonl or --codiesp DIR.")
    if setting not in SETTINGS:
        raise fail(f"Unknown setting {setting!r}: expected one of {', '.join(SETTINGS)}.")
    with user_errors():
        vocabulary = ensure_vocabulary(home)
        reader = _reader(data, codiesp, vocabulary.codeset)
        notes = list(itertools.islice(iter(reader), limit))
        print_data_report(reader.report, error_console, limit is not None)
        engine = _engine_or_factory(home, model, workers, vocabulary)
        with _progress_bar(len(notes)) as advance:
            report = run_evaluation(
                engine, notes, setting=setting, workers=workers, progress=advance, codeset=vocabulary.codeset
            )
    if as_json:
        print(json.dumps({**report.to_dict(), "data": reader.report.to_dict()}, indent=2, ensure_ascii=False))
    else:
        print_report(report, console, vocabulary.codeset, top_missed=top_missed)


def _reader(data: Path | None, codiesp: Path | None, codeset: CodeSet) -> JsonlReader | CodiespReader:
    if data is not None:
        return JsonlReader(data, codeset)
    assert codiesp is not None  # the caller checked that exactly one was given
    return CodiespReader(codiesp, codeset)


def _engine_or_factory(home: Path | None, model: str | None, workers: int, vocabulary: Any) -> Any:
    """The engine itself for one process; for a pool, the recipe each worker loads its own engine from."""
    from suggest.batch import EngineSpec
    from suggest.pipeline import load_engine

    if workers > 1:
        return EngineSpec(home=home, model=model).load
    return load_engine(vocabulary, model=model)


@contextmanager
def _progress_bar(total: int) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on standard error; yields the ``progress(done, total)`` callback."""
    columns = (TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=error_console, transient=True) as progress:
        task = progress.add_task("notes", total=total)
        yield lambda done, all_notes: progress.update(task, completed=done, total=all_notes)


# --- printing ---------------------------------------------------------------------------------------------
def print_data_report(report: DataReport, out: Console, limited: bool = False, shown: int = _SHOWN_ISSUES) -> None:
    """The data set's counts and, when there were problems, how many and the first few (with line numbers)."""
    read = f"first {report.notes} notes" if limited else f"{report.notes} notes"
    out.print(
        f"data: {read}, {report.codes} gold codes ({report.category_codes} category-level) from {report.source}",
        markup=False,
    )
    if report.converted_codes:
        out.print(
            f"data: {report.converted_codes} labels of an earlier release converted through the conversion table",
            markup=False,
        )
    if not report.issues:
        return
    out.print(
        f"data issues: {len(report.issues)} ({report.skipped_notes} notes and {report.skipped_codes} codes skipped)",
        style="yellow",
        markup=False,
    )
    for issue in report.issues[:shown]:
        out.print(f"  {issue}", markup=False)
    if len(report.issues) > shown:
        out.print(f"  ... and {len(report.issues) - shown} more (all of them with --json)", markup=False)


def _summary_rows(report: EvaluationReport) -> Iterator[tuple[str, str]]:
    yield "notes (with gold codes)", f"{report.notes} ({report.notes_with_gold})"
    yield "gold codes", str(report.gold_codes)
    yield "MAP", f"{report.map:.4f}"
    for k in CUTOFFS:
        yield f"P@{k} / R@{k}", f"{report.p_at[k]:.4f} / {report.r_at[k]:.4f}"
    yield (
        f"micro P / R / F1 at {report.threshold:g}",
        f"{report.precision:.4f} / {report.recall:.4f} / {report.f1:.4f}",
    )
    yield "candidate recall", f"{report.candidate_recall:.4f}"
    yield "time", f"{report.seconds:.1f} s, {report.words_per_second:,.0f} words/s"
    if report.failed_notes:
        yield "notes the engine refused", str(len(report.failed_notes))


def print_report(report: EvaluationReport, out: Console, codeset: CodeSet | None = None, top_missed: int = 15) -> None:
    """The summary, per-chapter recall and the most often missed candidate codes, as rich tables."""
    summary = Table(title=f"{report.model_id} ({report.setting})", show_header=False)
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    for name, value in _summary_rows(report):
        summary.add_row(name, value)
    out.print(summary)

    chapters = Table(title=f"recall by chapter (predicted at {report.threshold:g})")
    for column, justify in (("chapter", "left"), ("title", "left"), ("gold", "right"), ("recall", "right")):
        chapters.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for chapter in report.per_chapter_recall.values():
        chapters.add_row(chapter.chapter, chapter.title, str(chapter.gold), f"{chapter.recall:.3f}")
    out.print(chapters)

    if top_missed and report.missed_candidates:
        missed = Table(title=f"gold codes most often missing from the candidates (top {top_missed})")
        for column in ("code", "notes", "title"):
            missed.add_column(column, overflow="fold")
        for code, count in report.missed_candidates[:top_missed]:
            found = codeset.get(code) if codeset is not None else None
            missed.add_row(code, str(count), found.description if found is not None else "")
        out.print(missed)
    if report.coder is not None:
        print_coder_report(report.coder, out)
    for note_id, error in report.failed_notes[:_SHOWN_ISSUES]:
        out.print(f"refused {note_id}: {error}", style="yellow", markup=False)


_CODER_ROWS = (
    ("principal at rank 1", "principal_at_1", ".3f"),
    ("core recall at 5", "core_recall_at_5", ".3f"),
    ("core recall at 10", "core_recall_at_10", ".3f"),
    ("core recall among proposed", "core_recall_proposed", ".3f"),
    ("precision of proposed (core + optional)", "proposed_precision", ".3f"),
    ("proposed codes per note", "proposed_per_note", ".1f"),
    ("must-not codes proposed per note", "must_not_per_note", ".2f"),
    ("must-not codes in top 10 per note", "must_not_at_10_per_note", ".2f"),
)


def print_coder_report(coder: CoderReport, out: Console) -> None:
    """The coder figures: overall and per setting, then by code family and by chapter."""
    summary = Table(title="as a coder judges it (coder-coded notes)")
    summary.add_column("metric")
    columns = {"all": coder.overall, **coder.by_setting}
    for name, scores in columns.items():
        summary.add_column(f"{name} ({scores.notes})", justify="right")
    for label, attribute, number_format in _CODER_ROWS:
        summary.add_row(label, *(format(getattr(scores, attribute), number_format) for scores in columns.values()))
    out.print(summary)
    out.print(_group_table("by code family", coder.by_family, chapters=False))
    out.print(_group_table("history, status, drugs, external causes, pregnancy", reported_families(coder.by_family)))
    out.print(_group_table("by chapter", coder.by_chapter, chapters=True))


def _group_table(title: str, groups: dict[str, GroupScores], *, chapters: bool = False) -> Table:
    """One row a group, named short (a chapter by its number and code range); titles are in the JSON."""
    table = Table(title=title)
    table.add_column("group", overflow="fold")
    for column in ("core", "recall@10", "recall proposed", "proposed", "precision", "must-not"):
        table.add_column(column, justify="right")
    for group in groups.values():
        table.add_row(
            f"{group.group} {_code_range(group.title)}".strip() if chapters else group.group,
            str(group.core),
            f"{group.recall_at_10:.3f}" if group.core else "-",
            f"{group.recall_proposed:.3f}" if group.core else "-",
            str(group.proposed),
            f"{group.precision:.3f}" if group.proposed else "-",
            str(group.must_not_proposed),
        )
    return table


def _code_range(chapter_title: str) -> str:
    # Chapter titles end with their range: "Diseases of the circulatory system (I00-I99)".
    _, bracket, rest = chapter_title.rpartition("(")
    return f"({rest}" if bracket and rest.endswith(")") else ""
