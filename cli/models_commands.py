"""``chartcoder models``: list, show, promote, roll back and bootstrap model packs.

The registry lives in ``<home>/models`` (``CHARTCODER_MODELS_DIR`` overrides it); the engine, ``suggest``,
``batch``, ``evaluate`` and ``serve`` use its champion unless given ``--model``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli._common import HomeOption, console, error_console, labelled, user_errors
from models.errors import ModelError
from models.manifest import ModelManifest, code_set_ref
from models.registry import ModelRegistry
from suggest.types import ZERO_SHOT_MODEL
from vocab.vocabulary import ensure_vocabulary

__all__ = ["app", "progress_callback"]

app = typer.Typer(help="Model packs: list, show, promote, rollback, bootstrap, upgrade.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
_METRICS_SHOWN = ("map", "p_at_5", "r_at_10", "f1")


def _registry(home: Path | None) -> ModelRegistry:
    from suggest.loading import register_pack_parts  # the engine's modules: only when a command needs them

    register_pack_parts()  # show / promote verify a pack's part types against the registered ones
    return ModelRegistry.for_home(home)


@app.command("list")
def list_models(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Every registered model pack, oldest first; the champion is marked."""
    with user_errors():
        registry = _registry(home)
        champion = registry.champion()
        manifests = registry.manifests()
    if as_json:
        rows = [{**_summary(manifest), "champion": manifest.id == champion} for manifest in manifests]
        print(json.dumps({"folder": str(registry.folder), "champion": champion, "models": rows}, indent=2))
        return
    if not manifests:
        console.print(f"No model packs in {registry.folder}; the engine uses the zero-shot heuristic.")
        console.print("Build one with `chartcoder models bootstrap` or `chartcoder train`.")
        return
    table = Table(title=f"models in {registry.folder}")
    for column in ("", "id", "kind", "created", "parent", *_METRICS_SHOWN, "threshold"):
        table.add_column(column, overflow="fold")
    for manifest in manifests:
        table.add_row(
            "*" if manifest.id == champion else "",
            manifest.id,
            manifest.kind,
            manifest.created,
            manifest.parent or "",
            *(_metric(manifest, name) for name in _METRICS_SHOWN),
            f"{manifest.threshold:g}",
        )
    console.print(table)
    console.print("* champion" if champion else "no champion: the engine uses the zero-shot heuristic")


