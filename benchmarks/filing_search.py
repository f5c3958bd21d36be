"""Searching filed encounters at scale: 100,000 encounters, 1,000,000 codes, each search kind warm, 50 a page.

Files the synthetic encounters of ``benchmarks/_filing_data.py`` (bulk inserted with SQLAlchemy core into the
schema the migrations make, indexes included) into PostgreSQL and SQLite, then times
:func:`service.store.filed_search.search_filed` (the count, the page of ids and the page's rows with their
codes, as ``POST /v1/encounters/search`` runs them) for each kind of search: exact code, code prefix, code
range, patient, service-date window, coder, status, and one combination. Each query is run once to warm the
caches, then timed; the parameters vary across queries (codes drawn by their frequency, so common codes are
searched often, as in life). Prints p50/p99 per kind and database; acceptance: p99 < 50 ms on PostgreSQL.

    export CHARTCODER_TEST_POSTGRES_URL=$(bash .ci/start-postgres.sh)
    python benchmarks/filing_search.py [--encounters 100000] [--queries 200] [--json PATH]
    python benchmarks/filing_search.py --encounters 2000 --queries 20    # a quick run (CI)

Without a PostgreSQL URL (``--postgres-url`` or the variable) only SQLite is measured.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: service

from _common import machine, print_table, summary_ms, write_json
from _filing_data import CODERS, DAYS, FIRST_DAY, SyntheticFiling, existing, fill
from sqlalchemy import text
from sqlalchemy.orm import Session

from service.store.database import Database
from service.store.filed_search import FiledSearch, search_filed
from service.store.migrate import open_migrated

P99_LIMIT_MS = 50.0
Draw = Callable[[random.Random], FiledSearch]


def search_kinds(data: SyntheticFiling) -> dict[str, Draw]:
    """Each kind of search, as a function drawing one query's criteria."""
    pool, weights = data.pool, data.weights

    def code(rng: random.Random) -> str:
        return rng.choices(pool, weights=weights)[0]

    def window(rng: random.Random, days: int, within: FiledSearch) -> FiledSearch:
        start = FIRST_DAY + timedelta(days=rng.randrange(DAYS - days))
        return replace(within, service_from=start, service_to=start + timedelta(days=days - 1))

    def code_range(rng: random.Random) -> FiledSearch:
        first = code(rng)[:3]
        last = f"{first[0]}{min(99, int(first[1:3]) + 3):02d}.9"  # four categories, as E10-E13.9
        return FiledSearch(code_from=first, code_to=last)

    return {
        "code exact": lambda rng: FiledSearch(code=code(rng)),
        "code prefix": lambda rng: FiledSearch(code_prefix=code(rng)[:4]),  # "E11."
        "code range": code_range,
        "patient": lambda rng: FiledSearch(patient_id=f"P{rng.randrange(max(1, data.encounters // 3)):08d}"),
        "service dates (30 days)": lambda rng: window(rng, 30, FiledSearch()),
        "coder": lambda rng: FiledSearch(coder=rng.choice(CODERS)),
        "status": lambda rng: FiledSearch(status=rng.choice(["filed", "corrected"])),
        "prefix + dates + coder": lambda rng: window(
            rng, 180, FiledSearch(code_prefix=code(rng)[:4], coder=rng.choice(CODERS))
        ),
    }


def _server_cpu(session: Session) -> Callable[[], float]:
    """Seconds the PostgreSQL backend serving ``session`` has spent on a CPU so far (``/proc/PID/schedstat``:
    nanoseconds, where the server runs on this machine); always 0 for SQLite, which runs in this thread."""
    if session.get_bind().dialect.name != "postgresql":
        return lambda: 0.0
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    stat = Path(f"/proc/{pid}/schedstat")
    if not stat.exists():
        return lambda: float("nan")
    return lambda: int(stat.read_text().split()[0]) / 1e9


