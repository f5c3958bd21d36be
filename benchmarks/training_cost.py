"""What training costs: time and peak memory on CodiEsp train and on growing synthetic corpora; pack size and
load time.

Each measurement runs in a fresh Python process (so peak RSS is that run's own, ``ru_maxrss``), which loads
the engine first; the engine's own RSS after loading is reported beside the peak, so the difference is what
training added. The full model is trained (cross-fitted note classifier, classifier-added candidates, learned
ranker, final classifier; ``n_jobs=2``); validation and champion comparison are not included.

Synthetic corpora: the bootstrap generator (``training.bootstrap.NoteGenerator``) writing notes from a seeded
sample of 3,000 term-table phrases, so that codes recur as in a practice's confirmed reviews (drawing from all
~200,000 Index phrases would give almost every code a single example). The notes are shorter than CodiEsp's
(~90 words vs ~300), so the time per note is lower than on real notes. Above 20,000 notes the ranker learns
from a seeded sample of 20,000 (``TrainingOptions.max_ranker_notes``); the classifier from every note.

    .venv/bin/python benchmarks/training_cost.py --home /tmp/m4 --sizes 1000 10000 [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import SHARED_DATA, machine, print_table

_POOL = 3000


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _measure(home: Path, source: str, size: int, write_to: Path | None) -> dict[str, Any]:
    """One training run, in this (fresh) process."""
    from suggest.pipeline import load_engine, load_term_table
    from training.bootstrap import NoteGenerator
    from training.data import read_codiesp
    from training.train import TrainingOptions, fit_model, ranker_sample

    base = load_engine(home=home, model="zero-shot")
    engine_rss = _rss_mb()
    if source == "codiesp":
        notes = list(read_codiesp(SHARED_DATA / "codiesp" / "train", base.vocabulary.codeset))
    else:
        generator = NoteGenerator(load_term_table(base.vocabulary), base.vocabulary.codeset, seed=0, pool_size=_POOL)
        notes = list(generator.notes(size))
    words = sum(len(note.text.split()) for note in notes)
    started = time.perf_counter()
    stages: dict[str, float] = {}
    last = [started]

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:
            now = time.perf_counter()
            stages[stage] = stages.get(stage, 0.0) + now - last[0]
            last[0] = now

    options = TrainingOptions(n_jobs=2)
    fitted = fit_model(base, notes, options, progress)
    seconds = time.perf_counter() - started
    result = {
        "source": source,
        "notes": len(notes),
        "words": words,
        "ranker_notes": len(ranker_sample(len(notes), options)),
        "candidates": fitted.rows,
        "classifier_codes": len(fitted.classifier.codes_) if fitted.classifier is not None else 0,
        "train_seconds": round(seconds, 1),
        "stage_seconds": {stage: round(value, 1) for stage, value in stages.items()},
        "engine_rss_mb": round(engine_rss, 1),
        "peak_rss_mb": round(_peak_mb(), 1),
    }
    if write_to is not None:
        result.update(_pack_figures(base, fitted, write_to))
    return result


def _pack_figures(base: Any, fitted: Any, folder: Path) -> dict[str, Any]:
    """Write the model as a pack, then time verifying + reading it and a full engine load with it."""
    from models.manifest import DataFingerprint, ModelManifest, code_set_ref, current_versions, utc_timestamp
    from models.registry import ModelRegistry

    registry = ModelRegistry(folder)
    manifest = ModelManifest(
        id="cost-benchmark",
        kind="learned",
        created=utc_timestamp(),
        code_set=code_set_ref(base.vocabulary),
        versions=current_versions(),
        training_data=DataFingerprint(notes=fitted.notes, codes=0, sha256="0" * 64),
        threshold=0.3,
    )
    parts = {"ranker": fitted.ranker, "classifier": fitted.classifier}
    written = registry.add(manifest, {name: part.to_part() for name, part in parts.items() if part is not None})
    sizes = {name: (folder / written.id / name).stat().st_size for name in written.files}
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--load-worker",
        str(folder),
        "--home",
        str(base.vocabulary.home),
    ]
    loaded = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    return {"pack_bytes": sizes, "pack_total_mb": round(sum(sizes.values()) / 1e6, 2), **loaded}


def _load_worker(folder: Path, home: Path) -> dict[str, Any]:
    """In a fresh process: verify + read the pack, then a whole engine load with it and without."""
    started = time.perf_counter()
    from models.registry import ModelRegistry
    from suggest.loading import register_pack_parts

    register_pack_parts()
    ModelRegistry(folder).load("cost-benchmark")
    read_seconds = time.perf_counter() - started
    from suggest.pipeline import load_engine
    from vocab.vocabulary import load_vocabulary

    vocabulary = load_vocabulary(home)
    vocabulary.code_search  # noqa: B018 - loaded once, outside both timings
    started = time.perf_counter()
    load_engine(vocabulary, model="zero-shot")
    zero_shot = time.perf_counter() - started
    started = time.perf_counter()
    load_engine(vocabulary, model="cost-benchmark", models_dir=folder)
    with_pack = time.perf_counter() - started
    return {
        "pack_read_seconds": round(read_seconds, 2),
        "engine_load_zero_shot_seconds": round(zero_shot, 2),
        "engine_load_with_pack_seconds": round(with_pack, 2),
    }


def _in_fresh_process(home: Path, source: str, size: int, pack: bool) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", source, str(size), "--home", str(home)]
    if pack:
        command.append("--pack")
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{source} {size}: worker failed\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="A chartcoder home with the Index imported.")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000], help="Synthetic corpus sizes.")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-codiesp", action="store_true", help="Skip the CodiEsp train measurement.")
    parser.add_argument("--worker", nargs=2, metavar=("SOURCE", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--pack", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load-worker", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.load_worker is not None:
        print(json.dumps(_load_worker(arguments.load_worker, arguments.home)))
        return
    if arguments.worker is not None:
        source, size = arguments.worker
        with tempfile.TemporaryDirectory(prefix="training-cost-") as folder:
            figures = _measure(arguments.home, source, int(size), Path(folder) if arguments.pack else None)
        print(json.dumps(figures))
        return
    rows = []
    if not arguments.no_codiesp and (SHARED_DATA / "codiesp" / "train").is_dir():
        rows.append(_in_fresh_process(arguments.home, "codiesp", 0, pack=True))
        print(json.dumps(rows[-1]), flush=True)
    for size in arguments.sizes:
        rows.append(_in_fresh_process(arguments.home, "synthetic", size, pack=size == arguments.sizes[-1]))
        print(json.dumps(rows[-1]), flush=True)
    headers = (
        "corpus",
        "notes",
        "words",
        "ranker notes",
        "candidates",
        "clf codes",
        "train s",
        "engine RSS MB",
        "peak RSS MB",
    )
    print()
    print_table(
        headers,
        [
            [
                row["source"],
                row["notes"],
                row["words"],
                row["ranker_notes"],
                row["candidates"],
                row["classifier_codes"],
                row["train_seconds"],
                row["engine_rss_mb"],
                row["peak_rss_mb"],
            ]
            for row in rows
        ],
    )
    for row in rows:
        print(f"\n{row['source']} {row['notes']} notes: seconds by stage {row['stage_seconds']}")
        if "pack_total_mb" in row:
            print(
                f"\n{row['source']} {row['notes']} notes: pack {row['pack_total_mb']} MB {row['pack_bytes']}; "
                f"verify+read {row['pack_read_seconds']} s; engine load {row['engine_load_with_pack_seconds']} s "
                f"with the pack vs {row['engine_load_zero_shot_seconds']} s zero-shot"
            )
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
