"""The learned ranker as a scikit-learn estimator and as the engine's Ranker."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from suggest.ranking import Ranker
from suggest.types import Candidate, Evidence, Mention
from training.data import TrainingDataError
from training.ranker import (
    BASE_FEATURES,
    PRIOR_FEATURES,
    CandidateRows,
    LearnedRanker,
    RowCollector,
    candidate_label,
    candidate_matrix,
)

CODES = ("E11.9", "I10", "J18.9", "I48.91", "N18.30", "R50.9", "R52", "K21.9")


def _candidate(rng: random.Random, code: str) -> tuple[Candidate, bool]:
    """A candidate whose chance of being right grows with its match score and falls when negated."""
    score = rng.random()
    negated = rng.random() < 0.3
    section = rng.choice(("assessment_and_plan", "family_history", "none"))
    mention = Mention(
        evidence=(Evidence(0, 5, "words", section, "negated" if negated else "present"),),
        term="term",
        term_source="index",
        codes=(code,),
        match_type="exact" if score > 0.5 else "fuzzy",
        match_score=score,
        sentence=0,
        section=section,
        assertion="negated" if negated else "present",
        words=2,
    )
    features = {"best_match": score, "mean_match": score, "mentions": 1.0, "present": 0.0 if negated else 1.0}
    right = rng.random() < (0.1 if negated else 0.05 + 0.9 * score)
    return Candidate(code=code, mentions=(mention,), features=features), right


def _notes(count: int, seed: int) -> list[tuple[list[Candidate], set[str]]]:
    rng = random.Random(seed)
    notes = []
    for _ in range(count):
        codes = rng.sample(CODES, 5)
        pairs = [_candidate(rng, code) for code in codes]
        notes.append(([candidate for candidate, _ in pairs], {c.code for c, right in pairs if right}))
    return notes


def _rows(notes: list[tuple[list[Candidate], set[str]]]) -> CandidateRows:
    collector = RowCollector()
    for candidates, gold in notes:
        collector.add(candidates, gold)
    return collector.rows()


@pytest.fixture(scope="module")
def fitted() -> LearnedRanker:
    return LearnedRanker(max_iter=50).fit(_rows(_notes(300, seed=1)))


def test_fit_returns_self_and_learned_attributes_end_in_underscore(fitted: LearnedRanker) -> None:
    ranker = LearnedRanker(max_iter=20)
    assert ranker.fit(_rows(_notes(60, seed=2))) is ranker
    learned = [name for name in vars(ranker) if name.endswith("_")]
    assert {"model_", "gold_counts_", "feature_names_", "n_features_in_"} <= set(learned)
    assert ranker.feature_names_ == (*BASE_FEATURES, *PRIOR_FEATURES)
    assert all(name in ranker.get_params() for name in vars(LearnedRanker()) if not name.endswith("_"))


def test_parameters_follow_the_estimator_api() -> None:
    ranker = LearnedRanker(max_iter=7, calibration="sigmoid")
    copy = clone(ranker)
    assert copy.get_params() == ranker.get_params()
    assert not hasattr(copy, "model_")


def test_an_unfitted_ranker_raises_not_fitted() -> None:
    candidates, _ = _notes(1, seed=3)[0]
    with pytest.raises(NotFittedError):
        LearnedRanker().score(candidates)


def test_it_is_a_ranker_with_probabilities(fitted: LearnedRanker) -> None:
    assert isinstance(fitted, Ranker)
    candidates, _ = _notes(1, seed=4)[0]
    scores = fitted.score(candidates)
    assert len(scores) == len(candidates)
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert fitted.score([]) == []


def test_probabilities_are_calibrated_better_than_a_constant(fitted: LearnedRanker) -> None:
    held_out = _notes(200, seed=5)
    predicted: list[float] = []
    truth: list[float] = []
    for candidates, gold in held_out:
        predicted.extend(fitted.score(candidates))
        truth.extend(1.0 if candidate.code in gold else 0.0 for candidate in candidates)
    outcome = np.array(truth)
    probability = np.array(predicted)
    brier = np.mean((probability - outcome) ** 2)
    constant = np.mean((outcome.mean() - outcome) ** 2)
    assert brier < 0.8 * constant
    # calibrated: the mean probability is close to the share of right candidates
    assert abs(probability.mean() - outcome.mean()) < 0.06


def test_better_matches_rank_higher(fitted: LearnedRanker) -> None:
    template, _ = _candidate(random.Random(6), "I10")
    present = template.mentions[0].__class__(
        **{
            **{name: getattr(template.mentions[0], name) for name in template.mentions[0].__slots__},
            "assertion": "present",
        }
    )
    weak = Candidate("I10", (present,), {"best_match": 0.05, "mean_match": 0.05, "mentions": 1.0, "present": 1.0})
    strong = Candidate("J18.9", (present,), {"best_match": 0.99, "mean_match": 0.99, "mentions": 1.0, "present": 1.0})
    low, high = fitted.score([weak, strong])
    assert high > low


def test_an_empty_training_set_is_a_clear_error() -> None:
    with pytest.raises(TrainingDataError, match="no candidate"):
        LearnedRanker().fit(RowCollector().rows())


def test_a_single_class_training_set_is_a_clear_error() -> None:
    notes: list[tuple[list[Candidate], set[str]]] = [(candidates, set()) for candidates, _ in _notes(20, seed=7)]
    with pytest.raises(TrainingDataError, match="wrong"):
        LearnedRanker().fit(_rows(notes))


def test_code_priors_are_out_of_fold_so_they_do_not_leak_the_label() -> None:
    """With leave-one-out counts a code's prior is one lower exactly where it is right; out-of-fold counts are
    the same for every row of a code within a fold, so they cannot encode the row's own label."""
    rows = _rows(_notes(100, seed=8))
    ranker = LearnedRanker(max_iter=5, prior_folds=4).fit(rows)
    priors = ranker._with_out_of_fold_priors(rows, rows.labels)[:, len(BASE_FEATURES) :]
    folds = np.random.RandomState(ranker.random_state).permutation(rows.n_notes)[rows.notes] % 4
    for code in set(rows.codes.tolist()):
        for fold in range(4):
            same = (rows.codes == code) & (folds == fold)
            assert len(np.unique(priors[same], axis=0)) <= 1


