"""The learned ranker: calibrated gradient boosting over the engine's candidate features.

Each candidate code the engine proposes for a note becomes one row: its features (``Candidate.features``:
match quality, match type, section, assertion shares, repetition, position, specificity, ...; with a note
classifier its probability), a few read from its mentions (negated / family / hypothetical shares, the best
mention's strength), the heuristic ranker's score and the candidate's place among the note's candidates,
and what the training data says about the code: how often coders confirmed it (the code prior) and how
often it was right when the engine proposed it. Label: the code (or, for a category the rules turn into a
billable child, a code under it) is among the note's gold codes; a code the coder rejected is a hard
negative with a larger weight.

The code statistics are out-of-fold while fitting: the notes are split into ``prior_folds`` groups and each
note's features count only the other groups' notes, so the model learns how much a prior seen on *other*
notes is worth, which is what it gets on new notes. (Leave-one-note-out would leak the label: a code's
count would be one lower exactly on the rows where it is right.) Probabilities are calibrated (isotonic, on
folds grouped by note) because the engine cuts them at one threshold and shows them to coders.

:class:`LearnedRanker` is a scikit-learn estimator (parameters in ``__init__``, ``fit`` returns self, learned
attributes end in ``_``) and implements :class:`suggest.ranking.Ranker` (``name``, ``score(candidates)``),
so the engine uses it unchanged. ``score`` is the Ranker protocol's, not scikit-learn's accuracy: the class
deliberately does not inherit ``ClassifierMixin``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from suggest.candidates import CLASSIFIER_FEATURE_NAMES, FEATURE_NAMES, mention_strength
from suggest.ranking import HeuristicRanker
from suggest.types import Candidate
from training._trees import CompiledRanker, compile_ranker
from training.data import TrainingDataError
from vocab.codeset import CodeSet

__all__ = [
    "BASE_FEATURES",
    "PRIOR_FEATURES",
    "CandidateRows",
    "LearnedRanker",
    "RowCollector",
    "candidate_label",
    "candidate_matrix",
]

_EXTRA_FEATURES = (
    "heuristic_score",
    "heuristic_rank",
    "relative_heuristic",
    "relative_classifier",
    "note_candidates",
    "negated",
    "family",
    "hypothetical",
    "best_strength",
    "chapter",
)
BASE_FEATURES = (*FEATURE_NAMES, *CLASSIFIER_FEATURE_NAMES, *_EXTRA_FEATURES)
PRIOR_FEATURES = ("log_gold_count", "candidate_precision", "log_candidate_count", "seen_in_training")
_HEURISTIC = HeuristicRanker()
_THREADS = ThreadpoolController()  # created once: inspecting the loaded libraries on every note would cost more


# --- rows ---------------------------------------------------------------------------------------------------
def candidate_matrix(candidates: Sequence[Candidate]) -> np.ndarray:
    """One note's candidates as a (candidates x BASE_FEATURES) float32 matrix."""
    matrix = np.zeros((len(candidates), len(BASE_FEATURES)), dtype=np.float32)
    if not candidates:
        return matrix
    heuristic = np.array(_HEURISTIC.score(candidates), dtype=np.float32)
    classifier = np.array(
        [candidate.features.get("classifier_probability", 0.0) for candidate in candidates], dtype=np.float32
    )
    # Rank 0 is the note's best candidate; ties share the better rank.
    order = np.argsort(-heuristic, kind="stable")
    ranks = np.empty(len(candidates), dtype=np.float32)
    ranks[order] = np.arange(len(candidates), dtype=np.float32)
    for row, candidate in enumerate(candidates):
        features = candidate.features
        values = [features.get(name, 0.0) for name in (*FEATURE_NAMES, *CLASSIFIER_FEATURE_NAMES)]
        values.extend(
            (
                heuristic[row],
                ranks[row] / max(len(candidates) - 1, 1),
                heuristic[row] / max(float(heuristic.max()), 1e-6),
                classifier[row] / max(float(classifier.max()), 1e-6),
                float(len(candidates)),
                _assertion_share(candidate, "negated"),
                _assertion_share(candidate, "family"),
                _assertion_share(candidate, "hypothetical"),
                max(mention_strength(mention) for mention in candidate.mentions) if candidate.mentions else 0.0,
                float(ord(candidate.code[0]) - ord("A")),
            )
        )
        matrix[row] = values
    return matrix


