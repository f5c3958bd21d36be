"""The TF-IDF + logistic regression baseline on a tiny synthetic corpus with an obvious word -> code mapping."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.base import clone

from training.baseline import BaselineEngine, TfidfLogisticBaseline, cross_validated_threshold
from training.data import LabeledNote
from training.evaluate import evaluate

TOPICS = {
    "J18.9": "pneumonia consolidation",
    "I10": "hypertension blood pressure",
    "E11.9": "diabetes glucose",
}
FILLER = "patient seen today clinic follow up stable reports review plan visit history exam normal".split()


def synthetic_notes(count: int, seed: int) -> list[LabeledNote]:
    """Each note: filler words plus the words of one or two topics; its codes are those topics' codes."""
    rng = random.Random(seed)
    notes = []
    for index in range(count):
        codes = rng.sample(sorted(TOPICS), k=rng.choice((1, 1, 2)))
        words = rng.sample(FILLER, k=6) + [word for code in codes for word in TOPICS[code].split()]
        rng.shuffle(words)
        notes.append(LabeledNote(f"s{seed}-{index}", " ".join(words), tuple(sorted(codes))))
    return notes


@pytest.fixture(scope="module")
def fitted() -> TfidfLogisticBaseline:
    # min_df=1: the corpus is too small for the default cut-off tuned on CodiEsp
    return TfidfLogisticBaseline(min_df=1).fit(synthetic_notes(60, seed=1))


def test_baseline_learns_the_obvious_mapping(fitted: TfidfLogisticBaseline) -> None:
    assert set(fitted.codes_) == set(TOPICS)
    for code, words in TOPICS.items():
        ranked = fitted.rank(f"clinic visit today {words}")
        assert ranked[0][0] == code
        assert ranked[0][1] > 0.5 > ranked[-1][1]


def test_rank_is_sorted_complete_and_cut_by_top(fitted: TfidfLogisticBaseline) -> None:
    ranked = fitted.rank("patient with pneumonia and high blood pressure")
    probabilities = [probability for _, probability in ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    assert {code for code, _ in ranked[:2]} == {"J18.9", "I10"}
    assert len(ranked) == len(TOPICS)
    assert fitted.rank("patient with pneumonia and high blood pressure", top=1) == ranked[:1]


def test_fitting_is_deterministic_and_clonable(fitted: TfidfLogisticBaseline) -> None:
    again = clone(fitted).fit(synthetic_notes(60, seed=1))
    texts = [note.text for note in synthetic_notes(5, seed=2)]
    np.testing.assert_array_equal(again.predict_proba(texts), fitted.predict_proba(texts))
    assert again.get_params()["C"] == fitted.C


def test_a_code_on_every_note_gets_a_constant_answer() -> None:
    notes = [
        LabeledNote(str(n), f"note {n} pneumonia", ("J18.9", "Z00.00") if n % 2 else ("Z00.00",)) for n in range(6)
    ]
    model = TfidfLogisticBaseline(min_df=1, C=10).fit(notes)
    assert dict(model.rank("anything at all"))["Z00.00"] > 0.99


def test_fit_needs_at_least_one_gold_code() -> None:
    with pytest.raises(ValueError, match="at least one note with a gold code"):
        TfidfLogisticBaseline(min_df=1).fit([LabeledNote("a", "text", ())])


def test_baseline_engine_is_evaluated_like_the_real_engine(fitted: TfidfLogisticBaseline, mini_codeset) -> None:
    held_out = [*synthetic_notes(20, seed=3), LabeledNote("new", "kidney disease", ("N18.9",))]
    engine = BaselineEngine(fitted, threshold=0.5, codeset=mini_codeset)
    suggestion = engine.suggest("diabetes glucose", note_id="x").suggestions[0]
    assert (suggestion.code, suggestion.rank, suggestion.billable) == ("E11.9", 1, True)
    assert suggestion.description.startswith("Type 2 diabetes")
    report = evaluate(engine, held_out, codeset=mini_codeset)
    assert report.map > 0.9 - 1 / len(held_out)  # the unseen code N18.9 costs one note
    assert report.missed_candidates == (("N18.9", 1),)  # never trained on: never a candidate
    assert report.f1 > 0.8


def test_cross_validated_threshold_picks_a_useful_cut_off() -> None:
    threshold, f1 = cross_validated_threshold(synthetic_notes(60, seed=4), TfidfLogisticBaseline(min_df=1))
    assert 0.001 <= threshold <= 0.95
    assert f1 > 0.8
