"""Code-set build and load: build time, artifact load time, resident memory and size on disk, with and without the
Alphabetic Index imported.

* build      ``build_codeset()`` (the FY2026 Tabular List from the installed ``simple-icd-10-cm``), then
             ``build_vocabulary()`` (lexicon, abbreviation links, artifact written); with the Index, the four
             files bundled in ``vocab/data/index`` are parsed first (timed apart) and imported, as
             ``chartcoder vocab build`` does.
* load       median of ``--loads`` fresh processes, each timing ``load_vocabulary()`` (manifest, hashes, code set)
             and then the first ``code_search`` access (the lexicon: hash check, msgpack decode, lookup tables) apart;
             the interpreter start and imports are not counted.
* memory     VmRSS and VmHWM (peak) from ``/proc/self/status`` of those processes after the first search.
* disk       every file of the artifact folder.

    .venv/bin/python benchmarks/vocab_build.py [--loads 5] [--no-index] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine, print_table, read_indexes, write_json  # the script's folder

from vocab.artifact import codeset_folder
from vocab.build import build_codeset
from vocab.vocabulary import build_vocabulary

# Run in a fresh interpreter: everything is imported before the clock starts.
_LOAD_PROBE = """
import json, sys, time
from pathlib import Path
from vocab.vocabulary import load_vocabulary

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0

started = time.perf_counter()
vocabulary = load_vocabulary(Path(sys.argv[1]))
loaded = time.perf_counter()
vocabulary.code_search
searchable = time.perf_counter()
vocabulary.search("type 2 diabetes with chronic kidney disease")
first_query = time.perf_counter()
print(json.dumps({
    "load_s": loaded - started,
    "code_search_s": searchable - loaded,
    "first_query_s": first_query - searchable,
    "rss_bytes": status("VmRSS"),
    "peak_rss_bytes": status("VmHWM"),
}))
"""


def build(home: Path, with_index: bool) -> dict[str, float]:
    started = time.perf_counter()
    codeset = build_codeset()
    tabular_seconds = time.perf_counter() - started
    started = time.perf_counter()
    indexes = read_indexes() if with_index else []
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    vocabulary = build_vocabulary(home, codeset=codeset, indexes=indexes, bundled_index=False)  # parsed above
    lexicon_seconds = time.perf_counter() - started
    return {
        "tabular_s": tabular_seconds,
        "index_parse_s": index_seconds,
        "lexicon_and_write_s": lexicon_seconds,
        "total_s": tabular_seconds + index_seconds + lexicon_seconds,
        "lexicon_terms": vocabulary.manifest.counts["lexicon_terms"],
        "codes": vocabulary.manifest.counts["codes"],
        "billable_codes": vocabulary.manifest.counts["billable_codes"],
        "index_entries": vocabulary.manifest.counts["index_entries"],
    }


def load(home: Path, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        completed = subprocess.run(
            [sys.executable, "-c", _LOAD_PROBE, str(home)], capture_output=True, text=True, check=True, timeout=300
        )
        samples.append(json.loads(completed.stdout))
    return {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}


def disk(home: Path) -> dict[str, int]:
    folder = codeset_folder(home)
    sizes = {path.name: path.stat().st_size for path in sorted(folder.iterdir()) if path.is_file()}
    sizes["total"] = sum(sizes.values())
    return sizes


def measure(with_index: bool, loads: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="chartcoder-build-bench-"))
    try:
        built = build(home, with_index)
        return {"build": built, "load": load(home, loads), "disk": disk(home)}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=5, help="fresh processes timing the load (median)")
    parser.add_argument("--no-index", action="store_true", help="only the Tabular List")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    arguments = parser.parse_args()

    variants = {"tabular only": False}
    if not arguments.no_index:
        variants["with the Index"] = True
    results = {name: measure(with_index, arguments.loads) for name, with_index in variants.items()}

    about = machine()
    print(f"code-set build and load, FY2026; machine: {about['cpus']} CPUs, {about['cpu_model']}\n")
    mib = 1024 * 1024
    rows = []
    for name, result in results.items():
        built, loaded, sizes = result["build"], result["load"], result["disk"]
        rows.append(
            [
                name,
                round(built["tabular_s"], 2),
                round(built["index_parse_s"], 2),
                round(built["lexicon_and_write_s"], 2),
                round(built["total_s"], 2),
                round(loaded["load_s"] * 1000, 1),
                round(loaded["code_search_s"] * 1000, 1),
                round(loaded["first_query_s"] * 1000, 1),
                round(loaded["rss_bytes"] / mib, 1),
                round(loaded["peak_rss_bytes"] / mib, 1),
                round(sizes["total"] / mib, 1),
            ]
        )
    print_table(
        [
            "variant",
            "tabular s",
            "index parse s",
            "lexicon+write s",
            "build s",
            "load ms",
            "lexicon ms",
            "1st query ms",
            "RSS MiB",
            "peak MiB",
            "disk MiB",
        ],
        rows,
    )
    for name, result in results.items():
        built = result["build"]
        parts = ", ".join(f"{file} {size / mib:.1f}" for file, size in result["disk"].items() if file != "total")
        print(
            f"\n{name}: {built['codes']:,} codes, {built['billable_codes']:,} billable, {built['index_entries']:,} "
            f"index entries, {built['lexicon_terms']:,} lexicon terms; files (MiB): {parts}"
        )
    write_json(arguments.json, {"benchmark": "vocab_build", "machine": about, "loads": arguments.loads, **results})


if __name__ == "__main__":
    main()
