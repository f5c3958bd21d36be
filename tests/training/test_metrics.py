"""Ranking and set metrics on examples small enough to compute by hand."""

from __future__ import annotations

import pytest

from training.metrics import (
    UNKNOWN_CHAPTER,
    average_precision,
    candidate_recall,
    chapter_lookup,
    mean_average_precision,
    mean_precision_at_k,
    mean_recall_at_k,
    micro_scores,
    missed_codes,
    normalize_codes,
    per_chapter_recall,
    precision_at_k,
    recall_at_k,
)


def test_average_precision_sums_precision_at_each_hit_over_the_gold_count() -> None:
    # hits at ranks 1, 3 and 5: (1/1 + 2/3 + 3/5) / 4 gold codes (D is never ranked)
    ranked = ["A00.0", "X00", "B00.0", "Y00", "C00.0"]
    gold = {"A00.0", "B00.0", "C00.0", "D00.0"}
    assert average_precision(ranked, gold) == pytest.approx((1 + 2 / 3 + 3 / 5) / 4)


def test_average_precision_is_one_only_for_gold_first_and_zero_without_hits() -> None:
    assert average_precision(["E11.9", "I10", "J18.9"], {"I10", "E11.9"}) == 1.0
    assert average_precision(["J18.9", "E11.9", "I10"], {"I10", "E11.9"}) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert average_precision(["J18.9"], {"I10"}) == 0.0
    assert average_precision([], {"I10"}) == 0.0


def test_codes_match_exactly_after_normalisation() -> None:
    assert average_precision(["e119"], {"E11.9"}) == 1.0
    assert average_precision(["E11"], {"E11.9"}) == 0.0  # a category is not its child
    # a code ranked twice counts once, at its first rank: AP cannot exceed 1
    assert normalize_codes(["E119", "e11.9", "I10"]) == ["E11.9", "I10"]
    assert average_precision(["E11.9", "e119", "I10"], {"E11.9", "I10"}) == 1.0


def test_average_precision_of_a_note_without_gold_is_undefined() -> None:
    with pytest.raises(ValueError, match="undefined"):
        average_precision(["I10"], set())
    with pytest.raises(ValueError, match="undefined"):
        recall_at_k(["I10"], set(), 5)


def test_precision_and_recall_at_k() -> None:
    ranked = ["I10", "X00", "E11.9"]
    gold = {"I10", "E11.9"}
    assert precision_at_k(ranked, gold, 1) == 1.0
    assert precision_at_k(ranked, gold, 2) == 0.5
    assert precision_at_k(ranked, gold, 5) == pytest.approx(2 / 5)  # the denominator stays k
    assert recall_at_k(ranked, gold, 1) == 0.5
    assert recall_at_k(ranked, gold, 10) == 1.0
    with pytest.raises(ValueError, match="at least 1"):
        precision_at_k(ranked, gold, 0)


def test_means_skip_notes_without_gold_codes() -> None:
    rankings = [["I10", "X00", "E11.9"], ["J18.9"], ["I10"]]
    golds = [{"I10", "E11.9"}, {"N18.9"}, set()]  # the third note has no gold code
    # AP: (1 + 2/3) / 2 and 0 -> MAP over the two notes with gold codes
    assert mean_average_precision(rankings, golds) == pytest.approx(((1 + 2 / 3) / 2 + 0) / 2)
    assert mean_precision_at_k(rankings, golds, 1) == pytest.approx(0.5)
    assert mean_recall_at_k(rankings, golds, 10) == pytest.approx(0.5)
    assert mean_average_precision([[]], [set()]) == 0.0
    with pytest.raises(ValueError, match="2 rankings but 1"):
        mean_average_precision([["I10"], ["I10"]], [{"I10"}])


def test_micro_scores_pool_every_note_including_those_without_gold() -> None:
    predicted = [{"I10", "X00"}, {"e119"}, {"J18.9"}]
    golds = [{"I10", "E11.9"}, {"E11.9", "N18.9"}, set()]
    scores = micro_scores(predicted, golds)
    # TP: I10, E11.9; FP: X00, J18.9 (a note without gold); FN: E11.9 of note 1, N18.9
    assert (scores.true_positives, scores.false_positives, scores.false_negatives) == (2, 2, 2)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(0.5)
    assert scores.f1 == pytest.approx(0.5)


def test_micro_scores_are_zero_when_undefined() -> None:
    nothing = micro_scores([set()], [set()])
    assert (nothing.precision, nothing.recall, nothing.f1) == (0.0, 0.0, 0.0)
    uneven = micro_scores([{"I10"}], [{"I10", "E11.9", "N18.9"}])
    assert uneven.precision == 1.0
    assert uneven.recall == pytest.approx(1 / 3)
    assert uneven.f1 == pytest.approx(2 * 1 * (1 / 3) / (1 + 1 / 3))


def test_per_chapter_recall_uses_the_code_set_and_files_unknown_codes_apart(mini_codeset) -> None:
    predicted = [{"E11.9", "I10"}, {"I10"}]
    golds = [{"E11.9", "I48.91", "Q99.9"}, {"I10", "E11.9"}]
    chapters = per_chapter_recall(predicted, golds, chapter_lookup(mini_codeset))
    assert list(chapters) == ["4", "9", UNKNOWN_CHAPTER]  # chapter order, unknown last
    assert (chapters["4"].gold, chapters["4"].found, chapters["4"].recall) == (2, 1, 0.5)
    assert (chapters["9"].gold, chapters["9"].found, chapters["9"].recall) == (2, 1, 0.5)
    assert (chapters[UNKNOWN_CHAPTER].gold, chapters[UNKNOWN_CHAPTER].recall) == (1, 0.0)
    assert chapters["4"].title.startswith("Endocrine")
    without_codeset = per_chapter_recall(predicted, golds, chapter_lookup(None))
    assert list(without_codeset) == [UNKNOWN_CHAPTER]
    assert without_codeset[UNKNOWN_CHAPTER].gold == 5


def test_candidate_recall_and_missed_codes() -> None:
    candidates = [{"I10", "E11.9", "X00"}, {"I10"}, set()]
    golds = [{"I10", "N18.9"}, {"N18.9", "I10"}, {"E11.9"}]
    # 5 gold codes, found: I10 twice -> 2 / 5
    assert candidate_recall(candidates, golds) == pytest.approx(2 / 5)
    assert missed_codes(candidates, golds) == {"N18.9": 2, "E11.9": 1}
    assert candidate_recall([set()], [set()]) == 0.0
