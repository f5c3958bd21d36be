"""The note classifier: which codes a whole note is about, learned from confirmed codes.

Term extraction finds what a note names; coders also code what a note implies (CodiEsp codes "pain" as R52
and a presenting illness as R69 whatever the words). A sparse TF-IDF over word 1-2 grams feeds one
logistic regression per code with at least ``min_examples`` confirmed notes. Its probabilities are a
ranker feature, and a code it is confident about that the term matcher missed becomes a candidate of its
own, with the note's most predictive words (character offsets into the note) as its evidence.

This module only fits. What a pack carries is :meth:`NoteClassifier.to_part`, a
:class:`suggest.classifier.TfidfNoteClassifier` (arrays and JSON, no pickle); the estimator's own
``predict_proba`` and ``evidence_words`` run that same part, so training validates what the engine will run.

Cost stays bounded on large corpora: labels are kept as each code's positive rows (never a dense notes x
codes matrix), each code is fitted on its positives and at most ``max_negatives`` sampled other notes, and
keeps its ``max_coefficients`` largest weights in one sparse (features x codes) float32 matrix, so scoring a
note is one sparse product.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from suggest.classifier import PROBABILITY_FLOOR, TfidfNoteClassifier
from training.data import TrainingDataError

__all__ = ["PROBABILITY_FLOOR", "NoteClassifier"]

_CONSTANT_LOGIT = 8.0


class NoteClassifier(BaseEstimator):
    """``fit(texts, code_lists)``; ``predict_proba(text)`` -> ``{code: probability}``.

    Defaults chosen by 3-fold cross-validation on CodiEsp train (never dev): word unigrams (MAP 0.224 vs
    0.205 with 1-2 grams), words in at least 5 notes, weak regularisation with balanced class weights so
    that codes with two or three examples still score; probabilities are then only a ranking signal, which
    the learned ranker calibrates.

    ``add_threshold`` / ``max_added``: how confident the classifier must be for a code the term matcher
    missed to become a candidate, and how many such codes one note may get. ``evidence_limit``: how many
    predictive words back each added code.
    """

    name = "tfidf-logistic"

    def __init__(
        self,
        *,
        min_examples: int = 2,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int = 5,
        max_df: float = 0.5,
        max_features: int | None = 200_000,
        C: float = 1000.0,  # scikit-learn's name for the inverse regularisation strength
        class_weight: str | None = "balanced",
        max_coefficients: int = 3000,
        max_negatives: int | None = 2000,
        add_threshold: float = 0.05,
        max_added: int = 30,
        evidence_limit: int = 3,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.min_examples = min_examples
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.max_coefficients = max_coefficients
        self.max_negatives = max_negatives
        self.add_threshold = add_threshold
        self.max_added = max_added
        self.evidence_limit = evidence_limit
        self.random_state = random_state
        self.n_jobs = n_jobs

    # --- fitting --------------------------------------------------------------------------------------------
    def fit(self, X: Sequence[str], y: Sequence[Sequence[str]]) -> NoteClassifier:
        """Learn one classifier per code confirmed on at least ``min_examples`` of the notes ``X``."""
        texts, labels = list(X), [tuple(dict.fromkeys(codes)) for codes in y]
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} code lists")
        if not texts:
            raise TrainingDataError("The note classifier needs labeled notes; none were given.")
        counts = Counter(code for codes in labels for code in codes)
        codes = sorted(code for code, count in counts.items() if count >= self.min_examples)
        if not codes:
            raise TrainingDataError(
                f"No code is confirmed on at least {self.min_examples} of the {len(texts)} notes: "
                "the note classifier has nothing to learn (add notes or lower min_examples)."
            )
        self.__dict__.pop("_part", None)
        self.vectorizer_ = self._vectorizer(len(texts))
        features = self.vectorizer_.fit_transform(texts)
        # stop_words_ is a set (its pickle order varies run to run) and is never read after fitting.
        self.vectorizer_.stop_words_ = None
        self.feature_names_ = self.vectorizer_.get_feature_names_out()
        positives = _positive_rows(labels, codes)
        # Processes, not threads: liblinear shuffles with the C library's global rand(), so two fits running in
        # threads of one process disturb each other's sequence and the weights change from run to run.
        chunks = np.array_split(np.arange(len(codes)), max(1, min(len(codes), _workers(self.n_jobs))))
        fitted = [
            pair
            # max_nbytes=None: no read-only memory maps (liblinear fails on them); two chunks are pickled instead.
            for chunk_pairs in Parallel(n_jobs=self.n_jobs, max_nbytes=None)(
                delayed(_fit_codes)(features, [(int(i), positives[i]) for i in chunk], self._code_settings())
                for chunk in chunks
            )
            for pair in chunk_pairs
        ]
        self.coef_ = _stack_columns([column for column, _ in fitted], features.shape[1])
        self.intercept_ = np.array([intercept for _, intercept in fitted], dtype=np.float64)
        self.codes_ = tuple(codes)
        self.examples_ = np.array([counts[code] for code in codes], dtype=np.int32)
        self.code_index_ = {code: index for index, code in enumerate(codes)}
        self.n_notes_ = len(texts)
        return self

    def _vectorizer(self, notes: int) -> TfidfVectorizer:
        # With few notes a document-frequency floor of 2 would leave almost nothing: relax it.
        min_df = self.min_df if notes >= 10 * self.min_df else 1
        return TfidfVectorizer(
            ngram_range=self.ngram_range,
            min_df=min_df,
            max_df=self.max_df if notes >= 20 else 1.0,
            max_features=self.max_features,
            sublinear_tf=True,
            lowercase=True,
            dtype=np.float64,  # liblinear works in float64; float32 would be copied once per code
        )

    def _code_settings(self) -> _CodeSettings:
        return _CodeSettings(self._logistic_params(), self.max_coefficients, self.max_negatives, self.random_state)

    def _logistic_params(self) -> dict[str, Any]:
        # The dual problem converges far faster while notes are fewer than n-gram features.
        return {
            "C": self.C,
            "class_weight": self.class_weight,
            "solver": "liblinear",
            "dual": True,
            "max_iter": 1000,
            "random_state": self.random_state,
        }

    # --- prediction: the pack's inference part ------------------------------------------------------------
    def to_part(self) -> TfidfNoteClassifier:
        """The inference form a pack carries (``chartcoder.TfidfNoteClassifier.v1``); cached, never pickled."""
        check_is_fitted(self, "coef_")
        part = self.__dict__.get("_part")
        if part is None:
            part = self.__dict__["_part"] = TfidfNoteClassifier(
                self.vectorizer_,
                self.coef_,
                self.intercept_,
                self.codes_,
                add_threshold=self.add_threshold,
                max_added=self.max_added,
                evidence_limit=self.evidence_limit,
            )
        return cast(TfidfNoteClassifier, part)

    def predict_proba_many(self, texts: Sequence[str]) -> np.ndarray:
        """(notes x codes) probabilities, columns in the order of ``codes_``."""
        return self.to_part().predict_proba_many(texts)

    def predict_proba(self, text: str) -> dict[str, float]:
        """``{code: probability}`` for the codes at or above :data:`PROBABILITY_FLOOR`."""
        return self.to_part().predict_proba(text)

    def probabilities_of(self, row: np.ndarray) -> dict[str, float]:
        return self.to_part().probabilities_of(row)

    def evidence_words(self, text: str, code: str, limit: int | None = None) -> list[tuple[int, int]]:
        return self.to_part().evidence_words(text, code, limit)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        for derived in ("_part", "_last_view", "_coef_by_code"):  # a note's text never goes into a pickle
            state.pop(derived, None)
        return state


# --- helpers ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _CodeSettings:
    logistic: dict[str, Any]
    max_coefficients: int
    max_negatives: int | None
    seed: int


def _positive_rows(labels: Sequence[Sequence[str]], codes: Sequence[str]) -> list[np.ndarray]:
    """For each code, the rows (notes) confirming it: sparse, where a dense notes x codes matrix would not fit."""
    index = {code: position for position, code in enumerate(codes)}
    rows: list[list[int]] = [[] for _ in codes]
    for row, note_codes in enumerate(labels):
        for code in note_codes:
            if code in index:
                rows[index[code]].append(row)
    return [np.array(found, dtype=np.int64) for found in rows]


def _workers(n_jobs: int | None) -> int:
    if n_jobs is None:
        return 1
    return effective_n_jobs(n_jobs)


def _fit_codes(
    features: Any, codes: list[tuple[int, np.ndarray]], settings: _CodeSettings
) -> list[tuple[sparse.csc_matrix, float]]:
    return [_fit_one_code(features, index, positives, settings) for index, positives in codes]


def _training_rows(notes: int, positives: np.ndarray, index: int, settings: _CodeSettings) -> np.ndarray | None:
    """Rows to fit one code on: every note, or (many notes) its positives and a seeded sample of the rest.

    With balanced class weights the negatives weigh as much in all as the positives whatever their number,
    so a sample of them changes the weights little, and bounds each code's cost on a large corpus.
    """
    negatives = notes - len(positives)
    if settings.max_negatives is None or negatives <= settings.max_negatives:
        return None
    rng = np.random.default_rng([settings.seed, index])
    drawn = rng.choice(notes, size=min(notes, settings.max_negatives + len(positives)), replace=False)
    sampled = np.setdiff1d(drawn, positives)[: settings.max_negatives]
    return np.sort(np.concatenate((positives, sampled)))


def _fit_one_code(
    features: Any, index: int, positives: np.ndarray, settings: _CodeSettings
) -> tuple[sparse.csc_matrix, float]:
    notes = features.shape[0]
    if len(positives) in (0, notes):
        # A code on every note (or none): nothing to separate, only its constant answer.
        empty = sparse.csc_matrix((features.shape[1], 1), dtype=np.float32)
        return empty, _CONSTANT_LOGIT if len(positives) else -_CONSTANT_LOGIT
    rows = _training_rows(notes, positives, index, settings)
    column = np.zeros(notes, dtype=np.int8)
    column[positives] = 1
    if rows is not None:
        features, column = features[rows], column[rows]
    model = LogisticRegression(**settings.logistic).fit(features, column)
    weights = model.coef_[0]
    if np.count_nonzero(weights) > settings.max_coefficients:
        # Keep the largest weights only: the rest move a probability by a rounding error and cost memory.
        cutoff = np.partition(np.abs(weights), -settings.max_coefficients)[-settings.max_coefficients]
        weights = np.where(np.abs(weights) >= cutoff, weights, 0.0)
    return sparse.csc_matrix(weights.astype(np.float32).reshape(-1, 1)), float(model.intercept_[0])


def _stack_columns(columns: list[sparse.csc_matrix], n_features: int) -> sparse.csr_matrix:
    if not columns:
        return sparse.csr_matrix((n_features, 0), dtype=np.float32)
    return sparse.hstack(columns, format="csr", dtype=np.float32)
