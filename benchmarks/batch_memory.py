"""Does `chartcoder batch` stream? Resident memory over a long run should stay flat.

Writes N notes (sentences recombined from the CodiEsp texts, deterministic) to a temporary JSONL file, runs
`chartcoder batch` on it in a subprocess, samples the process's RSS (/proc/<pid>/status) twice a second,
and prints RSS against the share of output lines written. A growing RSS would mean the batch holds
notes or results; a flat one means memory does not depend on the file's size (a 1 GB file included).

    python benchmarks/batch_memory.py [--notes 5000] [--home PATH] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def sentences() -> list[str]:
    found = []
    for path in sorted((SHARED / "codiesp" / "train" / "text_en").glob("*.txt")):
        found.extend(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if len(line.split()) > 4)
    return found


def write_notes(path: Path, count: int, seed: int = 7) -> int:
    pool = sentences()
    chooser = random.Random(seed)
    words = 0
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            text = " ".join(chooser.sample(pool, 4))
            words += len(text.split())
            handle.write(json.dumps({"id": str(number), "text": text}) + "\n")
    return words


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def lines_in(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--home", type=Path, default=None)
    arguments = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"shared data not found at {SHARED}")
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "in.jsonl", Path(folder) / "out.jsonl"
        words = write_notes(source, arguments.notes)
        size = source.stat().st_size
        command = [
            sys.executable,
            "-m",
            "cli.main",
            "batch",
            str(source),
            "-o",
            str(output),
            "--workers",
            str(arguments.workers),
        ]
        if arguments.home:
            command += ["--home", str(arguments.home)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
        samples: list[tuple[float, float]] = []
        while process.poll() is None:
            memory = rss_mb(process.pid)
            if memory is not None:
                samples.append((lines_in(output) / arguments.notes, memory))
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
    print(
        f"{arguments.notes:,} notes, {words:,} words, {size:,} bytes; "
        f"exit {process.returncode}; {elapsed:.1f} s ({arguments.notes / elapsed:.1f} notes/s incl. start-up)"
    )
    print(f"{'output written':>15}{'RSS MB':>9}")
    for share in (0.1, 0.25, 0.5, 0.75, 1.0):
        near = [memory for done, memory in samples if done <= share]
        if near:
            print(f"{share * 100:>14.0f}%{near[-1]:>9.0f}")
    if samples:
        print(f"peak RSS {max(memory for _, memory in samples):.0f} MB")


if __name__ == "__main__":
    main()
