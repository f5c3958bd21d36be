"""Does `chartcoder export` stream? Its memory must not grow with the number of rows.

Files synthetic encounters (ten codes each, ``benchmarks/_filing_data.py``) into a database, runs
``chartcoder export --format F`` on it in a subprocess writing to a file, and samples the process's RSS
(``/proc/PID/status``) and the rows written every 0.1 s. Prints the RSS once 10,000 rows are written, the peak
RSS of the whole run (VmHWM), and rows/s. Acceptance (issue 20): on 1,000,000 codes, peak RSS within 50 MB of the
RSS after 10,000.

    python benchmarks/export_memory.py [--encounters 100000] [--format csv] [--postgres-url URL] [--json PATH]
    python benchmarks/export_memory.py --encounters 3000 --format csv          # a quick run (CI)

SQLite by default (a temporary file); ``--postgres-url`` (or CHARTCODER_TEST_POSTGRES_URL with ``--postgres``)
exports from PostgreSQL instead. ``--sqlite-path`` keeps and reuses a filled SQLite file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: service

from _common import machine, print_table, write_json
from _filing_data import existing, fill

from service.store.migrate import open_migrated

REPOSITORY = Path(__file__).resolve().parents[1]
RSS_MARGIN_MB = 50.0
EARLY_ROWS = 10_000


def _status_mb(pid: int, field: str) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


class LineCounter:
    """Rows written so far to a file another process is writing (reads only the bytes added since last time)."""

    def __init__(self, path: Path, header_lines: int) -> None:
        self.path, self.offset, self.lines, self.header = path, 0, 0, header_lines

    def __call__(self) -> int:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return 0
        self.offset += len(chunk)
        self.lines += chunk.count(b"\n")
        return max(0, self.lines - self.header)


def run_export(url: str, export_format: str, home: Path, output: Path) -> dict:
    env = {**os.environ, "CHARTCODER_DATABASE_URL": url, "PYTHONPATH": str(REPOSITORY)}
    command = [sys.executable, "-m", "cli.main", "export", "--format", export_format, "--output", str(output)]
    command += ["--home", str(home)]
    counter = LineCounter(output, header_lines=1 if export_format == "csv" else 0)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPOSITORY)
    samples: list[tuple[float, int, float]] = []  # seconds, rows, RSS MB
    peak = 0.0
    while process.poll() is None:
        rss, hwm = _status_mb(process.pid, "VmRSS"), _status_mb(process.pid, "VmHWM")
        if rss is not None:
            samples.append((time.perf_counter() - started, counter(), rss))
            peak = max(peak, hwm or rss)
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"chartcoder export failed ({process.returncode}): {stderr.decode()[-2000:]}")
    rows = counter()
    first_rows = next(((at, done) for at, done, _ in samples if done > 0), (elapsed, 0))
    early = next((rss for _, done, rss in samples if done >= EARLY_ROWS), None)
    streaming = elapsed - first_rows[0]
    return {
        "format": export_format,
        "rows": rows,
        "seconds": round(elapsed, 1),
        "rows_per_s": round(rows / elapsed),
        "rows_per_s_after_first_row": round((rows - first_rows[1]) / streaming) if streaming > 0 else None,
        "rss_mb_after_10000": round(early, 1) if early is not None else None,
        "peak_rss_mb": round(peak, 1),
        "samples": [(round(at, 1), done, round(rss, 1)) for at, done, rss in samples[:: max(1, len(samples) // 40)]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encounters", type=int, default=100_000, help="ten codes each (default 100,000)")
    parser.add_argument("--format", dest="formats", action="append", choices=["csv", "jsonl", "fhir"])
    parser.add_argument("--postgres-url", help="export from this PostgreSQL server (a schema of its own)")
    parser.add_argument("--sqlite-path", type=Path, help="SQLite file to fill (or reuse when filled before)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    formats = args.formats or ["csv"]

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        home.mkdir(mode=0o700)
        drop = None
        if args.postgres_url:
            from sqlalchemy import create_engine
            from sqlalchemy.engine import make_url

            schema = f"export_{uuid.uuid4().hex[:10]}"
            admin = create_engine(args.postgres_url)
            with admin.begin() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            in_schema = make_url(args.postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
            url = in_schema.render_as_string(hide_password=False)

            def drop() -> None:
                with admin.begin() as connection:
                    connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
                admin.dispose()
        else:
            url = f"sqlite:///{args.sqlite_path or Path(folder) / 'export.db'}"
        try:
            database = open_migrated(url)
            data = existing(database, args.encounters) or fill(database, args.encounters)
            database.dispose()
            print(f"{data.codes:,} codes of {data.encounters:,} encounters in {url.split('?')[0].split('@')[-1]}")
            results = [run_export(url, one, home, Path(folder) / f"out.{one}") for one in formats]
        finally:
            if drop is not None:
                drop()
    rows = [
        (
            r["format"],
            r["rows"],
            r["seconds"],
            r["rows_per_s"],
            r["rows_per_s_after_first_row"],
            r["rss_mb_after_10000"],
            r["peak_rss_mb"],
            round(r["peak_rss_mb"] - (r["rss_mb_after_10000"] or float("nan")), 1),
        )
        for r in results
    ]
    headers = [
        "format",
        "rows",
        "seconds",
        "rows/s",
        "rows/s streaming",
        "RSS MB at 10,000",
        "peak RSS MB",
        "growth MB",
    ]
    print_table(headers, rows)
    print("(seconds and rows/s include the command's start-up; streaming: from its first row written)")
    grown = [
        r["format"]
        for r in results
        if r["rss_mb_after_10000"] is None or r["peak_rss_mb"] - r["rss_mb_after_10000"] > RSS_MARGIN_MB
    ]
    verdict = "yes" if not grown else "NO: " + ", ".join(grown)
    print(f"peak within {RSS_MARGIN_MB:.0f} MB of the RSS after {EARLY_ROWS:,} rows: {verdict}")
    write_json(args.json, {"machine": machine(), "encounters": args.encounters, "results": results})
    return 1 if grown else 0


if __name__ == "__main__":
    raise SystemExit(main())
