"""Load benchmark of the HTTP service: throughput and latency of POST /v1/suggest at 1, 8 and 32 clients.

Starts `chartcoder serve` (--workers, default one; 127.0.0.1, a temporary home sharing a code set) and posts
500-word notes cut from the ACI-BENCH visit notes in ../shared/data/aci_bench/*.csv (column `note`).
Each level stops after --requests-per-client requests per client or --seconds seconds, whichever first.

    .venv/bin/python benchmarks/service_load.py                 # full FY2026 code set (built if missing)
    .venv/bin/python benchmarks/service_load.py --levels 1 8 --seconds 20 --json benchmarks/results/load.json

Exits 0 with a message when the ACI-BENCH notes are absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a script, not a package: reach the repository's modules

from tests.service.server_process import ServerProcess, prepare_home  # noqa: E402
from vocab.artifact import default_home  # noqa: E402

ACI_BENCH = ROOT.parent / "shared" / "data" / "aci_bench"
NOTE_WORDS = 500
WARM_UP_REQUESTS = 3
REQUEST_TIMEOUT_S = 120.0
HEADER = (
    f"{'clients':>7} {'requests':>8} {'errors':>6} {'seconds':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'server CPU ms/req':>17} {'client CPU ms/req':>17}"
)


@dataclass
class LevelResult:
    clients: int
    requests: int
    errors: int
    seconds: float
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    error_kinds: dict[str, int] = field(default_factory=dict)
    server_cpu_ms: float | None = None  # CPU of the server's processes (engine processes included) per request
    client_cpu_ms: float | None = None  # CPU of this load generator per request


def process_tree_cpu_s(root: int) -> float | None:
    """User + system CPU seconds of ``root`` and its descendants so far (Linux /proc; None elsewhere)."""
    proc = Path("/proc")
    if not (proc / str(root) / "stat").exists():
        return None
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0.0) for pid in tree)


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_notes(folder: Path, words: int = NOTE_WORDS, limit: int = 400) -> list[str]:
    """Notes of exactly ``words`` words: each ACI-BENCH note, continued into the next when it is shorter."""
    csv.field_size_limit(sys.maxsize)
    stream: list[str] = []
    for path in sorted(folder.glob("*.csv")):
        if path.name.endswith("_metadata.csv"):
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                stream.extend((row.get("note") or "").split())
    notes = [" ".join(stream[start : start + words]) for start in range(0, len(stream) - words, words)]
    return notes[:limit]


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_level(
    base_url: str,
    key: str,
    notes: list[str],
    clients: int,
    per_client: int,
    seconds: float,
    server_pid: int | None = None,
) -> LevelResult:
    latencies: list[float] = []
    error_kinds: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client_loop(client_index: int) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S, headers=headers) as client:
            for request_index in range(per_client):
                if time.monotonic() >= deadline:
                    return
                note = notes[(client_index * per_client + request_index) % len(notes)]
                started = time.perf_counter()
                try:
                    response = client.post("/v1/suggest", json={"text": note, "setting": "outpatient"})
                    outcome = "ok" if response.status_code == 200 else f"HTTP {response.status_code}"
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    if outcome == "ok":
                        latencies.append(elapsed)
                    else:
                        error_kinds[outcome] = error_kinds.get(outcome, 0) + 1

    server_cpu = process_tree_cpu_s(server_pid) if server_pid is not None else None
    client_cpu = own_cpu_s()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client_loop, range(clients)))
    wall = time.perf_counter() - started
    client_cpu = own_cpu_s() - client_cpu
    server_after = process_tree_cpu_s(server_pid) if server_pid is not None else None
    errors = sum(error_kinds.values())
    requests = len(latencies) + errors
    server_cpu_ms = None
    if server_cpu is not None and server_after is not None and requests:
        server_cpu_ms = round((server_after - server_cpu) / requests * 1000, 1)
    return LevelResult(
        clients=clients,
        requests=requests,
        errors=errors,
        seconds=round(wall, 2),
        throughput_rps=round(len(latencies) / wall, 2) if wall else 0.0,
        p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
        error_kinds=error_kinds,
        server_cpu_ms=server_cpu_ms,
        client_cpu_ms=round(client_cpu / requests * 1000, 1) if requests else None,
    )


def codeset_home(given: Path | None, scratch: Path) -> Path:
    """Where to take the code set from: --codeset-home, else the default home, else a full build in scratch."""
    from vocab.vocabulary import ensure_vocabulary

    home = given or default_home()
    if not (home / "codeset" / "manifest.json").exists():
        home = scratch
        print(f"building the FY2026 code set in {home} (~15 s)...", flush=True)
    ensure_vocabulary(home)
    return home


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 8, 32], help="Concurrent clients per level.")
    parser.add_argument("--requests-per-client", type=int, default=40, help="Upper bound per client and level.")
    parser.add_argument("--seconds", type=float, default=60.0, help="Upper bound of each level's duration.")
    parser.add_argument("--codeset-home", type=Path, default=None, help="A chartcoder home holding a code set.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    parser.add_argument("--workers", type=int, default=1, help="Server worker processes (`serve --workers`).")
    parser.add_argument(
        "--engine-processes", type=int, default=0, help="Engine processes (`serve --engine-processes`; 0: none)."
    )
    args = parser.parse_args()

    notes = load_notes(ACI_BENCH) if ACI_BENCH.is_dir() else []
    if not notes:
        print(f"skipped: no ACI-BENCH notes at {ACI_BENCH}")
        return 0
    with tempfile.TemporaryDirectory(prefix="chartcoder-bench-") as temporary:
        source = codeset_home(args.codeset_home, Path(temporary) / "codeset-home")
        home = prepare_home(Path(temporary) / "home", source)
        server = ServerProcess(home, workers=args.workers, engine_processes=args.engine_processes)
        try:
            server.wait_ready(timeout_s=600)
            assert server.admin_key, server.log
            layout = f"{args.workers} worker(s), {args.engine_processes or 'no'} engine process(es)"
            print(f"server {server.base_url} ({layout}), code set from {source}")
            print(f"{len(notes)} notes of {NOTE_WORDS} words from {ACI_BENCH}")
            run_level(server.base_url, server.admin_key, notes, 1, WARM_UP_REQUESTS, args.seconds)
            results = []
            print(HEADER)
            for clients in args.levels:
                result = run_level(
                    server.base_url,
                    server.admin_key,
                    notes,
                    clients,
                    args.requests_per_client,
                    args.seconds,
                    server_pid=server.process.pid,
                )
                results.append(result)
                print(
                    f"{result.clients:>7} {result.requests:>8} {result.errors:>6} {result.seconds:>8.1f} "
                    f"{result.throughput_rps:>7.2f} {result.p50_ms:>8.1f} {result.p99_ms:>8.1f} "
                    f"{_figure(result.server_cpu_ms):>17} {_figure(result.client_cpu_ms):>17}"
                    + (f"  {result.error_kinds}" if result.error_kinds else ""),
                    flush=True,
                )
        finally:
            server.stop()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(result) for result in results], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
