"""Extract a fitted, calibrated gradient-boosting ranker into :class:`models.trees.CompiledTrees` arrays.

Only the shape the ranker trains is compiled (binary, numeric features, one calibrator on the whole booster);
:func:`compile_ranker` returns None for anything else. The compiled form is checked against scikit-learn on
random rows before it is returned: a pack stores the compiled form only, so it must score the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
from sklearn.isotonic import IsotonicRegression

from models.trees import CompiledTrees, IsotonicCurve, SigmoidCurve

__all__ = ["compile_ranker"]

_CHECK_ROWS = 64
_CHECK_TOLERANCE = 1e-9


def _node_arrays(booster: Any) -> dict[str, np.ndarray]:
    nodes = [iteration[0].nodes for iteration in booster._predictors]
    offsets = np.cumsum([0, *(len(tree) for tree in nodes[:-1])]).astype(np.intp)
    flat = np.concatenate(nodes)
    per_node_offset = np.repeat(offsets, [len(tree) for tree in nodes])
    return {
        "roots": offsets,
        "feature": flat["feature_idx"].astype(np.intp),
        "threshold": flat["num_threshold"].astype(np.float64),
        "missing_left": flat["missing_go_to_left"].astype(bool),
        "left": flat["left"].astype(np.intp) + per_node_offset,
        "right": flat["right"].astype(np.intp) + per_node_offset,
        "is_leaf": flat["is_leaf"].astype(bool),
        "value": flat["value"].astype(np.float64),
    }


def _curve(calibrator: Any) -> IsotonicCurve | SigmoidCurve | None:
    if isinstance(calibrator, IsotonicRegression) and calibrator.out_of_bounds in ("clip", "nan"):
        return IsotonicCurve(
            np.asarray(calibrator.X_thresholds_),
            np.asarray(calibrator.y_thresholds_),
            float(calibrator.X_min_),
            float(calibrator.X_max_),
            calibrator.out_of_bounds,
        )
    if isinstance(calibrator, _SigmoidCalibration):
        return SigmoidCurve(float(calibrator.a_), float(calibrator.b_))
    return None


def compile_ranker(model: Any, n_features: int, seed: int = 0) -> CompiledTrees | None:
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
    curve = _curve(calibrated.calibrators[0])
    if curve is None:
        return None
    baseline = float(np.asarray(booster._baseline_prediction).ravel()[0])
    compiled = CompiledTrees(_node_arrays(booster), baseline, curve)
    rows = np.random.default_rng(seed).normal(0.0, 3.0, size=(_CHECK_ROWS, n_features)).astype(np.float32)
    rows[::7, ::3] = np.nan
    expected = model.predict_proba(rows)[:, 1]
    if not np.allclose(compiled.positive_probability(rows), expected, rtol=0.0, atol=_CHECK_TOLERANCE):
        return None
    return compiled
