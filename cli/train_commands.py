"""``chartcoder train``: learn a ranker (and note classifier) from confirmed codes, compare it with the champion.

Training data: labeled JSON Lines (``--data``), a CodiEsp split (``--codiesp``) or the service's confirmed
reviews (``--reviews DATABASE_URL``). Validation: a separate set (``--val-data`` / ``--val-codiesp``) or a
seeded share of the training data (``--val-fraction``). Progress and data problems go to standard error;
note text is never printed.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cli._common import HomeOption, console, error_console, fail, labelled, user_errors
from cli.evaluate_commands import print_data_report
from cli.models_commands import progress_callback
from models.promotion import DEFAULT_PROMOTE_POLICY, PROMOTE_POLICIES
from models.registry import ModelRegistry
from training.data import CodiespReader, JsonlReader, LabeledNote
from training.evaluate import CUTOFFS, EvaluationReport
from training.reviews import ReviewReader
from vocab.codeset import CodeSet
from vocab.vocabulary import ensure_vocabulary

if TYPE_CHECKING:  # training.train imports the engine (spaCy): loaded only when `train` runs
    from training.train import TrainingRun

__all__ = ["train"]


def train(
    data: Annotated[
        Path | None, typer.Option("--data", help='Labeled JSONL: {"id", "text", "codes", "rejected"?}.')
    ] = None,
    codiesp: Annotated[Path | None, typer.Option("--codiesp", help="A CodiEsp split folder (D.tsv, text_en/).")] = None,
    reviews: Annotated[
        str | None, typer.Option("--reviews", help="The service's database URL: train on confirmed reviews.")
    ] = None,
    val_data: Annotated[Path | None, typer.Option("--val-data", help="Labeled JSONL to validate on.")] = None,
    val_codiesp: Annotated[Path | None, typer.Option("--val-codiesp", help="A CodiEsp split to validate on.")] = None,
    val_fraction: Annotated[
        float, typer.Option("--val-fraction", min=0.01, max=0.9, help="Share held out when no validation set.")
    ] = 0.2,
    base: Annotated[
        str | None, typer.Option("--base", help="Model whose training parameters to reuse (default: the champion's).")
    ] = None,
    promote: Annotated[
        str, typer.Option("--promote", help=f"{' | '.join(PROMOTE_POLICIES)} (if-better: higher MAP).")
    ] = DEFAULT_PROMOTE_POLICY,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same data and seed, same model).")] = 0,
    no_classifier: Annotated[bool, typer.Option("--no-classifier", help="Learn the ranker only.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=2, help="Train on the first N notes.")] = None,
    max_ranker_notes: Annotated[
        int | None,
        typer.Option(
            "--max-ranker-notes",
            min=2,
            help="Notes whose candidates train the ranker (a seeded sample; default: the base model's, else 20,000).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    home: HomeOption = None,
) -> None:
    """Train a model on confirmed codes, validate it beside the champion, and register (and promote) it."""
    if sum(source is not None for source in (data, codiesp, reviews)) != 1:
        raise fail("Give exactly one of --data LABELED.jsonl, --codiesp DIR or --reviews DATABASE_URL.")
    if val_data is not None and val_codiesp is not None:
        raise fail("Give at most one of --val-data and --val-codiesp.")
    if promote not in PROMOTE_POLICIES:
        raise fail(f"--promote must be one of {', '.join(PROMOTE_POLICIES)}, not {promote!r}.")
    from training.train import retrain  # spaCy loads only when a command needs the engine

    with user_errors():
        vocabulary = ensure_vocabulary(home)
        registry = ModelRegistry.for_home(home)
        notes, sources = _read(data, codiesp, reviews, vocabulary.codeset, limit)
        validation = _read_validation(val_data, val_codiesp, vocabulary.codeset)
        with progress_callback() as advance:
            run = retrain(
                notes,
                vocabulary,
                registry,
                base=base,
                validation=validation,
                val_fraction=val_fraction,
                promote=promote,
                sources=sources,
                progress=advance,
                **_option_overrides(seed, no_classifier, max_ranker_notes),
            )
    if as_json:
        print(json.dumps(_as_dict(run), indent=2))
    else:
        _print_run(run)


def _read(
    data: Path | None, codiesp: Path | None, reviews: str | None, codeset: CodeSet, limit: int | None
) -> tuple[list[LabeledNote], list[str]]:
    reader: Any
    if data is not None:
        reader = JsonlReader(data, codeset)
    elif codiesp is not None:
        reader = CodiespReader(codiesp, codeset)
    else:
        reader = ReviewReader(reviews or "", codeset)
    notes = list(itertools.islice(iter(reader), limit))
    print_data_report(reader.report, error_console, limit is not None)
    return notes, [reader.report.source]


def _read_validation(val_data: Path | None, val_codiesp: Path | None, codeset: CodeSet) -> list[LabeledNote] | None:
    if val_data is None and val_codiesp is None:
        return None
    reader: Any = JsonlReader(val_data, codeset) if val_data is not None else CodiespReader(val_codiesp, codeset)  # type: ignore[arg-type]
    notes = list(reader)
    print_data_report(reader.report, error_console)
    return notes


def _option_overrides(seed: int, no_classifier: bool, max_ranker_notes: int | None = None) -> dict[str, Any]:
    """The options given on the command line, over the base model's recorded parameters (``--base``, else the
    champion's when it is a learned model)."""
    overrides: dict[str, Any] = {"seed": seed}
    if no_classifier:
        overrides.update(classifier=False, add_candidates=False)
    if max_ranker_notes is not None:
        overrides["max_ranker_notes"] = max_ranker_notes
    return overrides


