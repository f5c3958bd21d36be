"""Ablation on CodiEsp: what each learned component adds, trained on train and measured on dev.

Rows (every one measured by ``training.evaluate.evaluate`` on the 250 dev notes, coding rules included):

* zero-shot heuristic: the engine with no model (threshold chosen on CodiEsp train by its authors);
* TF-IDF + one-vs-rest LR alone: ``training/baseline.py`` (threshold: 3-fold cross-validation on train);
* bootstrap: the model built from the code set alone (no CodiEsp at all; threshold from synthetic notes);
* learned ranker, no classifier: term candidates, code priors;
* note classifier alone: its probabilities as the ranking (no term matching);
* ranker + classifier features: the classifier's probability as a ranker feature, no added candidates;
* ranker + classifier features + classifier-added candidates: the full model ``chartcoder train`` builds.

Dev is never used to choose anything: each learned variant's threshold is chosen (best micro F1) on a 20%
split of train by a model fitted on the other 80%, then the model is refitted on all of train. MAP, P@k and
R@k do not depend on the threshold.

    .venv/bin/python benchmarks/ablation.py --home /tmp/m4 [--json benchmarks/results/ablation.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _common import SHARED_DATA, machine, print_table

from models.registry import ModelRegistry
from suggest.pipeline import Engine, load_engine
from training.baseline import BaselineEngine, TfidfLogisticBaseline, cross_validated_threshold
from training.bootstrap import build_bootstrap
from training.classifier import NoteClassifier
from training.data import LabeledNote, read_codiesp
from training.evaluate import EvaluationReport, evaluate, score_notes
from training.train import TrainingOptions, choose_threshold, engine_with, fit_model, split_validation

VARIANTS = {
    "learned ranker, no classifier": TrainingOptions(classifier=False, add_candidates=False),
    "ranker + classifier features": TrainingOptions(add_candidates=False),
    "ranker + classifier features + added candidates": TrainingOptions(),
}


class _ClassifierAsBaseline:
    """The note classifier behind the baseline's ``rank`` interface, so BaselineEngine can serve it."""

    def __init__(self, classifier: NoteClassifier) -> None:
        self.classifier = classifier
        self.codes_ = classifier.codes_

    def rank(self, text: str, top: int | None = None) -> list[tuple[str, float]]:
        row = self.classifier.predict_proba_many([text])[0]
        order = row.argsort(kind="stable")[::-1][:top]
        return [(self.codes_[index], float(row[index])) for index in order]

    def get_params(self) -> dict[str, Any]:
        return self.classifier.get_params()


def _threshold_on_train_split(
    build: Callable[[Sequence[LabeledNote]], Any], wrap: Callable[[Any, float], Any], notes: Sequence[LabeledNote]
) -> float:
    fit_part, held_out = split_validation(notes, 0.2, seed=0)
    engine = wrap(build(fit_part), 0.5)
    outcomes, _ = score_notes(engine, held_out)
    return choose_threshold(held_out, outcomes)[0]


def _row(name: str, report: EvaluationReport, fit_seconds: float) -> dict[str, Any]:
    return {
        "variant": name,
        "map": report.map,
        "p_at_5": report.p_at[5],
        "r_at_10": report.r_at[10],
        "precision": report.precision,
        "recall": report.recall,
        "f1": report.f1,
        "threshold": report.threshold,
        "candidate_recall": report.candidate_recall,
        "fit_seconds": round(fit_seconds, 1),
    }


def run(home: Path, codiesp: Path, bootstrap_notes: int) -> list[dict[str, Any]]:
    base = load_engine(home=home, model="zero-shot")
    codeset = base.vocabulary.codeset
    train = list(read_codiesp(codiesp / "train", codeset))
    dev = list(read_codiesp(codiesp / "dev", codeset))
    rows = [_row("zero-shot heuristic", evaluate(base, dev), 0.0)]
    print(f"{rows[-1]['variant']}: MAP {rows[-1]['map']:.3f}", flush=True)

    started = time.perf_counter()
    threshold, _ = cross_validated_threshold(train)
    baseline = TfidfLogisticBaseline(n_jobs=2).fit(train)
    seconds = time.perf_counter() - started
    rows.append(
        _row(
            "TF-IDF + one-vs-rest LR alone",
            evaluate(BaselineEngine(baseline, threshold=threshold, codeset=codeset), dev),
            seconds,
        )
    )
    print(f"{rows[-1]['variant']}: MAP {rows[-1]['map']:.3f}", flush=True)

    folder = Path(tempfile.mkdtemp(prefix="ablation-models-"))
    try:
        built = build_bootstrap(base, ModelRegistry(folder), notes=bootstrap_notes, promote=False)
        ranker = ModelRegistry(folder).load(built.manifest.id).parts["ranker"]
        engine = engine_with(base, ranker, None, model_id=built.manifest.id, threshold=built.manifest.threshold)
        rows.append(
            _row(f"bootstrap ({bootstrap_notes} synthetic notes, no CodiEsp)", evaluate(engine, dev), built.seconds)
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{rows[-1]['variant']}: MAP {rows[-1]['map']:.3f}", flush=True)

    def classifier_engine(fitted: NoteClassifier, threshold: float) -> BaselineEngine:
        return BaselineEngine(_ClassifierAsBaseline(fitted), threshold=threshold, codeset=codeset)  # type: ignore[arg-type]

    def fit_classifier(notes: Sequence[LabeledNote]) -> NoteClassifier:
        return NoteClassifier(n_jobs=2).fit([note.text for note in notes], [note.codes for note in notes])

    started = time.perf_counter()
    threshold = _threshold_on_train_split(fit_classifier, classifier_engine, train)
    classifier = fit_classifier(train)
    rows.append(
        _row(
            "note classifier alone",
            evaluate(classifier_engine(classifier, threshold), dev),
            time.perf_counter() - started,
        )
    )
    print(f"{rows[-1]['variant']}: MAP {rows[-1]['map']:.3f}", flush=True)

    for name, options in VARIANTS.items():

        def wrap(fitted: Any, threshold: float, name: str = name) -> Engine:
            return engine_with(base, fitted.ranker, fitted.classifier, model_id=name, threshold=threshold)

        def fit(notes: Sequence[LabeledNote], options: TrainingOptions = options) -> Any:
            return fit_model(base, notes, options)

        threshold = _threshold_on_train_split(fit, wrap, train)
        started = time.perf_counter()
        fitted = fit_model(base, train, options)
        seconds = time.perf_counter() - started
        rows.append(_row(name, evaluate(wrap(fitted, threshold), dev), seconds))
        print(f"{rows[-1]['variant']}: MAP {rows[-1]['map']:.3f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="A chartcoder home with the Index imported.")
    parser.add_argument("--codiesp", type=Path, default=SHARED_DATA / "codiesp")
    parser.add_argument("--bootstrap-notes", type=int, default=2500)
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    arguments = parser.parse_args()
    if not (arguments.codiesp / "train").is_dir():
        raise SystemExit(f"CodiEsp not found at {arguments.codiesp}")
    rows = run(arguments.home, arguments.codiesp, arguments.bootstrap_notes)
    headers = ("variant", "MAP", "P@5", "R@10", "P", "R", "F1", "thr", "cand. R", "fit s")
    keys = (
        "variant",
        "map",
        "p_at_5",
        "r_at_10",
        "precision",
        "recall",
        "f1",
        "threshold",
        "candidate_recall",
        "fit_seconds",
    )
    print()
    print_table(headers, [[row[key] for key in keys] for row in rows])
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