@app.command("show")
def show(
    model_id: Annotated[str, typer.Argument(help="Model id.")], home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """A pack's manifest, and whether it verifies against the installed code set and libraries."""
    with user_errors():
        registry = _registry(home)
        manifest = registry.manifest(model_id)
        problem = _verification_problem(registry, model_id, home)
    if as_json:
        data = {
            **json.loads(manifest.to_json()),
            "champion": registry.champion() == model_id,
            "verified": problem is None,
        }
        if problem is not None:
            data["problem"] = problem
        print(json.dumps(data, indent=2))
        return
    console.print_json(manifest.to_json())
    if registry.champion() == model_id:
        console.print("This is the champion.")
    if problem is None:
        console.print("verified: files, versions and code set match")
    else:
        error_console.print(labelled("not loadable here:", "yellow", str(problem)))


def _verification_problem(registry: ModelRegistry, model_id: str, home: Path | None) -> str | None:
    try:
        registry.verify(model_id, code_set=code_set_ref(ensure_vocabulary(home)))
    except ModelError as error:
        return str(error)
    return None


@app.command("promote")
def promote(model_id: Annotated[str, typer.Argument(help="Model id.")], home: HomeOption = None) -> None:
    """Make a pack the champion (after verifying its files, versions and code set)."""
    with user_errors():
        registry = _registry(home)
        previous = registry.champion()
        registry.promote(model_id, code_set=code_set_ref(ensure_vocabulary(home)))
    console.print(f"champion: {model_id}" + (f" (was {previous})" if previous and previous != model_id else ""))


@app.command("rollback")
def rollback(home: HomeOption = None) -> None:
    """Restore the previous champion."""
    with user_errors():
        registry = _registry(home)
        current = registry.champion()
        state = registry.rollback()
    console.print(f"champion: {state.champion} (was {current or 'none'})")


@app.command("demote")
def demote(home: HomeOption = None) -> None:
    """No champion: the engine uses the zero-shot heuristic (``rollback`` restores the champion)."""
    with user_errors():
        registry = _registry(home)
        current = registry.champion()
        registry.demote()
    console.print(f"no champion (was {current or 'none'}): the engine uses the zero-shot heuristic")


@app.command("upgrade")
def upgrade(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Convert this home from the pickle-based release: the code set and every model pack to formats that
    cannot run code, and pin every pack's manifest hash in the registry.

    Reads the old pickles once (each hash-checked first): run it on homes and packs you wrote yourself.
    Loading never converts anything on its own; an old artifact or pack is refused until this has run."""
    from training.upgrade import upgrade_home  # the only reader of the old pickles

    with user_errors():
        report = upgrade_home(home, _registry(home))
    if as_json:
        print(json.dumps(report.__dict__, indent=2))
        return
    console.print(
        "code set: " + ("converted to the current format" if report.codeset_converted else "already current"),
        markup=False,
    )
    console.print(f"packs converted: {', '.join(report.packs_converted) or 'none'}", markup=False)
    console.print(f"packs pinned: {', '.join(report.packs_pinned) or 'none'}", markup=False)
    for model_id, reason in report.packs_refused.items():
        error_console.print(f"not converted: {model_id}: {reason}", markup=False)
    if report.packs_refused:
        raise typer.Exit(2)


@app.command("bootstrap")
def bootstrap(
    notes: Annotated[int, typer.Option("--notes", min=50, help="Synthetic notes to write.")] = 2500,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same pack).")] = 0,
    no_promote: Annotated[bool, typer.Option("--no-promote", help="Register the pack without promoting it.")] = False,
    home: HomeOption = None,
) -> None:
    """Build the bootstrap model from the code set alone (synthetic notes, no labeled data) and promote it."""
    from suggest.pipeline import load_engine  # spaCy and the training stack load only for this command
    from training.bootstrap import build_bootstrap

    started = time.perf_counter()
    with user_errors():
        vocabulary = ensure_vocabulary(home)
        base = load_engine(vocabulary, model=ZERO_SHOT_MODEL)
        with progress_callback() as advance:
            result = build_bootstrap(
                base, _registry(home), notes=notes, seed=seed, promote=not no_promote, progress=advance
            )
    manifest = result.manifest
    if result.fitted is None:
        console.print(f"{manifest.id} was already registered (same code set and seed).")
    else:
        console.print(
            f"built {manifest.id} from {notes} synthetic notes in {time.perf_counter() - started:.0f} s "
            f"({result.fitted.rows} candidates); on held-out synthetic notes: "
            + ", ".join(f"{name} {manifest.metrics.get(name, 0):.3f}" for name in _METRICS_SHOWN)
            + f" at threshold {manifest.threshold:g}"
        )
    console.print(f"champion: {manifest.id}" if result.promoted else "registered, not promoted")


# --- shared with `chartcoder train` -------------------------------------------------------------------------
@contextmanager
def progress_callback() -> Iterator[Callable[[str, int, int], None]]:
    """Rich progress on standard error, one bar per training stage; yields ``progress(stage, done, total)``."""
    columns = (TextColumn("{task.description:<17}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=error_console, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield advance


def _summary(manifest: ModelManifest) -> dict[str, Any]:
    return {
        "id": manifest.id,
        "kind": manifest.kind,
        "created": manifest.created,
        "parent": manifest.parent,
        "threshold": manifest.threshold,
        "metrics": manifest.metrics,
        "training_data": manifest.training_data.model_dump(),
    }


def _metric(manifest: ModelManifest, name: str) -> str:
    value = manifest.metrics.get(name)
    return "" if value is None else f"{value:.3f}"