# --- output -------------------------------------------------------------------------------------------------
def _rows(report: EvaluationReport) -> list[tuple[str, str]]:
    return [
        ("MAP", f"{report.map:.4f}"),
        *((f"P@{k}", f"{report.p_at[k]:.4f}") for k in CUTOFFS),
        *((f"R@{k}", f"{report.r_at[k]:.4f}") for k in CUTOFFS),
        ("threshold", f"{report.threshold:g}"),
        ("micro precision", f"{report.precision:.4f}"),
        ("micro recall", f"{report.recall:.4f}"),
        ("micro F1", f"{report.f1:.4f}"),
        ("candidate recall", f"{report.candidate_recall:.4f}"),
    ]


def _print_run(run: TrainingRun) -> None:
    fitted = run.fitted
    console.print(
        f"trained on {run.train_notes} notes ({fitted.rows} candidates, {fitted.positives} right) in "
        f"{fitted.seconds:.0f} s; validated on {run.validation_notes} notes"
    )
    if fitted.classifier_skipped:
        console.print(labelled("no note classifier:", "yellow", str(fitted.classifier_skipped)))
    new_id = run.manifest.id if run.manifest is not None else "new model"
    table = Table(title="validation (same notes for both)")
    table.add_column("metric")
    table.add_column(new_id, justify="right")
    table.add_column(f"{run.baseline_id} (current)", justify="right")
    for (name, new), (_, old) in zip(_rows(run.report), _rows(run.baseline_report), strict=True):
        table.add_row(name, new, old)
    console.print(table)
    if run.promoted:
        console.print(f"promoted: {new_id} is the champion")
    else:
        console.print(f"not promoted: the champion stays {run.baseline_id} (`chartcoder models promote {new_id}`)")


def _as_dict(run: TrainingRun) -> dict[str, Any]:
    return {
        "model": json.loads(run.manifest.to_json()) if run.manifest is not None else None,
        "promoted": run.promoted,
        "train_notes": run.train_notes,
        "validation_notes": run.validation_notes,
        "rows": run.fitted.rows,
        "classifier_skipped": run.fitted.classifier_skipped,
        "seconds": round(run.seconds, 1),
        "validation": run.report.to_dict(),
        "current": {"id": run.baseline_id, **run.baseline_report.to_dict()},
    }
