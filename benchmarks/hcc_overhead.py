"""CPU cost of the CMS-HCC field on each suggestion (suggest.risk_adjustment.hcc_for + dataclasses.replace).

CPU time of this process only (time.process_time), so the figure holds on a busy shared machine where wall-clock
latency benchmarks swing by tens of percent. Billable codes of the home's code set, drawn at random.

    python benchmarks/hcc_overhead.py [--home PATH] [--suggestions 20000]
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from pathlib import Path

from suggest.risk_adjustment import hcc_for, load_hcc_tables
from suggest.types import Suggestion
from vocab.vocabulary import load_vocabulary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--suggestions", type=int, default=20000)
    arguments = parser.parse_args()
    codes = [code for code, record in load_vocabulary(arguments.home).codeset.codes.items() if record.billable]
    sample = random.Random(0).choices(codes, k=arguments.suggestions)
    started = time.perf_counter()
    load_hcc_tables()
    print(f"tables loaded in {time.perf_counter() - started:.2f} s (once per process, at load_engine)")
    plain = [
        Suggestion(rank=1, code=code, description="", score=0.5, billable=True, evidence=(), flags=(), rationale="")
        for code in sample
    ]
    for label in ("first pass (cache filling)", "second pass"):
        started = time.process_time()
        annotated = [replace(suggestion, hcc=hcc_for(suggestion.code)) for suggestion in plain]
        cpu = time.process_time() - started
        mapped = sum(bool(suggestion.hcc) for suggestion in annotated)
        print(f"{label}: {cpu * 1e6 / len(plain):.2f} us CPU per suggestion ({mapped} of {len(plain)} map to an HCC)")


if __name__ == "__main__":
    main()
