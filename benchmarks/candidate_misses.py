"""Why gold codes never become candidates: CodiEsp dev through the engine, each miss given a likely cause.

Usage::

    .venv/bin/python benchmarks/candidate_misses.py [--codiesp DIR] [--home PATH] [--model ID]
        [--top 30] [--window 10] [--json]

A gold code is a *candidate miss* when ``engine.candidates(text)`` never proposes it: no ranker or rule can
recover it. Each miss gets the first cause, in this order, whose simple test holds:

1. ``not in FY2026``: the gold code is not a code of the loaded release (CodiEsp uses the 2018 Spanish
   edition); the reader drops these, so they are taken from its report.
2. ``category-level gold``: the gold code is a valid but non-billable category; the engine proposes codes at
   the level the text supports, usually billable ones.
3. Title words: the code's title is normalised with ``vocab.text.normalize_tokens`` and stripped of
   ``STOPWORDS``; the note is normalised the same way.

   * ``abbreviation``: some title words are missing from the note, but an abbreviation in it stands for
     the code (a lexicon abbreviation term of the code, or an upper-case word whose expansion shares at
     least half of the title words).
   * ``no title word in text``: none of the title words occur: a synonym or a translation is missing from
     the lexicon ("renal" for "kidney", the machine translation's wording).
   * ``some title words missing``: part of the title occurs: the gold code is more specific (or differently
     worded) than what the note says in those words.
   * ``words far apart``: every title word occurs, but the shortest stretch holding all of them is longer
     than ``--window`` tokens: a modifier far from its head word.
   * ``other``: every title word occurs close together, yet no candidate came of it (matching, assertion
     or candidate-generation limits worth a look).

Note text is never printed: only codes, titles and counts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from training.data import DataReport, LabeledNote, read_codiesp
from training.evaluate import EngineLike
from vocab.codeset import CodeSet
from vocab.lexicon import Abbreviations, load_abbreviations
from vocab.text import STOPWORDS, normalize_tokens
from vocab.vocabulary import Vocabulary, ensure_vocabulary

DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "codiesp" / "dev"

NOT_IN_RELEASE = "not in FY2026"
CATEGORY = "category-level gold"
ABBREVIATION = "abbreviation"
NO_TITLE_WORD = "no title word in text"
PARTIAL = "some title words missing"
FAR_APART = "words far apart"
OTHER = "other"
CAUSES = (NOT_IN_RELEASE, CATEGORY, ABBREVIATION, NO_TITLE_WORD, PARTIAL, FAR_APART, OTHER)

# An abbreviation as clinicians write it: 2-6 upper-case letters or digits, starting with a letter.
_ABBREVIATION_RE = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")


@dataclass(frozen=True, slots=True)
class Miss:
    note_id: str
    code: str
    cause: str


def content_words(text: str) -> set[str]:
    return set(normalize_tokens(text)) - STOPWORDS


def shortest_span(tokens: Sequence[str], needed: set[str]) -> int | None:
    """Length in tokens of the shortest stretch of ``tokens`` holding every word of ``needed`` (None: never)."""
    if not needed:
        return None
    counts: Counter[str] = Counter()
    covered, best, start = 0, None, 0
    for end, token in enumerate(tokens):
        if token not in needed:
            continue
        counts[token] += 1
        covered += counts[token] == 1
        while covered == len(needed):
            if best is None or end - start + 1 < best:
                best = end - start + 1
            first = tokens[start]
            if first in needed:
                counts[first] -= 1
                covered -= counts[first] == 0
            start += 1
    return best


class MissExplainer:
    """Attributes one candidate miss to a cause; see the module docstring for the tests, in order."""

    def __init__(self, vocabulary: Vocabulary, abbreviations: Abbreviations, window: int) -> None:
        self.codeset: CodeSet = vocabulary.codeset
        self.vocabulary = vocabulary
        self.abbreviations = abbreviations
        self.window = window

    def _code_abbreviations(self, code: str) -> list[str]:
        return [term for term, source in self.vocabulary.code_search.terms_for(code) if source == "abbreviation"]

    def _abbreviation_stands_for(self, code: str, text: str, title_words: set[str]) -> bool:
        for term in self._code_abbreviations(code):
            if re.search(rf"\b{re.escape(term)}\b", text):
                return True
        for written in set(_ABBREVIATION_RE.findall(text)):
            for sense in self.abbreviations.expand(written):
                shared = content_words(sense) & title_words
                if shared and len(shared) * 2 >= len(title_words):
                    return True
        return False

    def cause(self, code: str, text: str, tokens: Sequence[str]) -> str:
        known = self.codeset.get(code)
        if known is None:
            return NOT_IN_RELEASE
        if not known.billable:
            return CATEGORY
        title_words = content_words(known.description)
        present = title_words & set(tokens)
        if present != title_words and self._abbreviation_stands_for(known.code, text, title_words):
            return ABBREVIATION
        if not present:
            return NO_TITLE_WORD
        if present != title_words:
            return PARTIAL
        span = shortest_span(tokens, title_words)
        if span is not None and span > self.window:
            return FAR_APART
        return OTHER


def dropped_codes(report: DataReport) -> Iterable[tuple[str, str]]:
    """(note id, code) for gold codes the reader dropped because the release lacks them."""
    for issue in report.issues:
        if issue.code is not None and ("not a code in" in issue.reason or "invalid shape" in issue.reason):
            yield issue.where, issue.code


def find_misses(
    engine: EngineLike, notes: list[LabeledNote], report: DataReport, explainer: MissExplainer
) -> list[Miss]:
    misses = [Miss(note_id, code, NOT_IN_RELEASE) for note_id, code in dropped_codes(report)]
    for note in notes:
        proposed = {candidate.code for candidate in engine.candidates(note.text)}
        tokens = normalize_tokens(note.text)
        for code in note.codes:
            if code not in proposed:
                misses.append(Miss(note.id, code, explainer.cause(code, note.text, tokens)))
    return misses


def summarize(misses: list[Miss], gold_total: int, codeset: CodeSet, top: int) -> dict:
    by_cause = Counter(miss.cause for miss in misses)
    by_code = Counter(miss.code for miss in misses)
    causes_of: dict[str, Counter[str]] = defaultdict(Counter)
    for miss in misses:
        causes_of[miss.code][miss.cause] += 1
    top_codes = []
    for code, count in by_code.most_common(top):
        known = codeset.get(code)
        top_codes.append(
            {
                "code": code,
                "notes": count,
                "title": known.description if known is not None else "(not in the release)",
                "cause": causes_of[code].most_common(1)[0][0],
            }
        )
    return {
        "gold_codes": gold_total,
        "candidate_misses": len(misses),
        "candidate_recall": 1 - len(misses) / gold_total if gold_total else 0.0,
        "by_cause": {cause: by_cause.get(cause, 0) for cause in CAUSES},
        "top_missed": top_codes,
    }


def print_summary(summary: dict, out: Console) -> None:
    out.print(
        f"{summary['candidate_misses']} of {summary['gold_codes']} gold codes never among the candidates "
        f"(candidate recall {summary['candidate_recall']:.4f}, codes outside the release included)",
        markup=False,
    )
    causes = Table(title="candidate misses by likely cause")
    for column, justify in (("cause", "left"), ("misses", "right"), ("share", "right")):
        causes.add_column(column, justify=justify)  # type: ignore[arg-type]
    total = summary["candidate_misses"] or 1
    for cause, count in summary["by_cause"].items():
        causes.add_row(cause, str(count), f"{count / total:.1%}")
    out.print(causes)
    codes = Table(title=f"the {len(summary['top_missed'])} most often missed codes")
    for column in ("code", "notes", "title", "main cause"):
        codes.add_column(column, overflow="fold")
    for row in summary["top_missed"]:
        codes.add_row(row["code"], str(row["notes"]), row["title"], row["cause"])
    out.print(codes)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codiesp", type=Path, default=DEFAULT_DEV, help="a CodiEsp split folder (default: dev)")
    parser.add_argument("--home", type=Path, default=None, help="chartcoder home (code set; default as the CLI)")
    parser.add_argument("--model", default=None, help="model id (default: the engine's default)")
    parser.add_argument("--top", type=int, default=30, help="how many missed codes to list")
    parser.add_argument("--window", type=int, default=10, help="tokens within which title words count as close")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Console(stderr=args.json, highlight=False, width=140)  # tables stay readable when piped to a file
    try:
        from suggest.pipeline import load_engine
    except ImportError as error:
        out.print(f"suggest.pipeline is not importable ({error}): there is no engine to examine.", markup=False)
        return 2
    vocabulary = ensure_vocabulary(args.home)
    engine = load_engine(vocabulary, model=args.model)
    report = DataReport(source=str(args.codiesp))
    notes = list(read_codiesp(args.codiesp, vocabulary.codeset, report))
    explainer = MissExplainer(vocabulary, load_abbreviations(), args.window)
    misses = find_misses(engine, notes, report, explainer)
    gold_total = sum(len(note.codes) for note in notes) + sum(1 for _ in dropped_codes(report))
    summary = summarize(misses, gold_total, vocabulary.codeset, args.top)
    summary["model_id"] = engine.model_id
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        out.print(f"{engine.model_id} on {len(notes)} notes of {args.codiesp}", markup=False)
        print_summary(summary, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
