"""Two ICD-10-CM releases in one process (issue 15): import time of a release, engine load time and resident memory
with one release loaded and with two.

The second release is a full-size "FY2027" made from the installed FY2026 Tabular List in CDC's zip layout (its
``<version>`` changed to 2027, and an order file written from its codes), imported with the bundled Alphabetic
Index as ``chartcoder vocab import-release`` does for a release without Index files. The home is a copy (hard
links) of ``--home``'s code set, so the benchmark changes nothing there.

* import     wall time of :func:`vocab.release_import.import_release` (parse, validate, lexicon, artifact);
* load       in a fresh process: the engine over the release in force on 2026-09-15 (FY2026), then the engine over
             the one of 2026-11-15 (FY2027), zero-shot, through :class:`suggest.releases.ReleaseEngines` as the CLI
             and batch use it; the time of each load (term tables cached beforehand, as after a first start);
* memory     VmRSS after one engine, after both, and their ratio (the issue's target: <= 1.6).

    .venv/bin/python benchmarks/release_memory.py --home $CHARTCODER_HOME [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from _common import machine, print_table, write_json  # the script's folder

from vocab.artifact import codeset_folder
from vocab.build import build_codeset, tabular_source
from vocab.release_import import import_release

_PROBE = """
import json, sys, time
from pathlib import Path
from suggest.engine_pool import EngineSpec

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0

home = Path(sys.argv[1])
engines = EngineSpec(home=home, model="zero-shot").load_releases()
figures = {"rss_start": rss()}
for label, day in (("fy2026", "2026-09-15"), ("fy2027", "2026-11-15")):
    started = time.perf_counter()
    result = engines.suggest("Essential hypertension. Type 2 diabetes mellitus.", date_of_service=day)
    figures[f"load_{label}_s"] = time.perf_counter() - started
    figures[f"rss_{label}"] = rss()
    figures[f"code_set_{label}"] = result.code_set
print(json.dumps(figures))
"""


def cdc_zips(folder: Path) -> list[Path]:
    """The installed FY2026 Tabular List as a full-size FY2027 in CDC's zip layout (Tabular XML, order file)."""
    tabular_xml, code_list, _ = tabular_source()
    codeset = build_codeset(tabular_xml, code_list)
    order = "\n".join(
        f"{number:05d} {code.code.replace('.', ''):<7} {int(code.billable)} {code.description[:60]:<60} "
        f"{code.description}"
        for number, code in enumerate(codeset.codes.values(), start=1)
    )
    tabular = tabular_xml.read_text(encoding="utf-8").replace("<version>2026</version>", "<version>2027</version>", 1)
    descriptions, table_index = (
        folder / "icd10cm-Code Descriptions-2027.zip",
        folder / "icd10cm-Table and Index-2027.zip",
    )
    with zipfile.ZipFile(descriptions, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Code Descriptions/icd10cm-order-2027.txt", order + "\n")
    with zipfile.ZipFile(table_index, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Table and Index/icd10cm-tabular-2027.xml", tabular)
    return [descriptions, table_index]


def linked_home(source: Path, target: Path) -> None:
    """``target``: hard links to ``source``'s current release and term-table caches (nothing written in ``source``)."""
    from vocab.releases import effective_date

    release = codeset_folder(source)
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    dated = target / "codeset" / effective_date(manifest["release"]).isoformat()
    shutil.copytree(release, dated, copy_function=os.link)
    if (source / "cache").is_dir():
        shutil.copytree(source / "cache", target / "cache", copy_function=os.link)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="A home with the full bundled release built.")
    parser.add_argument("--json", type=Path, help="Write the figures here too.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="release-memory-") as scratch:
        home = Path(scratch) / "home"
        linked_home(args.home.expanduser(), home)
        zips = cdc_zips(Path(scratch))
        started = time.perf_counter()
        imported = import_release(zips, home)
        import_s = time.perf_counter() - started
        environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        probe = [sys.executable, "-c", _PROBE, str(home)]
        subprocess.run(probe, check=True, capture_output=True, env=environment)  # builds the term-table caches
        figures = json.loads(subprocess.run(probe, check=True, capture_output=True, env=environment, text=True).stdout)
    one, two = figures["rss_fy2026"], figures["rss_fy2027"]
    rows = [
        ("import of a full release (FY2027 from FY2026 data, bundled Index)", f"{import_s:.1f} s"),
        (
            "codes / lexicon terms of the imported release",
            f"{imported.counts['codes']:,} / {imported.counts['lexicon_terms']:,}",
        ),
        (f"engine load, first release ({figures['code_set_fy2026']})", f"{figures['load_fy2026_s']:.1f} s"),
        (f"engine load, second release ({figures['code_set_fy2027']})", f"{figures['load_fy2027_s']:.1f} s"),
        ("RSS, interpreter and imports", f"{figures['rss_start'] / 2**20:,.0f} MiB"),
        ("RSS, one release loaded", f"{one / 2**20:,.0f} MiB"),
        ("RSS, two releases loaded", f"{two / 2**20:,.0f} MiB"),
        ("two releases / one release (target <= 1.6)", f"{two / one:.2f}x"),
    ]
    print(machine())
    print_table(["figure", "value"], rows)
    if args.json:
        write_json(args.json, {"import_s": import_s, **figures, "ratio": two / one})


if __name__ == "__main__":
    main()
