"""Reference accuracy on CodiEsp: the TF-IDF + logistic regression baseline trained on train, scored on dev.

Usage::

    .venv/bin/python benchmarks/accuracy_baseline.py [--codiesp DIR] [--home PATH] [--engine]
        [--threshold cv|fixed] [--n-jobs N] [--json]

The baseline's micro P/R/F1 use the probability threshold that maximises micro F1 in 3-fold cross-validation
on *train* (``--threshold cv``, the default; dev is never used to choose it) or a fixed 0.5
(``--threshold fixed``). Its hyper-parameters (C, min_df, class_weight) are the defaults of
:class:`training.baseline.TfidfLogisticBaseline`, which were chosen for the best dev MAP: read its dev
figures as slightly optimistic. ``--engine`` adds the engine's zero-shot figures on the same dev notes (its
own threshold). Gold codes absent from the code set are left out of both, and counted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cli.evaluate_commands import print_data_report, print_report
from training.baseline import BaselineEngine, TfidfLogisticBaseline, cross_validated_threshold
from training.data import DataReport, LabeledNote, read_codiesp
from training.evaluate import EvaluationReport, evaluate
from vocab.codeset import CodeSet
from vocab.vocabulary import ensure_vocabulary

DEFAULT_CODIESP = Path(__file__).resolve().parents[2] / "shared" / "data" / "codiesp"
FIXED_THRESHOLD = 0.5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codiesp", type=Path, default=DEFAULT_CODIESP, help="folder with train/ and dev/")
    parser.add_argument("--home", type=Path, default=None, help="chartcoder home (code set; default as the CLI)")
    parser.add_argument("--engine", action="store_true", help="also score the engine (zero-shot) on dev")
    parser.add_argument("--threshold", choices=("cv", "fixed"), default="cv", help="how the baseline's cut-off is set")
    parser.add_argument("--n-jobs", type=int, default=-1, help="threads for fitting one classifier per code")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON instead of tables")
    return parser.parse_args(argv)


def read_split(folder: Path, codeset: CodeSet, out: Console) -> list[LabeledNote]:
    report = DataReport(source=str(folder))
    notes = list(read_codiesp(folder, codeset, report))
    print_data_report(report, out, shown=3)
    return notes


def train_baseline(
    train: list[LabeledNote], mode: str, n_jobs: int, out: Console
) -> tuple[TfidfLogisticBaseline, float, dict[str, float]]:
    """The fitted baseline, its threshold and timings (fit, threshold search)."""
    started = time.perf_counter()
    baseline = TfidfLogisticBaseline(n_jobs=n_jobs).fit(train)
    timings = {"train_seconds": time.perf_counter() - started}
    out.print(f"baseline: {len(baseline.codes_)} codes learned in {timings['train_seconds']:.1f} s", markup=False)
    threshold = FIXED_THRESHOLD
    if mode == "cv":
        started = time.perf_counter()
        threshold, cv_f1 = cross_validated_threshold(train, TfidfLogisticBaseline(n_jobs=n_jobs), folds=3)
        timings["threshold_search_seconds"] = time.perf_counter() - started
        out.print(
            f"baseline threshold {threshold:.2f} (3-fold CV micro F1 on train {cv_f1:.4f}, "
            f"{timings['threshold_search_seconds']:.1f} s)",
            markup=False,
        )
    return baseline, threshold, timings


def comparison_table(rows: list[tuple[str, EvaluationReport, str]]) -> Table:
    table = Table(title="CodiEsp dev (D codes)")
    for column in ("model", "MAP", "P@5", "R@10", "micro F1", "threshold", "candidate recall", "train time"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for name, report, train_time in rows:
        table.add_row(
            name,
            f"{report.map:.4f}",
            f"{report.p_at[5]:.4f}",
            f"{report.r_at[10]:.4f}",
            f"{report.f1:.4f}",
            f"{report.threshold:.2f}",
            f"{report.candidate_recall:.4f}",
            train_time,
        )
    return table


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Console(stderr=args.json, highlight=False, width=140)  # tables stay readable when piped to a file
    vocabulary = ensure_vocabulary(args.home)
    codeset = vocabulary.codeset
    train = read_split(args.codiesp / "train", codeset, out)
    dev = read_split(args.codiesp / "dev", codeset, out)

    baseline, threshold, timings = train_baseline(train, args.threshold, args.n_jobs, out)
    baseline_report = evaluate(BaselineEngine(baseline, threshold=threshold, codeset=codeset), dev, codeset=codeset)
    rows = [
        (
            f"{baseline_report.model_id} (threshold: {args.threshold})",
            baseline_report,
            f"{timings['train_seconds']:.1f} s",
        )
    ]
    results = {"baseline": {**baseline_report.to_dict(), **timings, "params": baseline.get_params()}}

    if args.engine:
        try:
            from suggest.pipeline import ZERO_SHOT_MODEL, load_engine
        except ImportError as error:
            out.print(f"engine: suggest.pipeline is not importable ({error}); skipped", markup=False)
        else:
            engine = load_engine(vocabulary, model=ZERO_SHOT_MODEL)  # zero-shot even where a trained pack exists
            engine_report = evaluate(engine, dev, codeset=codeset)
            rows.append((engine.model_id, engine_report, "none (zero-shot)"))
            results["engine"] = engine_report.to_dict()

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print_report(baseline_report, out, codeset)
    if len(rows) > 1:
        print_report(rows[1][1], out, codeset)
    out.print(comparison_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
