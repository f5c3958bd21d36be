"""Batch throughput: one process, ``--workers 2`` and Spark ``local[2]`` on the same notes.

The notes (10,000 by default) are the ACI-BENCH clinic notes and the CodiEsp train + dev texts of
../shared/data, then deterministic recombinations of them (the first half of one note, the second half of
another) until there are enough. Each mode is timed in two parts, so that start-up cost does not hide
steady-state throughput:

- single: ``suggest.batch.code_lines(workers=1)``; start-up = importing the engine's modules + load_engine.
- workers: the pool of ``code_lines(workers=N)``; start-up = starting it until every worker has loaded its
  engine and coded one note; then the same pool codes every note.
- spark: ``suggest.spark.code_file`` (JSONL in, Parquet out, what ``chartcoder batch --engine spark`` runs);
  start-up = the SparkSession (JVM) + a warm-up job in which every Python worker loads its engine.

Also reported: the resident memory (RSS) of one engine-holding process per mode, and of Spark's JVM; and
the CPU time per note of the processes that run the engine (and of Spark's JVM), which a busy shared
machine does not inflate the way it inflates wall-clock time.

    python benchmarks/spark_throughput.py [--notes 10000] [--workers 2] [--master local[2]] \\
        [--modes single,workers,spark] [--home PATH] [--json benchmarks/results/spark_throughput.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import SHARED_DATA, machine, prepared_home, print_table, write_json  # the script's folder

MODES = ("single", "workers", "spark")


# --- the notes ----------------------------------------------------------------------------------------
def base_texts() -> list[str]:
    """ACI-BENCH notes (every split, not the metadata files), then the CodiEsp train and dev texts."""
    texts: list[str] = []
    for path in sorted((SHARED_DATA / "aci_bench").glob("*.csv")):
        if path.name.endswith("_metadata.csv"):
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            texts.extend(row["note"] for row in csv.DictReader(handle) if row.get("note"))
    for split in ("train", "dev"):
        texts.extend(
            path.read_text(encoding="utf-8")
            for path in sorted((SHARED_DATA / "codiesp" / split / "text_en").glob("*.txt"))
        )
    return texts


def _cut(text: str) -> int:
    """Where to halve a note: the first line break after its middle, else a sentence end, else a space."""
    middle = len(text) // 2
    for mark, skip in (("\n", 1), (". ", 2), (" ", 1)):
        found = text.find(mark, middle)
        if found != -1:
            return found + skip
    return middle


def make_notes(count: int) -> list[str]:
    """The originals first, then recombinations (deterministic: no random generator involved)."""
    bases = base_texts()
    total = len(bases)
    notes = bases[:count]
    index = total
    while len(notes) < count:
        first, second = bases[(index * 7) % total], bases[(index * 13 + 5) % total]
        notes.append(first[: _cut(first)] + "\n\n" + second[_cut(second) :])
        index += 1
    return notes


def words_in(texts: list[str]) -> int:
    return sum(len(text.split()) for text in texts)


def write_jsonl(notes: list[str], path: Path) -> None:
    with path.open("w", encoding="utf-8") as sink:
        for number, text in enumerate(notes, start=1):
            sink.write(json.dumps({"id": f"n{number}", "text": text}, ensure_ascii=False) + "\n")


def process_cpu_s(pid: int) -> float:
    """CPU seconds a running process has used (utime + stime from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """Resident set (or, with ``field="VmSize"``, the address space: what an RLIMIT_AS caps) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


# --- the modes ----------------------------------------------------------------------------------------
def result(
    mode: str, notes: list[str], startup: float, steady: float, engine_cpu: float, other_cpu: float = 0.0, **extra: Any
) -> dict[str, Any]:
    """``engine_cpu``: CPU seconds of the engine processes in the steady part; ``other_cpu``: of the rest
    (Spark's JVM). Their sum per note bounds what one free core can do, whatever else the machine runs."""
    words = words_in(notes)
    steady = max(steady, 1e-9)
    return {
        "mode": mode,
        "notes": len(notes),
        "words": words,
        "startup_s": round(startup, 2),
        "steady_s": round(steady, 2),
        "steady_notes_per_s": round(len(notes) / steady, 2),
        "steady_words_per_s": round(words / steady),
        "overall_notes_per_s": round(len(notes) / (startup + steady), 2),
        "engine_cpu_ms_per_note": round(1000 * engine_cpu / len(notes), 1),
        "notes_per_cpu_s": round(len(notes) / max(engine_cpu + other_cpu, 1e-9), 1),
        **extra,
    }


def batch_lines(notes: list[str]) -> list[Any]:
    from suggest.batch import parse_line

    return [
        parse_line(number, json.dumps({"id": f"n{number}", "text": text}).encode())
        for number, text in enumerate(notes, start=1)
    ]


def time_single(home: Path, notes: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    from suggest.batch import EngineSpec, code_lines

    spec = EngineSpec(home=home)
    engine = spec.load()
    startup = time.perf_counter() - started
    lines = batch_lines(notes)
    started, cpu = time.perf_counter(), time.process_time()
    coded = list(code_lines(lines, spec, workers=1, engine=engine))
    steady, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(coded) == len(notes) and not any("error" in record for record in coded)
    return result("1 process", notes, startup, steady, cpu, worker_rss_mb=rss_mb())


def time_workers(home: Path, notes: list[str], workers: int) -> dict[str, Any]:
    """``chartcoder batch --workers N``'s pool (``suggest.batch``'s own initializer and chunk coder, and the
    same window of 2 x N chunks in flight), started and warmed up first, so that its start-up is measured
    apart from the coding rather than subtracted from a second run."""
    import multiprocessing
    from collections import deque

    from suggest import batch

    spec, lines = batch.EngineSpec(home=home), batch_lines(notes)
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers, initializer=batch._worker_start, initargs=(spec,)) as pool:
        seen: set[int] = set()
        while len(seen) < workers:  # until every worker has loaded its engine and coded a note
            seen.update(pool.map(_coded_by, [lines[:1]] * workers, chunksize=1))
        startup = time.perf_counter() - started
        pids = sorted(seen)
        cpu, started = sum(process_cpu_s(pid) for pid in pids), time.perf_counter()
        coded: list[dict[str, Any]] = []
        window: deque = deque()
        for chunk in batch._chunks(lines):
            window.append(pool.apply_async(batch._worker_code, (chunk, None)))
            if len(window) >= 2 * workers:
                coded.extend(window.popleft().get())
        while window:
            coded.extend(window.popleft().get())
        steady, cpu = time.perf_counter() - started, sum(process_cpu_s(pid) for pid in pids) - cpu
        worker_rss = max(rss_mb(pid) for pid in pids)
    assert len(coded) == len(notes) and not any("error" in record for record in coded)
    return result(f"--workers {workers}", notes, startup, steady, cpu, worker_rss_mb=worker_rss)


def _coded_by(chunk: list[Any]) -> int:
    """A warm-up task: code ``chunk`` in a pool worker and say which process did."""
    from suggest import batch

    batch._worker_code(chunk, None)
    return os.getpid()


def time_spark(home: Path, notes: list[str], master: str, folder: Path) -> dict[str, Any]:
    from suggest.spark import code_file, spark_session, suggest_notes

    source, output = folder / "notes.jsonl", folder / "suggestions.parquet"
    write_jsonl(notes, source)
    started = time.perf_counter()
    with spark_session(master, app_name="chartcoder-spark-throughput", ui=False) as spark:
        session_s = time.perf_counter() - started
        cores = spark.sparkContext.defaultParallelism
        warm_up = spark.createDataFrame([(str(i), notes[i]) for i in range(cores)], "id string, text string")
        suggest_notes(warm_up.repartition(cores), home=home).count()  # every worker loads its engine
        startup = time.perf_counter() - started
        before = probe_workers(spark, cores)
        jvm = spark.sparkContext._gateway.proc.pid  # the driver JVM, a child of this process in local mode
        jvm_cpu, started = process_cpu_s(jvm), time.perf_counter()
        summary = code_file(spark, source, output, home=home)
        steady, jvm_cpu = time.perf_counter() - started, process_cpu_s(jvm) - jvm_cpu
        after = probe_workers(spark, cores)
        jvm_rss = rss_mb(jvm)
    assert summary.lines == len(notes) and summary.failed == 0, summary
    # CPU of the workers seen in both probes (Spark reuses them; a replaced one would be missed, and said).
    engine_cpu = sum(after[pid][1] - before[pid][1] for pid in before.keys() & after.keys())
    return result(
        f"Spark {master}",
        notes,
        startup,
        steady,
        engine_cpu,
        jvm_cpu,
        session_s=round(session_s, 2),
        worker_rss_mb=max((rss for rss, _, _ in after.values()), default=float("nan")),
        worker_vm_mb=max((vm for _, _, vm in after.values()), default=float("nan")),
        workers_with_engine=len(after),
        workers_probed_twice=len(before.keys() & after.keys()),
        jvm_rss_mb=jvm_rss,
        jvm_cpu_ms_per_note=round(1000 * jvm_cpu / len(notes), 1),
    )


def probe_workers(spark: Any, cores: int) -> dict[int, tuple[float, float, float]]:
    """pid -> (RSS MB, CPU s, address space MB) of each Spark Python worker with an engine (tiny tasks)."""

    def probe(frames: Any) -> Any:
        import pandas as pd

        from suggest import spark as module

        for _ in frames:
            yield pd.DataFrame(
                {
                    "pid": [os.getpid()],
                    "engines": [len(module._worker_engines)],
                    "rss": [rss_mb()],
                    "vm": [rss_mb(field="VmSize")],
                    "cpu": [time.process_time()],
                }
            )

    schema = "pid long, engines long, rss double, vm double, cpu double"
    rows = spark.range(0, cores * 8, numPartitions=cores * 8).mapInPandas(probe, schema).collect()
    return {row["pid"]: (row["rss"], row["cpu"], row["vm"]) for row in rows if row["engines"]}


# --- the report ---------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10_000, help="notes per mode (default 10,000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: single, workers, spark")
    parser.add_argument("--home", type=Path, default=None, help="default: a reused FY2026 + Index home in /tmp")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    arguments = parser.parse_args()
    modes = [mode.strip() for mode in arguments.modes.split(",") if mode.strip()]
    if unknown := set(modes) - set(MODES):
        sys.exit(f"unknown modes {sorted(unknown)}: expected {', '.join(MODES)}")
    if not SHARED_DATA.is_dir():
        sys.exit(f"shared data not found at {SHARED_DATA}")

    home = arguments.home or prepared_home(with_index=True)
    notes = make_notes(arguments.notes)
    print(f"{len(notes):,} notes, {words_in(notes):,} words; home {home}; load average {os.getloadavg()[0]:.1f}")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="chartcoder-spark-bench-") as folder:
        for mode in modes:
            print(f"timing {mode} ...", flush=True)
            if mode == "single":
                rows.append(time_single(home, notes))
            elif mode == "workers":
                rows.append(time_workers(home, notes, arguments.workers))
            else:
                rows.append(time_spark(home, notes, arguments.master, Path(folder)))
    print()
    print_table(
        [
            "mode",
            "notes",
            "start-up s",
            "steady notes/s",
            "steady words/s",
            "overall notes/s",
            "engine CPU ms/note",
            "notes/CPU-s",
            "worker RSS MB",
        ],
        [
            [
                row["mode"],
                row["notes"],
                row["startup_s"],
                row["steady_notes_per_s"],
                row["steady_words_per_s"],
                row["overall_notes_per_s"],
                row["engine_cpu_ms_per_note"],
                row["notes_per_cpu_s"],
                row.get("worker_rss_mb", "-"),
            ]
            for row in rows
        ],
    )
    spark_rows = [row for row in rows if row["mode"].startswith("Spark")]
    for row in spark_rows:
        print(
            f"\n{row['mode']}: session {row['session_s']} s of the start-up; {row['workers_with_engine']} Python "
            f"workers held an engine ({row['workers_probed_twice']} probed before and after); driver JVM: "
            f"RSS {row['jvm_rss_mb']} MB, {row['jvm_cpu_ms_per_note']} ms CPU per note; a worker's address space "
            f"{row['worker_vm_mb']} MB"
        )
    write_json(arguments.json, {"machine": machine(), "notes": len(notes), "words": words_in(notes), "modes": rows})


if __name__ == "__main__":
    main()
