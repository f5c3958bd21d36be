"""A fitted, calibrated gradient-boosting ranker scored for one note's few rows without per-tree overhead.

scikit-learn's ``HistGradientBoostingClassifier`` walks its trees one Python call at a time: for a note's
15-50 candidate rows, 200 trees cost ~5 ms, almost all of it call overhead. :class:`CompiledRanker` lays
every tree's nodes out in flat arrays once and walks all trees for all rows together with NumPy; the sums
run in scikit-learn's order (baseline, then tree by tree), so the scores are the same numbers. Only the
shape the ranker trains is compiled (binary, numeric features, one calibrator on the whole booster);
:func:`compile_ranker` returns None for anything else and the caller keeps scikit-learn's own path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV

__all__ = ["CompiledRanker", "compile_ranker"]

# scikit-learn clips probabilities that exceed 1 by rounding error (calibration._CalibratedClassifier)
_CLIP_ABOVE_ONE = 1e-5
_CHECK_ROWS = 64
_CHECK_TOLERANCE = 1e-9


class CompiledRanker:
    def __init__(self, booster: Any, calibrator: Any) -> None:
        nodes = [iteration[0].nodes for iteration in booster._predictors]
        offsets = np.cumsum([0, *(len(tree) for tree in nodes[:-1])]).astype(np.intp)
        flat = np.concatenate(nodes)
        per_node_offset = np.repeat(offsets, [len(tree) for tree in nodes])
        self._roots = offsets
        self._feature = flat["feature_idx"].astype(np.intp)
        self._threshold = flat["num_threshold"].astype(np.float64)
        self._missing_left = flat["missing_go_to_left"].astype(bool)
        self._left = flat["left"].astype(np.intp) + per_node_offset
        self._right = flat["right"].astype(np.intp) + per_node_offset
        self._is_leaf = flat["is_leaf"].astype(bool)
        self._value = flat["value"].astype(np.float64)
        self._baseline = float(np.asarray(booster._baseline_prediction).ravel()[0])
        self._calibrator = calibrator

    def decision(self, rows: np.ndarray) -> np.ndarray:
        """The booster's raw score (``decision_function``) for each row."""
        values = np.asarray(rows, dtype=np.float64)
        trees = len(self._roots)
        node = np.tile(self._roots, len(values))  # (row, tree) pairs, row-major
        row_of = np.repeat(np.arange(len(values)), trees)
        active = np.flatnonzero(~self._is_leaf[node])
        while active.size:
            at = node[active]
            feature_values = values[row_of[active], self._feature[at]]
            go_left = np.where(np.isnan(feature_values), self._missing_left[at], feature_values <= self._threshold[at])
            at = np.where(go_left, self._left[at], self._right[at])
            node[active] = at
            active = active[~self._is_leaf[at]]  # pairs that reached a leaf are done
        node = node.reshape(len(values), trees)
        # cumsum adds left to right, as scikit-learn adds tree after tree to the baseline
        leaves = np.column_stack([np.full(len(values), self._baseline), self._value[node]])
        return np.cumsum(leaves, axis=1)[:, -1]

    def positive_probability(self, rows: np.ndarray) -> np.ndarray:
        probability = np.asarray(self._calibrator.predict(self.decision(rows)), dtype=np.float64)
        probability[(probability > 1.0) & (probability <= 1.0 + _CLIP_ABOVE_ONE)] = 1.0
        return probability


def compile_ranker(model: Any, n_features: int, seed: int = 0) -> CompiledRanker | None:
    """The compiled form of a fitted ``CalibratedClassifierCV(HistGradientBoostingClassifier, ensemble=False)``,
    checked against scikit-learn on random rows; None when the model has another shape or disagrees."""
    if not isinstance(model, CalibratedClassifierCV) or len(getattr(model, "calibrated_classifiers_", ())) != 1:
        return None
    calibrated = model.calibrated_classifiers_[0]
    booster = calibrated.estimator
    supported = (
        calibrated.method in ("sigmoid", "isotonic")
        and len(calibrated.calibrators) == 1
        and list(model.classes_) == [0, 1]
        and getattr(booster, "n_trees_per_iteration_", None) == 1
        and getattr(booster, "is_categorical_", None) is None
    )
    if not supported or any(iteration[0].nodes["is_categorical"].any() for iteration in booster._predictors):
        return None
    compiled = CompiledRanker(booster, calibrated.calibrators[0])
    rows = np.random.default_rng(seed).normal(0.0, 3.0, size=(_CHECK_ROWS, n_features)).astype(np.float32)
    rows[::7, ::3] = np.nan
    expected = model.predict_proba(rows)[:, 1]
    if not np.allclose(compiled.positive_probability(rows), expected, rtol=0.0, atol=_CHECK_TOLERANCE):
        return None
    return compiled
