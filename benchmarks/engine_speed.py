"""Suggestion engine speed and memory: throughput, latency, load time, peak RSS, time per component.

Corpora: the ACI-BENCH clinic notes and the CodiEsp train + dev case texts from ../shared/data, and
500-word notes cut from them (the latency target is for a 500-word note). Prints a table; --json for
machines. Run after `chartcoder vocab build` (which imports the bundled Alphabetic Index), in the home
given by --home or $CHARTCODER_HOME.

    python benchmarks/engine_speed.py [--home PATH] [--workers 2] [--profile profile.txt]

Wall-clock figures swing with whatever else the machine runs; the CPU figures (``cpu_words_per_s``,
``cpu_p50_ms``, ``cpu_p99_ms``: ``time.process_time`` of this process, which runs nothing but the engine) do
much less, so two engines are compared on those. The script only uses public engine names (``load_engine``,
``Engine.suggest``), so it measures an older checkout too: put that checkout first on PYTHONPATH and give it
its own home (``benchmarks/engine_speed_ab.py`` does so, alternating two engines in one run).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def aci_notes() -> list[str]:
    notes = []
    for path in sorted((SHARED / "aci_bench").glob("*.csv")):
        if path.name.endswith("_metadata.csv"):
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            notes.extend(row["note"] for row in csv.DictReader(handle) if row.get("note"))
    return notes


def codiesp_texts() -> list[str]:
    return [
        path.read_text(encoding="utf-8")
        for split in ("train", "dev")
        for path in sorted((SHARED / "codiesp" / split / "text_en").glob("*.txt"))
    ]


def five_hundred_word_notes(texts: list[str], count: int = 200) -> list[str]:
    words = " ".join(texts).split(" ")
    return [" ".join(words[start : start + 500]) for start in range(0, min(len(words), count * 500), 500)]


def words_in(texts: list[str]) -> int:
    return sum(len(text.split()) for text in texts)


def time_single(engine, texts: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    for text in texts[:5]:
        engine.suggest(text)
    latencies = []
    cpu_latencies = []
    started = time.perf_counter()
    cpu_started = time.process_time()
    for text in texts:
        before = time.perf_counter()
        cpu_before = time.process_time()
        engine.suggest(text)
        cpu_latencies.append((time.process_time() - cpu_before) * 1000)
        latencies.append((time.perf_counter() - before) * 1000)
    elapsed = time.perf_counter() - started
    cpu_elapsed = max(time.process_time() - cpu_started, 1e-9)
    latencies.sort()
    cpu_latencies.sort()
    return {
        "notes": len(texts),
        "words": words_in(texts),
        "seconds": round(elapsed, 2),
        "notes_per_s": round(len(texts) / elapsed, 1),
        "words_per_s": round(words_in(texts) / elapsed),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1),
        "cpu_seconds": round(cpu_elapsed, 2),
        "cpu_words_per_s": round(words_in(texts) / cpu_elapsed),
        "cpu_p50_ms": round(statistics.median(cpu_latencies), 1),
        "cpu_p99_ms": round(cpu_latencies[min(len(cpu_latencies) - 1, int(0.99 * len(cpu_latencies)))], 1),
    }


def time_workers(home: Path | None, texts: list[str], workers: int, model: str | None) -> dict[str, float]:
    """Steady state of `chartcoder batch --workers N`: the pool's start-up (engine load per worker) apart."""
    from suggest.batch import EngineSpec, code_lines, parse_line

    lines = [
        parse_line(number, json.dumps({"id": str(number), "text": text}).encode())
        for number, text in enumerate(texts, start=1)
    ]
    spec = EngineSpec(home=home, model=model)
    started = time.perf_counter()
    list(code_lines(lines[:workers], spec, workers=workers))  # a pool that loads its engines, codes 1 note each
    startup = time.perf_counter() - started
    started = time.perf_counter()
    results = list(code_lines(lines, spec, workers=workers))
    elapsed = time.perf_counter() - started
    steady = max(elapsed - startup, 1e-9)
    assert len(results) == len(lines)
    return {
        "workers": workers,
        "notes": len(texts),
        "startup_s": round(startup, 2),
        "seconds_including_startup": round(elapsed, 2),
        "notes_per_s": round(len(texts) / steady, 1),
        "words_per_s": round(words_in(texts) / steady),
    }


