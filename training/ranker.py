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
attributes end in ``_``) and implements :class:`suggest.ranking.Ranker` (``name``, ``score(candidates)``)
through :meth:`LearnedRanker.to_part`, the :class:`suggest.learned.GradientRanker` a pack carries: training
validates exactly what the engine runs. ``score`` is the Ranker protocol's, not scikit-learn's accuracy: the class
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

from models.trees import CompiledTrees
from suggest.learned import BASE_FEATURES, PRIOR_FEATURES, GradientRanker, candidate_matrix, prior_columns
from suggest.types import Candidate
from training._trees import compile_ranker
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

_THREADS = ThreadpoolController()  # created once: inspecting the loaded libraries on every note would cost more


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
        self.__dict__.pop("_part", None)
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

    def _prior_columns(
        self, codes: np.ndarray, gold: Mapping[str, int], seen: Mapping[str, int], hits: Mapping[str, int], scale: float
    ) -> np.ndarray:
        return prior_columns(
            codes, gold, seen, hits, scale=scale, smoothing=self.prior_smoothing, base_rate=self.base_rate_
        )

    # --- prediction: the pack's inference part ----------------------------------------------------------
    def to_part(self) -> GradientRanker:
        """The inference form a pack carries (``chartcoder.GradientRanker.v1``): the trees as arrays, checked
        against scikit-learn's own predictions; built on first use, never pickled."""
        check_is_fitted(self, "model_")
        part = self.__dict__.get("_part")
        if part is None:
            trees = self._compiled()
            if trees is None:
                raise TrainingDataError(
                    "The fitted ranker has a shape the engine cannot score (not one calibrated binary booster "
                    "over numeric features); it cannot be written into a model pack."
                )
            part = self.__dict__["_part"] = GradientRanker(
                trees,
                use_priors=self.use_priors,
                prior_smoothing=self.prior_smoothing,
                base_rate=self.base_rate_,
                gold_counts=self.gold_counts_,
                candidate_counts=self.candidate_counts_,
                candidate_hits=self.candidate_hits_,
            )
        return cast(GradientRanker, part)

    def _with_priors(self, features: np.ndarray, codes: np.ndarray) -> np.ndarray:
        return self.to_part().with_priors(features, codes)

    def predict_proba_rows(self, features: np.ndarray, codes: Sequence[str]) -> np.ndarray:
        """Probability that each row leads to a gold code (BASE_FEATURES rows + their codes)."""
        return self.to_part().predict_proba_rows(features, codes)

    def _compiled(self) -> CompiledTrees | None:
        """The model's trees as flat arrays, or None if they cannot be (another model shape)."""
        if "_compiled_model" not in self.__dict__:
            with _THREADS.limit(limits=1, user_api="openmp"):
                self.__dict__["_compiled_model"] = compile_ranker(self.model_, self.n_features_in_)
        return cast(CompiledTrees | None, self.__dict__["_compiled_model"])

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_compiled_model", None)  # derived from model_: rebuilt after loading
        state.pop("_part", None)
        return state

    def score(self, candidates: Sequence[Candidate]) -> list[float]:
        """The Ranker protocol: one probability per candidate, in their order, rounded to 4 places."""
        return self.to_part().score(candidates)


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