def _assertion_share(candidate: Candidate, assertion: str) -> float:
    if not candidate.mentions:
        return 0.0
    return sum(1.0 for mention in candidate.mentions if mention.assertion == assertion) / len(candidate.mentions)


def candidate_label(code: str, gold: Iterable[str], codeset: CodeSet | None = None) -> bool:
    """Whether proposing ``code`` leads to a gold code: it is one, or it is a category that the coding rules
    make specific (a billable child chosen from the note's words) and a gold code lies under it."""
    gold = set(gold)
    if code in gold:
        return True
    if codeset is None or codeset.codes[code].billable:
        return False
    compact = code.replace(".", "")
    return any(other.replace(".", "").startswith(compact) for other in gold)


@dataclass
class CandidateRows:
    """Every candidate of a set of labeled notes, as rows; built with :class:`RowCollector`."""

    features: np.ndarray  # (rows x BASE_FEATURES) float32
    codes: np.ndarray  # (rows,) str
    labels: np.ndarray  # (rows,) int8: 1 = leads to a gold code
    in_gold: np.ndarray  # (rows,) bool: the code itself is one of the note's gold codes
    hard_negative: np.ndarray  # (rows,) bool: the coder rejected the code
    notes: np.ndarray  # (rows,) int32: which note (0-based, in the order added)
    gold_counts: Counter[str] = field(default_factory=Counter)  # notes confirming each code, candidate or not
    n_notes: int = 0
    note_gold: list[tuple[str, ...]] = field(default_factory=list)  # each note's gold codes, by note number

    def __len__(self) -> int:
        return len(self.labels)


class RowCollector:
    """Accumulate notes' candidate rows in float32 chunks (memory: ~45 numbers per candidate, no text kept)."""

    def __init__(self, codeset: CodeSet | None = None) -> None:
        self.codeset = codeset
        self._features: list[np.ndarray] = []
        self._codes: list[str] = []
        self._labels: list[int] = []
        self._in_gold: list[bool] = []
        self._hard: list[bool] = []
        self._notes: list[int] = []
        self._gold_counts: Counter[str] = Counter()
        self._note_gold: list[tuple[str, ...]] = []
        self._n_notes = 0

    def add(self, candidates: Sequence[Candidate], gold: Iterable[str], rejected: Iterable[str] = ()) -> None:
        gold_set, rejected_set = set(gold), set(rejected) - set(gold)
        self._gold_counts.update(gold_set)
        self._note_gold.append(tuple(sorted(gold_set)))
        note = self._n_notes
        self._n_notes += 1
        if not candidates:
            return
        self._features.append(candidate_matrix(candidates))
        for candidate in candidates:
            self._codes.append(candidate.code)
            self._labels.append(int(candidate_label(candidate.code, gold_set, self.codeset)))
            self._in_gold.append(candidate.code in gold_set)
            self._hard.append(candidate.code in rejected_set)
            self._notes.append(note)

    def rows(self) -> CandidateRows:
        width = len(BASE_FEATURES)
        return CandidateRows(
            features=np.vstack(self._features) if self._features else np.zeros((0, width), dtype=np.float32),
            codes=np.array(self._codes, dtype=str),
            labels=np.array(self._labels, dtype=np.int8),
            in_gold=np.array(self._in_gold, dtype=bool),
            hard_negative=np.array(self._hard, dtype=bool),
            notes=np.array(self._notes, dtype=np.int32),
            gold_counts=Counter(self._gold_counts),
            n_notes=self._n_notes,
            note_gold=list(self._note_gold),
        )


