"""Two engines' speed in one run, alternated (A B A B ...): an older checkout against this one.

On a shared machine the wall clock swings by tens of percent between two runs of the same engine, so the
engines are compared on CPU time (``time.process_time`` of a process that runs nothing but the engine) and each
is measured ``--rounds`` times, alternating, so that a change in the machine's load hits both alike. Each run
is this checkout's ``benchmarks/engine_speed.py`` (same corpora, same code path: ``load_engine`` then
``Engine.suggest`` per note) in a fresh process whose PYTHONPATH starts with the engine's checkout and whose
$CHARTCODER_HOME is that engine's own home (an older engine reads its own home's format)::

    python benchmarks/engine_speed_ab.py --base /tmp/base --base-home /work/homes/old \\
        --home $CHARTCODER_HOME --model zero-shot --rounds 2

Prints CPU words/s (first pass and warm) and CPU ms per note per corpus for every run, the best of each
engine's runs and their ratio (now / base), and the peak RSS; ``--json`` writes every run's report.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
CORPORA = ("aci_bench", "codiesp", "500_words")


def run_once(checkout: Path, home: Path, model: str | None) -> dict:
    """One engine_speed.py run (no pool, no fresh-process load timing, no per-step table) of ``checkout``."""
    environment = dict(os.environ, PYTHONPATH=str(checkout), CHARTCODER_HOME=str(home))
    command = [sys.executable, str(HERE / "engine_speed.py"), "--json", "--workers", "1", "--no-load-time"]
    command += ["--no-components", "--home", str(home)] + (["--model", model] if model else [])
    output = subprocess.run(command, env=environment, cwd=checkout, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        sys.exit(f"engine_speed.py failed for {checkout}:\n{output.stderr[-2000:]}")
    return json.loads(output.stdout)


def best(runs: list[dict], pass_name: str, corpus: str, field: str) -> float:
    return max(run[pass_name][corpus][field] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="the older checkout (its repository root)")
    parser.add_argument("--base-home", type=Path, required=True, help="the older engine's chartcoder home")
    parser.add_argument("--home", type=Path, default=os.environ.get("CHARTCODER_HOME"), help="this engine's home")
    parser.add_argument("--model", default="zero-shot", help="model id for both (zero-shot: no model)")
    parser.add_argument("--rounds", type=int, default=2, help="A B pairs")
    parser.add_argument("--json", type=Path, help="write every run's report here")
    arguments = parser.parse_args()
    if arguments.home is None:
        sys.exit("--home or $CHARTCODER_HOME is needed")

    engines = {"base": (arguments.base.resolve(), arguments.base_home), "now": (CHECKOUT, arguments.home)}
    runs: dict[str, list[dict]] = {"base": [], "now": []}
    for round_number in range(1, arguments.rounds + 1):
        for name, (checkout, home) in engines.items():
            report = run_once(checkout, home, arguments.model)
            runs[name].append(report)
            warm = report["single_process_warm"]
            figures = "  ".join(
                f"{corpus} {warm[corpus]['cpu_words_per_s']:>6} w/cpu-s p50 {warm[corpus]['cpu_p50_ms']} ms"
                for corpus in CORPORA
            )
            print(f"round {round_number} {name:<5} warm: {figures}; RSS {report['peak_rss_mb']} MB", flush=True)

    print(f"\nbase {engines['base'][0]}, now {CHECKOUT}; model {arguments.model}; best of {arguments.rounds} runs")
    print(f"{'corpus':<12}{'pass':<7}{'base CPU w/s':>14}{'now CPU w/s':>13}{'now/base':>10}{'CPU p50 / p99 ms':>32}")
    for pass_name, label in (("single_process", "1st"), ("single_process_warm", "warm")):
        for corpus in CORPORA:
            base = best(runs["base"], pass_name, corpus, "cpu_words_per_s")
            now = best(runs["now"], pass_name, corpus, "cpu_words_per_s")
            latency = " -> ".join(
                f"{min(run[pass_name][corpus]['cpu_p50_ms'] for run in runs[name])}"
                f" / {min(run[pass_name][corpus]['cpu_p99_ms'] for run in runs[name])}"
                for name in ("base", "now")
            )
            print(f"{corpus:<12}{label:<7}{base:>14}{now:>13}{now / base:>10.3f}{latency:>32}")
    rss = {name: [run["peak_rss_mb"] for run in runs[name]] for name in runs}
    print(f"peak RSS MB: base {rss['base']}, now {rss['now']}")
    if arguments.json:
        arguments.json.write_text(json.dumps(runs, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
