"""Ranking and set metrics for code suggestion, as pure functions over plain code lists.

A note contributes a *ranking* (codes, best first), a *predicted set* (codes at or above the operating
threshold) and its *gold set*. Codes are compared exactly after normalisation (``e11.9`` == ``E119`` ==
``E11.9``; ``E11`` does not match ``E11.9``); a code that appears twice in a ranking counts at its first rank.

Notes without gold codes have no defined recall or average precision: the per-note averages (MAP, P@k,
R@k) run over notes with at least one gold code, while the micro figures count every note (a code suggested
for a note without gold codes is a false positive).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vocab.codes import normalize_code
from vocab.codeset import CodeSet
from vocab.errors import InvalidCodeError

__all__ = [
    "UNKNOWN_CHAPTER",
    "ChapterRecall",
    "MicroScores",
    "average_precision",
    "candidate_recall",
    "chapter_lookup",
    "mean_average_precision",
    "mean_precision_at_k",
    "mean_recall_at_k",
    "micro_scores",
    "missed_codes",
    "normalize_codes",
    "per_chapter_recall",
    "precision_at_k",
    "recall_at_k",
]

UNKNOWN_CHAPTER = "unknown"


def _canonical(code: str) -> str:
    # Codes the syntax rejects are still compared, in a loosely normalised form, so that a gold code from a
    # foreign edition counts as a miss instead of an error.
    try:
        return normalize_code(code)
    except InvalidCodeError:
        return code.strip().upper()


def normalize_codes(codes: Iterable[str]) -> list[str]:
    """Canonical codes in first-seen order, duplicates dropped."""
    seen: dict[str, None] = {}
    for code in codes:
        seen.setdefault(_canonical(code), None)
    return list(seen)


def _gold_set(gold: Collection[str]) -> set[str]:
    return set(normalize_codes(gold))


# --- per note -------------------------------------------------------------------------------------------
def average_precision(ranked: Sequence[str], gold: Collection[str]) -> float:
    """AP = (sum over ranks r holding a gold code of P@r) / |gold|.

    Gold codes never ranked contribute 0, so AP is 1 only when every gold code is ranked above every other
    code. Raises ValueError for an empty gold set (AP is undefined).
    """
    relevant = _gold_set(gold)
    if not relevant:
        raise ValueError("average precision is undefined for a note without gold codes")
    hits = 0
    total = 0.0
    for rank, code in enumerate(normalize_codes(ranked), start=1):
        if code in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def precision_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """P@k = |top k ∩ gold| / k (the denominator stays k when fewer than k codes are ranked)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    relevant = _gold_set(gold)
    return sum(1 for code in normalize_codes(ranked)[:k] if code in relevant) / k


def recall_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """R@k = |top k ∩ gold| / |gold|. Raises ValueError for an empty gold set."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    relevant = _gold_set(gold)
    if not relevant:
        raise ValueError("recall is undefined for a note without gold codes")
    return sum(1 for code in normalize_codes(ranked)[:k] if code in relevant) / len(relevant)


# --- over notes -----------------------------------------------------------------------------------------
def _scored_pairs(
    rankings: Sequence[Sequence[str]], golds: Sequence[Collection[str]]
) -> list[tuple[Sequence[str], Collection[str]]]:
    if len(rankings) != len(golds):
        raise ValueError(f"{len(rankings)} rankings but {len(golds)} gold sets")
    return [(ranked, gold) for ranked, gold in zip(rankings, golds, strict=True) if _gold_set(gold)]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def mean_average_precision(rankings: Sequence[Sequence[str]], golds: Sequence[Collection[str]]) -> float:
    """MAP = mean over notes with >= 1 gold code of AP (see :func:`average_precision`); 0 when there are none."""
    return _mean([average_precision(ranked, gold) for ranked, gold in _scored_pairs(rankings, golds)])


def mean_precision_at_k(rankings: Sequence[Sequence[str]], golds: Sequence[Collection[str]], k: int) -> float:
    """Mean over notes with >= 1 gold code of P@k."""
    return _mean([precision_at_k(ranked, gold, k) for ranked, gold in _scored_pairs(rankings, golds)])


def mean_recall_at_k(rankings: Sequence[Sequence[str]], golds: Sequence[Collection[str]], k: int) -> float:
    """Mean over notes with >= 1 gold code of R@k (macro over notes, not pooled codes)."""
    return _mean([recall_at_k(ranked, gold, k) for ranked, gold in _scored_pairs(rankings, golds)])


@dataclass(frozen=True, slots=True)
class MicroScores:
    """Pooled over all notes: P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2PR / (P + R); 0 where undefined."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        gold = self.true_positives + self.false_negatives
        return self.true_positives / gold if gold else 0.0

    @property
    def f1(self) -> float:
        precision, recall = self.precision, self.recall
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
        }