def measure(database: Database, data: SyntheticFiling, queries: int, seed: int) -> dict[str, dict]:
    """Wall time per search, and its time on a CPU (this thread's plus the database backend's): on a shared,
    busy machine the wall time includes waiting for a CPU, which the CPU time does not."""
    results = {}
    for kind, draw in search_kinds(data).items():
        rng = random.Random(f"{seed}-{kind}")
        criteria = [draw(rng) for _ in range(queries)]
        timings, cpu, totals = [], [], []
        with database.session() as session:
            for one in criteria:  # warm: each query once
                search_filed(session, one, limit=50)
            # As the service after start-up (suggest/loading.py): what lives as long as the process (here the
            # filing's code pool, the criteria, SQLAlchemy's caches) is out of the cyclic collector's sight, so
            # that a full collection does not walk it in the middle of a timed search (about 40 ms each here).
            gc.collect()
            gc.freeze()
            for one in criteria:
                server_cpu = _server_cpu(session)  # the same connection (one transaction) serves the search
                started, started_cpu, started_server = time.perf_counter(), time.thread_time(), server_cpu()
                page = search_filed(session, one, limit=50)
                timings.append(time.perf_counter() - started)
                cpu.append(time.thread_time() - started_cpu + server_cpu() - started_server)
                totals.append(page.total)
                session.rollback()
        on_cpu = summary_ms(cpu)
        results[kind] = {
            "cpu_p50": on_cpu["p50"],
            "cpu_p99": on_cpu["p99"],
            **summary_ms(timings),
            "median_total": sorted(totals)[len(totals) // 2],
            "max_total": max(totals),
        }
    return results


def _postgres_schema(base_url: str, keep: str | None) -> tuple[str, Callable[[], None]]:
    """A schema of its own (dropped afterwards), or the schema ``keep``, kept (and reused when filled before)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    schema = keep or f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')

    def drop() -> None:
        if not keep:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), drop


def run_one(name: str, url: str, args: argparse.Namespace) -> dict:
    print(f"\n{name}: filing {args.encounters:,} encounters ...", flush=True)
    database = open_migrated(url)
    try:
        data = existing(database, args.encounters)
        if data is not None and database.engine.dialect.name == "postgresql":
            # A filling kept from before a migration rewrote its rows: index-only scans need the visibility map
            # and the planner the new columns' statistics (a no-op when nothing changed since the last one).
            with database.engine.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql("VACUUM ANALYZE filed_encounters")
                connection.exec_driver_sql("VACUUM ANALYZE filed_codes")
        data = data or fill(database, args.encounters, seed=args.seed)
        print(
            f"{name}: {data.encounters:,} encounters, {data.codes:,} current codes (+{data.superseded_codes:,} of "
            f"superseded versions), {data.patients:,} patients, loaded in {data.seconds:.0f} s",
            flush=True,
        )
        results = measure(database, data, args.queries, args.seed)
    finally:
        database.dispose()
    rows = [
        (kind, r["n"], r["p50"], r["p99"], r["max"], r["cpu_p50"], r["cpu_p99"], r["median_total"])
        for kind, r in results.items()
    ]
    headers = ["search", "queries", "p50 ms", "p99 ms", "max ms", "CPU p50 ms", "CPU p99 ms", "median total"]
    print_table(headers, rows)
    print(
        f"(load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times include waiting for a CPU)"
    )
    return {
        "encounters": data.encounters,
        "codes": data.codes,
        "superseded_codes": data.superseded_codes,
        "load_seconds": round(data.seconds, 1),
        "searches": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encounters", type=int, default=100_000, help="ten codes each (default 100,000)")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per kind of search")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgres-url", default=os.environ.get("CHARTCODER_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep-schema", help="PostgreSQL: file into this schema, keep it, reuse it when run again")
    parser.add_argument("--sqlite-path", type=Path, help="SQLite: file into this file, keep it, reuse it")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    payload: dict = {"machine": machine(), "encounters": args.encounters, "queries": args.queries}
    verdict = 0
    if args.postgres_url:
        url, drop = _postgres_schema(args.postgres_url, args.keep_schema)
        try:
            payload["postgresql"] = run_one("PostgreSQL", url, args)
        finally:
            drop()
        slow = [kind for kind, r in payload["postgresql"]["searches"].items() if r["p99"] >= P99_LIMIT_MS]
        verdict_text = "yes" if not slow else "NO: " + ", ".join(slow)
        print(f"\nPostgreSQL p99 < {P99_LIMIT_MS:.0f} ms for every search: {verdict_text}")
        verdict = 1 if slow else 0
    else:
        print("PostgreSQL: skipped (no --postgres-url nor CHARTCODER_TEST_POSTGRES_URL)")
    if not args.skip_sqlite:
        if args.sqlite_path:
            payload["sqlite"] = run_one("SQLite", f"sqlite:///{args.sqlite_path}", args)
        else:
            with tempfile.TemporaryDirectory() as folder:
                payload["sqlite"] = run_one("SQLite", f"sqlite:///{Path(folder) / 'filing.db'}", args)
    write_json(args.json, payload)
    return verdict


if __name__ == "__main__":
    raise SystemExit(main())
