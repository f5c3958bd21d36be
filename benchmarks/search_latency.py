"""Code-search latency, in-process, warm: p50 / p90 / p99 / max per query category and overall.

The query set (default 1,200 queries) is built deterministically from a seed:

* code          valid codes as printed or typed: ``E11.9``, ``e119``, ``S52.521A``
* prefix        what a coder types to open a branch: ``e11``, ``S52.5``, ``i4``
* phrase        problem headings of the ACI-BENCH visit notes ("Congestive heart failure") and, when the Index
                is imported, Index paths read the way a coder says them ("aspiration pneumonia")
* typo          a phrase with one edit (drop, swap, replace, insert) in a word of six letters or more
* abbreviation  abbreviations of ``vocab/data/abbreviations.tsv``, alone or with a word of context
* autocomplete  a phrase cut inside a word, as it stands after some keystrokes ("aspiration pneu")

Every query runs once to warm up, then ``--repeat`` times timed with ``time.perf_counter`` (wall) and
``time.thread_time`` (CPU of this thread, which other processes on a shared machine do not inflate).
Target: p99 < 5 ms.

    .venv/bin/python benchmarks/search_latency.py [--home PATH] [--no-index] [--json PATH]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import string
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import SHARED_DATA, machine, prepared_home, print_table, summary_ms, write_json  # the script's folder

from vocab.codeset import CodeSet
from vocab.lexicon import load_abbreviations
from vocab.vocabulary import Vocabulary, load_vocabulary

CATEGORY_SIZES = {"code": 200, "prefix": 200, "phrase": 250, "typo": 200, "abbreviation": 150, "autocomplete": 200}
_HEADING_RE = re.compile(r"^(?:\d+[.)]\s*)?([A-Za-z][A-Za-z0-9 ,'/()-]{2,80})\.?$")
_NOT_PROBLEMS = ("patient", "plan", "assessment", "history", "instructions", "follow", "agreement", "orders")


def note_problem_headings() -> list[str]:
    """Short problem headings under ASSESSMENT AND PLAN in the ACI-BENCH notes, e.g. "Hypertension"."""
    folder = SHARED_DATA / "aci_bench"
    headings: set[str] = set()
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        if "metadata" in path.name:
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                headings.update(_headings(row.get("note") or ""))
    return sorted(headings)


def _headings(note: str) -> list[str]:
    found = []
    in_plan = False
    for raw in note.splitlines():
        line = raw.strip()
        if line.upper().startswith("ASSESSMENT"):
            in_plan = True
            continue
        if not in_plan or not line or ":" in line or line.startswith(("•", "-")):
            continue
        match = _HEADING_RE.match(line)
        if match and 1 <= len(match.group(1).split()) <= 7:
            phrase = match.group(1).strip().rstrip(".")
            if not phrase.lower().startswith(_NOT_PROBLEMS):
                found.append(phrase)
    return found


def index_phrases(vocabulary: Vocabulary) -> list[str]:
    """Index paths of two or three steps, read as spoken: Pneumonia > aspiration -> "aspiration pneumonia"."""
    index = vocabulary.index("index")
    if index is None:
        return []
    phrases = set()
    for path in index.coded_paths():
        steps = [step for step in path.path if step.lower() not in {"with", "in", "due to", "without"}]
        if 2 <= len(path.path) <= 3 and all(len(step) < 40 for step in steps):
            main = steps[0].split(",")[0]
            phrases.add(" ".join([*reversed(steps[1:]), main]).lower())
    return sorted(phrases)


def code_queries(codeset: CodeSet, rng: random.Random, count: int) -> list[str]:
    codes = sorted(codeset.codes)
    styles: list[Callable[[str], str]] = [str, lambda code: code.replace(".", "").lower(), str.lower]
    return [rng.choice(styles)(rng.choice(codes)) for _ in range(count)]


def prefix_queries(codeset: CodeSet, rng: random.Random, count: int) -> list[str]:
    codes = sorted(codeset.codes)
    queries = []
    for _ in range(count):
        compact = rng.choice(codes).replace(".", "")
        prefix = compact[: rng.randint(2, min(5, len(compact)))]
        if len(prefix) > 3 and rng.random() < 0.5:
            prefix = f"{prefix[:3]}.{prefix[3:]}"
        queries.append(prefix.lower() if rng.random() < 0.5 else prefix)
    return queries


def typo(phrase: str, rng: random.Random) -> str | None:
    """One edit inside one word of six letters or more; None when the phrase has no such word."""
    words = phrase.split()
    long_words = [position for position, word in enumerate(words) if len(word) >= 6 and word.isalpha()]
    if not long_words:
        return None
    position = rng.choice(long_words)
    word = words[position]
    at = rng.randint(1, len(word) - 2)
    edit = rng.choice(("drop", "swap", "replace", "insert"))
    if edit == "drop":
        word = word[:at] + word[at + 1 :]
    elif edit == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif edit == "replace":
        word = word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :]
    else:
        word = word[:at] + rng.choice(string.ascii_lowercase) + word[at:]
    words[position] = word
    return " ".join(words)


def abbreviation_queries(phrases: list[str], rng: random.Random, count: int) -> list[str]:
    abbreviations = sorted(load_abbreviations().reviewed)
    context = sorted({word for phrase in phrases for word in phrase.lower().split() if len(word) > 3})
    queries = []
    for _ in range(count):
        abbreviation = rng.choice(abbreviations)
        abbreviation = abbreviation.lower() if rng.random() < 0.6 else abbreviation
        if rng.random() < 0.4 and context:
            abbreviation = f"{abbreviation} {rng.choice(context)}"
        queries.append(abbreviation)
    return queries


def autocomplete_queries(phrases: list[str], rng: random.Random, count: int) -> list[str]:
    queries: list[str] = []
    while len(queries) < count:
        phrase = rng.choice(phrases)
        cut = rng.randint(3, len(phrase))
        partial = phrase[:cut].rstrip()
        if len(partial) >= 3:
            queries.append(partial)
    return queries


def build_queries(vocabulary: Vocabulary, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    headings = note_problem_headings()
    from_index = index_phrases(vocabulary)
    pool = headings + rng.sample(from_index, min(len(from_index), 4 * len(headings) or 1000))
    if not pool:
        pool = sorted({code.description.lower() for code in vocabulary.codeset if len(code.description) < 50})
    phrases = [rng.choice(pool) for _ in range(CATEGORY_SIZES["phrase"])]
    typos: list[str] = []
    while len(typos) < CATEGORY_SIZES["typo"]:
        edited = typo(rng.choice(pool).lower(), rng)
        if edited:
            typos.append(edited)
    return {
        "code": code_queries(vocabulary.codeset, rng, CATEGORY_SIZES["code"]),
        "prefix": prefix_queries(vocabulary.codeset, rng, CATEGORY_SIZES["prefix"]),
        "phrase": phrases,
        "typo": typos,
        "abbreviation": abbreviation_queries(pool, rng, CATEGORY_SIZES["abbreviation"]),
        "autocomplete": autocomplete_queries(pool, rng, CATEGORY_SIZES["autocomplete"]),
    }


def time_queries(vocabulary: Vocabulary, queries: list[str], repeat: int) -> tuple[list[float], list[float]]:
    """Per-query wall and CPU seconds (the median of ``repeat`` runs of each query)."""
    wall, cpu = [], []
    for query in queries:
        wall_runs, cpu_runs = [], []
        for _ in range(repeat):
            started_wall, started_cpu = time.perf_counter(), time.thread_time()
            vocabulary.search(query, limit=10)
            cpu_runs.append(time.thread_time() - started_cpu)
            wall_runs.append(time.perf_counter() - started_wall)
        wall.append(sorted(wall_runs)[len(wall_runs) // 2])
        cpu.append(sorted(cpu_runs)[len(cpu_runs) // 2])
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="a chartcoder home to use (default: a benchmark home in /tmp)")
    parser.add_argument("--no-index", action="store_true", help="without the Alphabetic Index imported")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per query (the median is kept)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    arguments = parser.parse_args()

    home = arguments.home or prepared_home(with_index=not arguments.no_index)
    vocabulary = load_vocabulary(home)
    vocabulary.code_search  # noqa: B018 - load the lexicon before timing
    queries = build_queries(vocabulary, arguments.seed)
    everything = [query for category in queries.values() for query in category]
    for query in everything:  # warm-up: caches, lazy imports, first-touch page faults
        vocabulary.search(query, limit=10)

    rows = []
    figures: dict[str, dict[str, Any]] = {}
    all_wall: list[float] = []
    all_cpu: list[float] = []
    for category, category_queries in queries.items():
        wall, cpu = time_queries(vocabulary, category_queries, arguments.repeat)
        all_wall += wall
        all_cpu += cpu
        figures[category] = {"wall_ms": summary_ms(wall), "cpu_ms": summary_ms(cpu), "examples": category_queries[:5]}
    figures["overall"] = {"wall_ms": summary_ms(all_wall), "cpu_ms": summary_ms(all_cpu)}
    for category, figure in figures.items():
        wall_ms, cpu_ms = figure["wall_ms"], figure["cpu_ms"]
        rows.append(
            [category, wall_ms["n"], wall_ms["p50"], wall_ms["p90"], wall_ms["p99"], wall_ms["max"], cpu_ms["p99"]]
        )

    about = machine()
    indexes = ", ".join(vocabulary.index_sources()) or "none"
    print(
        f"code search latency, {len(everything):,} queries, in-process, warm; {vocabulary.release}, "
        f"{vocabulary.code_search.term_count:,} lexicon terms, indexes: {indexes}"
    )
    print(f"machine: {about['cpus']} CPUs, {about['cpu_model']}, load average {about['load_average_1m']}\n")
    print_table(["category", "queries", "p50 ms", "p90 ms", "p99 ms", "max ms", "cpu p99 ms"], rows)
    print(
        "\nexamples: "
        + "; ".join(
            f"{category}: {figure['examples'][:3]}" for category, figure in figures.items() if "examples" in figure
        )
    )
    write_json(
        arguments.json,
        {
            "benchmark": "search_latency",
            "machine": about,
            "release": vocabulary.release,
            "lexicon_terms": vocabulary.code_search.term_count,
            "indexes": vocabulary.index_sources(),
            "seed": arguments.seed,
            "repeat": arguments.repeat,
            "figures": figures,
        },
    )


if __name__ == "__main__":
    main()