def micro_scores(predicted: Sequence[Collection[str]], golds: Sequence[Collection[str]]) -> MicroScores:
    """TP, FP and FN summed over every note (notes without gold codes included)."""
    if len(predicted) != len(golds):
        raise ValueError(f"{len(predicted)} predicted sets but {len(golds)} gold sets")
    tp = fp = fn = 0
    for chosen, gold in zip(predicted, golds, strict=True):
        chosen_set, gold_set = _gold_set(chosen), _gold_set(gold)
        tp += len(chosen_set & gold_set)
        fp += len(chosen_set - gold_set)
        fn += len(gold_set - chosen_set)
    return MicroScores(tp, fp, fn)


# --- per chapter ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChapterRecall:
    """recall = found / gold: the share of the chapter's gold codes that were predicted."""

    chapter: str
    title: str
    gold: int
    found: int

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "gold": self.gold, "found": self.found, "recall": self.recall}


def chapter_lookup(codeset: CodeSet | None) -> Callable[[str], tuple[str, str]]:
    """code -> (chapter id, chapter title); ``("unknown", ...)`` for codes the code set lacks (or without one)."""

    def lookup(code: str) -> tuple[str, str]:
        found = codeset.get(code) if codeset is not None else None
        if found is None:
            return UNKNOWN_CHAPTER, "codes not in the code set"
        return found.chapter, codeset.chapters[found.chapter].title  # type: ignore[union-attr]

    return lookup


def _chapter_sort_key(chapter: str) -> tuple[int, int, str]:
    # Chapters are numbered "1".."22"; "unknown" goes last.
    return (1, 0, chapter) if not chapter.isdigit() else (0, int(chapter), chapter)


def per_chapter_recall(
    predicted: Sequence[Collection[str]],
    golds: Sequence[Collection[str]],
    chapter_of: Callable[[str], tuple[str, str]],
) -> dict[str, ChapterRecall]:
    """For each chapter with gold codes: recall = |gold codes of the chapter predicted| / |its gold codes|.

    Pooled over notes (a code gold in two notes counts twice); ordered by chapter number.
    """
    if len(predicted) != len(golds):
        raise ValueError(f"{len(predicted)} predicted sets but {len(golds)} gold sets")
    gold_counts: Counter[str] = Counter()
    found_counts: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for chosen, gold in zip(predicted, golds, strict=True):
        chosen_set = _gold_set(chosen)
        for code in _gold_set(gold):
            chapter, title = chapter_of(code)
            titles[chapter] = title
            gold_counts[chapter] += 1
            found_counts[chapter] += code in chosen_set
    return {
        chapter: ChapterRecall(chapter, titles[chapter], gold_counts[chapter], found_counts[chapter])
        for chapter in sorted(gold_counts, key=_chapter_sort_key)
    }


# --- candidates -----------------------------------------------------------------------------------------
def candidate_recall(candidates: Sequence[Collection[str]], golds: Sequence[Collection[str]]) -> float:
    """Pooled over notes: |gold codes among the note's candidates| / |gold codes|; 0 without gold codes.

    The ceiling of every later step: a gold code that is never a candidate cannot be ranked.
    """
    missed = missed_codes(candidates, golds)
    total = sum(len(_gold_set(gold)) for gold in golds)
    return (total - sum(missed.values())) / total if total else 0.0


def missed_codes(candidates: Sequence[Collection[str]], golds: Sequence[Collection[str]]) -> Counter[str]:
    """Gold code -> number of notes where it was gold but not among the candidates."""
    if len(candidates) != len(golds):
        raise ValueError(f"{len(candidates)} candidate sets but {len(golds)} gold sets")
    missed: Counter[str] = Counter()
    for proposed, gold in zip(candidates, golds, strict=True):
        missed.update(_gold_set(gold) - _gold_set(proposed))
    return missed