def test_a_category_candidate_is_right_when_a_gold_code_lies_under_it(mini_codeset) -> None:
    assert candidate_label("E11.9", {"E11.9"}, mini_codeset)
    assert candidate_label("E11", {"E11.9"}, mini_codeset)  # the rules make it specific
    assert not candidate_label("E11.9", {"E11.65"}, mini_codeset)
    assert not candidate_label("E11", {"I10"}, mini_codeset)


@pytest.mark.parametrize("calibration", ["isotonic", "sigmoid"])
def test_the_compiled_trees_score_exactly_as_scikit_learn(calibration: str) -> None:
    ranker = LearnedRanker(max_iter=40, calibration=calibration).fit(_rows(_notes(200, seed=5)))
    compiled = ranker._compiled()
    assert compiled is not None
    rows = np.random.default_rng(3).normal(0.0, 2.0, size=(300, ranker.n_features_in_)).astype(np.float32)
    rows[::5, ::4] = np.nan  # missing values take each node's learned side
    expected = ranker.model_.predict_proba(rows)[:, 1]
    assert np.array_equal(compiled.positive_probability(rows), expected)
    for candidates, _ in _notes(20, seed=6):  # and through the Ranker protocol, on real candidate rows
        full = ranker._with_priors(candidate_matrix(candidates), np.asarray([c.code for c in candidates], dtype=str))
        assert ranker.score(candidates) == [round(float(p), 4) for p in ranker.model_.predict_proba(full)[:, 1]]


def test_the_compiled_trees_are_rebuilt_after_loading_not_pickled(fitted: LearnedRanker) -> None:
    fitted.score(_notes(1, seed=7)[0][0])
    assert "_compiled_model" in fitted.__dict__
    restored = pickle.loads(pickle.dumps(fitted))
    assert "_compiled_model" not in restored.__dict__
    candidates, _ = _notes(1, seed=8)[0]
    assert restored.score(candidates) == fitted.score(candidates)


def test_a_model_of_another_shape_is_not_compiled() -> None:
    from sklearn.linear_model import LogisticRegression

    from training._trees import compile_ranker

    model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
    assert compile_ranker(model, 1) is None