def component_breakdown(engine, texts: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Words per second of each pipeline step alone (the tokenizer, each component, then rules)."""
    from suggest.candidates import build_candidates, extract_mentions

    words = words_in(texts)
    started = time.perf_counter()
    docs = [engine.nlp.make_doc(text) for text in texts]
    shares = {"tokenizer": time.perf_counter() - started}
    for name, component in engine.nlp.pipeline:
        started = time.perf_counter()
        docs = [component(doc) for doc in docs]
        shares[name] = time.perf_counter() - started
    started = time.perf_counter()
    codeset = engine.vocabulary.codeset
    for doc, text in zip(docs, texts, strict=True):
        candidates = build_candidates(extract_mentions(doc, codeset), codeset, len(text))
        engine.ranker.score(candidates)
    shares["candidates+ranking"] = time.perf_counter() - started
    total = sum(shares.values())
    return {
        name: {"words_per_s": round(words / seconds), "share": round(seconds / total, 3)}
        for name, seconds in shares.items()
    }


def load_time(home: Path | None, model: str | None, repeats: int = 3) -> float:
    """Median seconds for a fresh process to import chartcoder and load the engine (term table cached)."""
    code = (
        "import sys, time; t=time.perf_counter(); from pathlib import Path; from suggest.pipeline import load_engine; "
        "load_engine(home=Path(sys.argv[1]) if sys.argv[1] else None, model=sys.argv[2] or None); "
        "print(time.perf_counter()-t)"
    )
    runs = []
    for _ in range(repeats):
        output = subprocess.run(
            [sys.executable, "-c", code, str(home or ""), model or ""], capture_output=True, text=True, check=True
        )
        runs.append(float(output.stdout.strip().splitlines()[-1]))
    return round(statistics.median(runs), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", default=None, help="model id (default: the champion; zero-shot: no model)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of the CodiEsp run here")
    parser.add_argument("--no-load-time", action="store_true", help="skip the fresh-process load timing")
    parser.add_argument("--no-components", action="store_true", help="skip the time per pipeline step")
    arguments = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"shared data not found at {SHARED}")

    from suggest.pipeline import load_engine

    started = time.perf_counter()
    engine = load_engine(home=arguments.home, model=arguments.model)
    in_process_load = time.perf_counter() - started
    corpora = {"aci_bench": aci_notes(), "codiesp": codiesp_texts()}
    corpora["500_words"] = five_hundred_word_notes(corpora["aci_bench"] + corpora["codiesp"])
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}",
        "model": engine.model_id,
        "load_seconds_fresh_process": None if arguments.no_load_time else load_time(arguments.home, arguments.model),
        "load_seconds_in_process": round(in_process_load, 2),
        # first pass: the engine's caches (fuzzy word look-ups, history codes) fill; second pass: steady state
        "single_process": {name: time_single(engine, texts) for name, texts in corpora.items()},
        "single_process_warm": {name: time_single(engine, texts) for name, texts in corpora.items()},
    }
    if not arguments.no_components:
        report["components_codiesp"] = component_breakdown(engine, corpora["codiesp"])
    if arguments.workers > 1:
        report["workers"] = time_workers(
            arguments.home, corpora["codiesp"] + corpora["aci_bench"], arguments.workers, arguments.model
        )
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if arguments.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
        for text in corpora["codiesp"][:200]:
            engine.suggest(text)
        profiler.stop()
        arguments.profile.write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"machine: {report['machine']}; model {report['model']}")
    print(
        f"engine load: {report['load_seconds_fresh_process']} s in a fresh process (import + load), "
        f"{report['load_seconds_in_process']} s in process; peak RSS {report['peak_rss_mb']} MB"
    )
    print(
        f"{'corpus':<18}{'notes':>7}{'words':>9}{'notes/s':>10}{'words/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU words/s':>13}{'CPU p50':>9}{'CPU p99':>9}"
    )
    for run, suffix in (("single_process", " (1st)"), ("single_process_warm", " (warm)")):
        for name, row in report[run].items():  # type: ignore[union-attr]
            print(
                f"{name + suffix:<18}{row['notes']:>7}{row['words']:>9}{row['notes_per_s']:>10}"
                f"{row['words_per_s']:>10}{row['p50_ms']:>9}{row['p99_ms']:>9}"
                f"{row['cpu_words_per_s']:>13}{row['cpu_p50_ms']:>9}{row['cpu_p99_ms']:>9}"
            )
    if "workers" in report:
        row = report["workers"]
        print(
            f"--workers {row['workers']}: {row['notes_per_s']} notes/s, {row['words_per_s']} words/s steady "
            f"(pool start-up {row['startup_s']} s, whole run {row['seconds_including_startup']} s)"
        )
    if "components_codiesp" in report:
        print("time per step (CodiEsp):")
        for name, row in report["components_codiesp"].items():  # type: ignore[union-attr]
            print(f"  {name:<24}{row['words_per_s']:>10} words/s  {row['share'] * 100:5.1f}%")


if __name__ == "__main__":
    main()
