"""Term-linking accuracy of code search on Alphabetic Index paths it has never seen.

Method
------
1. Read the Index to Diseases and Injuries (``index_2025.csv.gz``, bundled in ``vocab/data/index``) and keep the coded
   paths whose code is valid in FY2026 and is billable or a category (the codes a coder lands on).
2. Draw a deterministic random sample of them (``--sample``, default 2,000; ``--seed``). These are held out.
3. Build the search lexicon as ``chartcoder vocab build`` would (Tabular List, the four bundled Index files,
   "see" references, abbreviations) but WITHOUT the held-out paths: every index term whose text equals a
   held-out path's text is dropped before :func:`vocab.vocabulary.build_code_search` indexes the rest. Nothing
   is written to disk.
4. Query with the held-out path read as printed, ``", ".join(path)`` ("Pneumonia, aspiration") and compare
   the ranked codes with the path's code: top-1 / top-5 exact code, and top-1 / top-5 "same category" (the
   first three characters agree).
5. The same queries go to chartcoder with the Tabular List alone (no Index at all), and to a baseline,
   ``rapidfuzz.process.extract(query, code_titles, scorer=fuzz.WRatio, limit=5)`` over the titles of all
   FY2026 codes (query and titles case-folded with ``rapidfuzz.utils.default_process``, which only helps
   it; run as ``process.cdist`` on every core, the same ranking). The baseline scans every title for every
   query, about a second each, so it gets the first ``--baseline-sample`` held-out paths (default 500, still
   a random sample); both chartcoder variants are scored on that subset as well.

The held-out paths' siblings stay in the lexicon (the Index prints "Pneumonia, aspiration, newborn" next to
"Pneumonia, aspiration"), which is what search meets in practice: a query close to, but not exactly, a term.

    .venv/bin/python benchmarks/term_linking.py [--sample 2000] [--seed 7] [--json PATH]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import machine, print_table, read_indexes, write_json  # the script's folder
from rapidfuzz import fuzz, process, utils

from vocab.build import build_codeset
from vocab.codeset import CodeSet
from vocab.errors import ChartcoderError
from vocab.index import AlphabeticIndex
from vocab.lexicon import SOURCES, index_terms, load_abbreviations, tabular_terms, unique_terms
from vocab.search import MAX_QUERY_LENGTH
from vocab.vocabulary import build_code_search, lexicon_terms


@dataclass(frozen=True)
class HeldOut:
    query: str
    code: str


@dataclass
class Score:
    top1: int = 0
    top5: int = 0
    category_top1: int = 0
    category_top5: int = 0
    seconds: float = 0.0

    def add(self, expected: str, ranked: Sequence[str]) -> None:
        self.top1 += bool(ranked) and ranked[0] == expected
        self.top5 += expected in ranked[:5]
        category = expected[:3]
        self.category_top1 += bool(ranked) and ranked[0][:3] == category
        self.category_top5 += any(code[:3] == category for code in ranked[:5])


def held_out_paths(codeset: CodeSet, index: AlphabeticIndex, sample: int, seed: int) -> list[HeldOut]:
    eligible: dict[str, str] = {}
    for term in index_terms(index.coded_paths(), codeset):
        code = codeset.codes[term.code]
        if (code.billable or code.level == 3) and len(term.text) <= MAX_QUERY_LENGTH:
            eligible.setdefault(term.text, term.code)  # a path printed twice keeps its first code
    texts = sorted(eligible)
    chosen = random.Random(seed).sample(texts, min(sample, len(texts)))
    return [HeldOut(text, eligible[text]) for text in chosen]


def evaluate(name: str, rank: Callable[[str], list[str]], held_out: list[HeldOut]) -> tuple[str, Score]:
    score = Score()
    started = time.perf_counter()
    for item in held_out:
        try:
            ranked = rank(item.query)
        except ChartcoderError:
            ranked = []
        score.add(item.code, ranked)
    score.seconds = time.perf_counter() - started
    return name, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-sample", type=int, default=500, help="held-out paths the slow baseline gets")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    arguments = parser.parse_args()
    codeset = build_codeset()
    indexes = read_indexes()
    [main_index] = [index for index in indexes if index.source == "index"]
    held_out = held_out_paths(codeset, main_index, arguments.sample, arguments.seed)
    hidden = {item.query for item in held_out}

    abbreviations = load_abbreviations()
    started = time.perf_counter()
    terms = [term for term in lexicon_terms(codeset, indexes) if not (term.source == "index" and term.text in hidden)]
    with_index = build_code_search(codeset, terms, abbreviations)
    build_seconds = time.perf_counter() - started
    tabular_only = build_code_search(codeset, unique_terms(tabular_terms(codeset)), abbreviations)
    # The same words may also be a Tabular title or inclusion term, an eindex path or a "see" term: that is
    # other knowledge the lexicon legitimately has, so it stays; it is counted to be read with the figures.
    also_elsewhere = Counter(
        source
        for text, source in zip(with_index.term_texts, with_index.term_sources.tolist(), strict=True)
        if text in hidden
    )

    codes = sorted(codeset.codes)
    titles = [utils.default_process(codeset.codes[code].description) for code in codes]  # case-folded once

    def baseline(query: str) -> list[str]:
        # process.extract(query, titles, scorer=fuzz.WRatio, limit=5), spread over every core: same result
        scores = process.cdist([utils.default_process(query)], titles, scorer=fuzz.WRatio, workers=-1)[0]
        top = np.argsort(-scores, kind="stable")[:5]
        return [codes[position] for position in top.tolist()]

    def searching(search: object) -> Callable[[str], list[str]]:
        return lambda query: [result.code for result in search.search(codeset, query, limit=5)]  # type: ignore[attr-defined]

    # WRatio scans ~98,000 titles per query (about a second each here): the baseline gets a subset, and
    # chartcoder is scored on that same subset too, side by side.
    subset = held_out[: arguments.baseline_sample]
    systems = [
        ("all held out", *evaluate("chartcoder search (Index, held out)", searching(with_index), held_out)),
        ("all held out", *evaluate("chartcoder search (Tabular List only)", searching(tabular_only), held_out)),
        ("baseline subset", *evaluate("chartcoder search (Index, held out)", searching(with_index), subset)),
        ("baseline subset", *evaluate("chartcoder search (Tabular List only)", searching(tabular_only), subset)),
        ("baseline subset", *evaluate("rapidfuzz WRatio over code titles", baseline, subset)),
    ]

    total = len(held_out)
    about = machine()
    elsewhere = {SOURCES[source]: count for source, count in sorted(also_elsewhere.items())}
    print(
        f"term linking: {total:,} held-out Index paths (seed {arguments.seed}); lexicon without them: "
        f"{with_index.term_count:,} terms, built in {build_seconds:.1f} s; held-out texts that another source "
        f"also has verbatim: {sum(elsewhere.values())} {elsewhere}"
    )
    print(f"machine: {about['cpus']} CPUs, {about['cpu_model']}\n")
    rows, figures = [], {}
    for queries, name, score in systems:
        size = total if queries == "all held out" else len(subset)
        figure = {
            "queries": size,
            "top1": score.top1 / size,
            "top5": score.top5 / size,
            "category_top1": score.category_top1 / size,
            "category_top5": score.category_top5 / size,
            "ms_per_query": 1000 * score.seconds / size,
        }
        figures[f"{name} [{queries}]"] = figure
        rows.append(
            [
                f"{queries} ({size:,})",
                name,
                f"{figure['top1']:.1%}",
                f"{figure['top5']:.1%}",
                f"{figure['category_top1']:.1%}",
                f"{figure['category_top5']:.1%}",
                round(figure["ms_per_query"], 2),
            ]
        )
    print_table(["queries", "system", "top-1", "top-5", "category top-1", "category top-5", "ms/query"], rows)
    print("\nexamples: " + "; ".join(f"{item.query!r} -> {item.code}" for item in held_out[:5]))
    write_json(
        arguments.json,
        {
            "benchmark": "term_linking",
            "machine": about,
            "release": codeset.release,
            "held_out": total,
            "seed": arguments.seed,
            "lexicon_terms": with_index.term_count,
            "held_out_texts_also_in_other_sources": elsewhere,
            "figures": figures,
        },
    )


if __name__ == "__main__":
    main()