# --- the estimator ----------------------------------------------------------------------------------------
class LearnedRanker(BaseEstimator):
    """``fit(rows)``; ``score(candidates)`` -> calibrated probabilities in 0..1 (the Ranker protocol)."""

    name = "learned"

    def __init__(
        self,
        *,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        calibration: str = "isotonic",
        calibration_folds: int = 3,
        prior_smoothing: float = 5.0,
        prior_folds: int = 5,
        hard_negative_weight: float = 2.0,
        use_priors: bool = True,
        n_jobs: int | None = None,
        random_state: int = 0,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.prior_smoothing = prior_smoothing
        self.prior_folds = prior_folds
        self.hard_negative_weight = hard_negative_weight
        self.use_priors = use_priors
        self.n_jobs = n_jobs
        self.random_state = random_state

    # --- fitting ------------------------------------------------------------------------------------------
    def fit(self, X: CandidateRows, y: np.ndarray | None = None) -> LearnedRanker:
        """Learn from candidate rows (labels from ``X.labels`` unless ``y`` is given)."""
        labels = np.asarray(X.labels if y is None else y, dtype=np.int8)
        _check_trainable(X, labels)
        self.__dict__.pop("_compiled_model", None)
        self._learn_code_statistics(X, labels)
        features = self._with_out_of_fold_priors(X, labels) if self.use_priors else X.features
        weights = np.where(X.hard_negative, self.hard_negative_weight, 1.0)
        folds = min(self.calibration_folds, int(np.unique(X.notes).size))
        # One OpenMP thread per booster: on a small, shared machine OpenMP's spinning threads made fitting
        # 20x slower; parallelism comes from joblib running the calibration folds side by side (n_jobs).
        with _THREADS.limit(limits=1, user_api="openmp"):
            self.model_ = self._calibrated(labels, X.notes, folds).fit(features, labels, sample_weight=weights)
        self.feature_names_ = (*BASE_FEATURES, *PRIOR_FEATURES) if self.use_priors else BASE_FEATURES
        self.n_features_in_ = features.shape[1]
        return self

    def _calibrated(self, labels: np.ndarray, notes: np.ndarray, folds: int) -> CalibratedClassifierCV:
        booster = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,  # a fixed number of rounds: the same data gives the same model, byte for byte
            random_state=self.random_state,
        )
        if folds < 2:
            raise TrainingDataError("Calibrating the ranker needs candidates from at least two notes.")
        # Folds grouped by note: a note's candidates are alike, so a random split would calibrate on near-copies.
        splits = list(GroupKFold(n_splits=folds).split(np.zeros((len(labels), 1)), labels, groups=notes))
        if any(np.unique(labels[train]).size < 2 for train, _ in splits):
            raise TrainingDataError("A calibration fold holds a single class: add more labeled notes.")
        # ensemble=False: one booster fitted on every row, calibrated on out-of-fold predictions, so scoring a
        # note runs one model instead of one per fold.
        return CalibratedClassifierCV(booster, method=self.calibration, cv=splits, ensemble=False, n_jobs=self.n_jobs)

    def _learn_code_statistics(self, rows: CandidateRows, labels: np.ndarray) -> None:
        self.gold_counts_ = dict(rows.gold_counts)
        self.candidate_counts_ = dict(Counter(rows.codes.tolist()))
        self.candidate_hits_ = dict(Counter(rows.codes[labels == 1].tolist()))
        self.base_rate_ = float(labels.mean())
        self.n_notes_ = int(rows.n_notes)

    # --- features -----------------------------------------------------------------------------------------
    def _with_out_of_fold_priors(self, rows: CandidateRows, labels: np.ndarray) -> np.ndarray:
        """Training rows with code statistics from the other folds' notes only (see the module doc)."""
        folds = max(2, min(self.prior_folds, rows.n_notes))
        fold_of_note = np.random.RandomState(self.random_state).permutation(rows.n_notes) % folds
        row_fold = fold_of_note[rows.notes]
        # Counts over (folds - 1) / folds of the notes are scaled up to match counts over all of them.
        scale = folds / (folds - 1)
        priors = np.zeros((len(labels), len(PRIOR_FEATURES)), dtype=np.float32)
        for fold in range(folds):
            inside = row_fold == fold
            if not inside.any():
                continue
            gold = Counter(
                code for note, codes in enumerate(rows.note_gold) if fold_of_note[note] != fold for code in codes
            )
            seen = Counter(rows.codes[~inside].tolist())
            hits = Counter(rows.codes[~inside & (labels == 1)].tolist())
            priors[inside] = self._prior_columns(rows.codes[inside], gold, seen, hits, scale)
        return np.hstack((rows.features, priors))

    def _with_priors(self, features: np.ndarray, codes: np.ndarray) -> np.ndarray:
        if not self.use_priors:
            return features
        priors = self._prior_columns(codes, self.gold_counts_, self.candidate_counts_, self.candidate_hits_, 1.0)
        return np.hstack((features, priors))

    def _prior_columns(
        self, codes: np.ndarray, gold: Mapping[str, int], seen: Mapping[str, int], hits: Mapping[str, int], scale: float
    ) -> np.ndarray:
        listed = codes.tolist()
        gold_count = np.array([gold.get(code, 0) for code in listed], dtype=np.float64) * scale
        seen_count = np.array([seen.get(code, 0) for code in listed], dtype=np.float64) * scale
        hit_count = np.array([hits.get(code, 0) for code in listed], dtype=np.float64) * scale
        smoothing = self.prior_smoothing
        precision = (hit_count + smoothing * self.base_rate_) / (seen_count + smoothing)
        columns = (np.log1p(gold_count), precision, np.log1p(seen_count), (gold_count + seen_count > 0))
        return np.column_stack(columns).astype(np.float32)

    # --- prediction ---------------------------------------------------------------------------------------
    def predict_proba_rows(self, features: np.ndarray, codes: Sequence[str]) -> np.ndarray:
        """Probability that each row leads to a gold code (BASE_FEATURES rows + their codes)."""
        check_is_fitted(self, "model_")
        if len(codes) == 0:
            return np.zeros(0)
        full = self._with_priors(features, np.asarray(codes, dtype=str))
        compiled = self._compiled()
        if compiled is not None:
            return compiled.positive_probability(full)
        with _THREADS.limit(limits=1, user_api="openmp"):  # a note's few rows: threads cost more than they save
            return self.model_.predict_proba(full)[:, 1]

    def _compiled(self) -> CompiledRanker | None:
        """The model's trees as flat arrays (built on first use, never pickled), or None if it cannot be."""
        if "_compiled_model" not in self.__dict__:
            with _THREADS.limit(limits=1, user_api="openmp"):
                self.__dict__["_compiled_model"] = compile_ranker(self.model_, self.n_features_in_)
        return cast(CompiledRanker | None, self.__dict__["_compiled_model"])

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_compiled_model", None)  # derived from model_: rebuilt after loading
        return state

    def score(self, candidates: Sequence[Candidate]) -> list[float]:
        """The Ranker protocol: one probability per candidate, in their order, rounded to 4 places."""
        check_is_fitted(self, "model_")
        if not candidates:
            return []
        probabilities = self.predict_proba_rows(candidate_matrix(candidates), [c.code for c in candidates])
        return [round(float(value), 4) for value in probabilities]


def _check_trainable(rows: CandidateRows, labels: np.ndarray) -> None:
    if len(labels) == 0:
        raise TrainingDataError(
            "The engine proposed no candidate code for any training note: there is nothing to rank "
            "(is the code set built, and do the notes mention conditions?)."
        )
    if len(labels) != len(rows):
        raise ValueError(f"{len(rows)} rows but {len(labels)} labels")
    present = np.unique(labels)
    if present.size < 2:
        which = "right (every candidate is a gold code)" if present[0] == 1 else "wrong (no candidate is a gold code)"
        raise TrainingDataError(
            f"All {len(labels)} training candidates are {which}: a ranker needs both kinds. "
            "Add notes, or check that the gold codes belong to these notes."
        )
