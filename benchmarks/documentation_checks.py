"""Documentation checks: precision and recall per finding kind on the seeded set, finding rates on real notes.

The seeded set (``tests/suggest/documentation/seeded_notes.py``: invented notes, clean or seeded with one known
defect each) is coded by the engine; a kind counts once per note (found or not). Acceptance (issue 16):
precision >= 0.9 and recall >= 0.8 per kind. Then the ACI-BENCH notes and the coder-coded notes of
../shared/data, which are internally consistent: findings per 10 notes by family (acceptance: at most one
inconsistency finding per 10 notes; they carry no signatures, so completeness findings are expected there).
Prints a table; ``--json PATH`` writes the figures; ``--show`` prints each inconsistency finding's kind, note id
and message (never the note text). Run from the repository root:

    python benchmarks/documentation_checks.py [--home PATH] [--model zero-shot] [--json PATH] [--show]
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

PRECISION_TARGET, RECALL_TARGET, INCONSISTENCY_PER_10 = 0.9, 0.8, 1.0


def seeded_scores(engine) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    from tests.suggest.documentation.seeded_notes import seeded_notes

    counts: dict[str, Counter[str]] = {}
    for note in seeded_notes():
        found = {finding.kind for finding in engine.suggest(note.text, note.setting).documentation}
        for kind in found | note.expected:
            tally = counts.setdefault(kind, Counter())
            tally["tp" if kind in found and kind in note.expected else "fp" if kind in found else "fn"] += 1
    scores = {}
    for kind, tally in sorted(counts.items()):
        found, seeded = tally["tp"] + tally["fp"], tally["tp"] + tally["fn"]
        scores[kind] = {
            "seeded": seeded,
            "found": found,
            "true_positives": tally["tp"],
            "precision": round(tally["tp"] / found, 3) if found else 0.0,
            "recall": round(tally["tp"] / seeded, 3) if seeded else 0.0,
        }
    return scores


def aci_notes() -> list[tuple[str, str, str]]:
    notes = []
    for path in sorted((SHARED / "aci_bench").glob("*.csv")):
        if path.name.endswith("_metadata.csv"):
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle)):
                if row.get("note"):
                    notes.append((f"{path.stem}:{row.get('encounter_id') or number}", row["note"], "outpatient"))
    return notes


def coder_notes() -> list[tuple[str, str, str]]:
    rows = [json.loads(line) for line in (SHARED / "coder_notes" / "dev.jsonl").read_text().splitlines() if line]
    return [(row["id"], row["text"], row.get("setting") or "outpatient") for row in rows]


def corpus_rates(engine, notes: list[tuple[str, str, str]], show: bool) -> dict[str, object]:  # type: ignore[no-untyped-def]
    families: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for note_id, text, setting in notes:
        for finding in engine.suggest(text, setting).documentation:
            families[finding.family] += 1
            kinds[finding.kind] += 1
            if show and finding.family == "inconsistency":
                print(f"  {note_id}: {finding.kind}: {finding.message}")
    per_10 = {family: round(10 * count / len(notes), 2) for family, count in sorted(families.items())}
    return {"notes": len(notes), "per_10_notes": per_10, "by_kind": dict(sorted(kinds.items()))}


def check_cost(engine, texts: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """CPU seconds (this thread) of the whole engine and of the documentation checks within it, on ``texts``:
    robust to a loaded machine where wall-clock time is not."""
    import suggest.engine as engine_module

    checks = engine_module.check_documentation
    spent = [0.0]

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.thread_time()
        try:
            return checks(*args, **kwargs)
        finally:
            spent[0] += time.thread_time() - started

    engine_module.check_documentation = timed  # type: ignore[assignment]
    try:
        started = time.thread_time()
        for text in texts:
            engine.suggest(text)
        total = time.thread_time() - started
    finally:
        engine_module.check_documentation = checks  # type: ignore[assignment]
    return {
        "notes": len(texts),
        "engine_cpu_s": round(total, 2),
        "checks_cpu_s": round(spent[0], 2),
        "checks_share": round(spent[0] / total, 4) if total else 0.0,
    }


def speed_with_and_without(engine, texts: list[str], rounds: int = 3) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The engine's words per CPU second with the checks on and off, alternated in one process so that the
    host's speed changes fall on both alike (issue 16: within 15%)."""
    import suggest.engine as engine_module

    checks = engine_module.check_documentation
    words = sum(len(text.split()) for text in texts)
    spent = {"on": 0.0, "off": 0.0}
    try:
        for turn in range(rounds):
            for mode in ("on", "off") if turn % 2 == 0 else ("off", "on"):
                engine_module.check_documentation = checks if mode == "on" else (lambda *args, **kwargs: ())  # type: ignore[assignment]
                started = time.thread_time()
                for text in texts:
                    engine.suggest(text)
                spent[mode] += time.thread_time() - started
    finally:
        engine_module.check_documentation = checks  # type: ignore[assignment]
    return {
        "words_per_cpu_s_with_checks": round(rounds * words / spent["on"]),
        "words_per_cpu_s_without_checks": round(rounds * words / spent["off"]),
        "slowdown": round(spent["on"] / spent["off"] - 1, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--model", default=None, help="model id (default: the champion; zero-shot: no model)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--show", action="store_true", help="list the inconsistency findings on the real notes")
    arguments = parser.parse_args()

    from suggest.pipeline import load_engine

    engine = load_engine(home=arguments.home, model=arguments.model)
    started = time.perf_counter()
    scores = seeded_scores(engine)
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, python {platform.python_version()}",
        "model": engine.model_id,
        "seeded": scores,
        "seeded_seconds": round(time.perf_counter() - started, 1),
    }
    print(f"model {engine.model_id}; seeded set in {report['seeded_seconds']} s")
    print(f"{'kind':<46}{'seeded':>7}{'found':>7}{'precision':>11}{'recall':>8}")
    failing = []
    for kind, row in scores.items():
        ok = row["precision"] >= PRECISION_TARGET and row["recall"] >= RECALL_TARGET
        failing += [] if ok else [kind]
        print(
            f"{kind:<46}{row['seeded']:>7}{row['found']:>7}{row['precision']:>11.3f}{row['recall']:>8.3f}"
            f"{'' if ok else '  below target'}"
        )
    if SHARED.is_dir():
        for name, notes in (("aci_bench", aci_notes()), ("coder_notes", coder_notes())):
            if arguments.show:
                print(f"{name} inconsistency findings:")
            rates = corpus_rates(engine, notes, arguments.show)
            report[name] = rates
            print(f"{name}: {rates['notes']} notes; findings per 10 notes by family: {rates['per_10_notes']}")
            print(f"  by kind: {rates['by_kind']}")
    else:
        print(f"shared data not found at {SHARED}: real-note rates skipped")
    if SHARED.is_dir():
        cost = check_cost(engine, [text for _, text, _ in aci_notes()])
        report["cost_aci_bench"] = cost
        print(
            f"cost on {cost['notes']} ACI-BENCH notes: engine {cost['engine_cpu_s']} CPU s, of which the checks "
            f"{cost['checks_cpu_s']} CPU s ({100 * cost['checks_share']:.1f}%)"
        )
        speed = speed_with_and_without(engine, [text for _, text, _ in aci_notes()])
        report["speed_aci_bench"] = speed
        print(
            f"engine words per CPU second, checks on / off (alternated, 3 rounds): "
            f"{speed['words_per_cpu_s_with_checks']:,} / {speed['words_per_cpu_s_without_checks']:,} "
            f"({100 * speed['slowdown']:+.1f}%; issue 16: within 15%)"
        )
    print(f"kinds below target (precision {PRECISION_TARGET}, recall {RECALL_TARGET}): {failing or 'none'}")
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
