"""Gradient-boosted trees and their probability calibration, scored from flat arrays (no scikit-learn object).

scikit-learn's ``HistGradientBoostingClassifier`` walks its trees one Python call at a time: for a note's
15-50 candidate rows, 200 trees cost ~5 ms, almost all of it call overhead. :class:`CompiledTrees` holds every
tree's nodes in flat arrays and walks all trees for all rows together with NumPy; the sums run in
scikit-learn's order (baseline, then tree by tree), so the scores are the same numbers. The calibration curves
repeat scikit-learn's ``IsotonicRegression.predict`` (``interp1d``, clipped) and ``_SigmoidCalibration.predict``
exactly. ``training._trees`` extracts these arrays from a fitted model; this module only scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import interpolate
from scipy.special import expit

__all__ = ["CompiledTrees", "calibrator_from_payload"]

# scikit-learn clips probabilities that exceed 1 by rounding error (calibration._CalibratedClassifier)
_CLIP_ABOVE_ONE = 1e-5
_NODE_ARRAYS = {
    "roots": np.intp,
    "feature": np.intp,
    "threshold": np.float64,
    "missing_left": bool,
    "left": np.intp,
    "right": np.intp,
    "is_leaf": bool,
    "value": np.float64,
}


class IsotonicCurve:
    """``IsotonicRegression(out_of_bounds=...).predict`` from its thresholds."""

    kind = "isotonic"

    def __init__(self, x: np.ndarray, y: np.ndarray, x_min: float, x_max: float, out_of_bounds: str) -> None:
        if out_of_bounds not in ("clip", "nan"):
            raise ValueError(f"unsupported out_of_bounds {out_of_bounds!r}")
        self.x, self.y, self.x_min, self.x_max, self.out_of_bounds = x, y, x_min, x_max, out_of_bounds
        if len(y) == 1:
            self._f: Any = lambda values: y.repeat(values.shape)
        else:
            self._f = interpolate.interp1d(x, y, kind="linear", bounds_error=False)

    def predict(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=self.x.dtype).reshape(-1)
        if self.out_of_bounds == "clip":
            values = np.clip(values, self.x_min, self.x_max)
        return np.asarray(self._f(values)).astype(values.dtype)

    def payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        config = {"kind": self.kind, "x_min": self.x_min, "x_max": self.x_max, "out_of_bounds": self.out_of_bounds}
        return config, {"calibration_x": self.x, "calibration_y": self.y}


class SigmoidCurve:
    """``_SigmoidCalibration.predict``: ``expit(-(a * value + b))`` (Platt scaling)."""

    kind = "sigmoid"

    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = a, b

    def predict(self, values: np.ndarray) -> np.ndarray:
        return expit(-(self.a * np.asarray(values).reshape(-1) + self.b))

    def payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"kind": self.kind, "a": self.a, "b": self.b}, {}


def calibrator_from_payload(
    config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> IsotonicCurve | SigmoidCurve:
    if config["kind"] == IsotonicCurve.kind:
        return IsotonicCurve(
            np.asarray(arrays["calibration_x"], dtype=np.float64),
            np.asarray(arrays["calibration_y"], dtype=np.float64),
            float(config["x_min"]),
            float(config["x_max"]),
            str(config["out_of_bounds"]),
        )
    if config["kind"] == SigmoidCurve.kind:
        return SigmoidCurve(float(config["a"]), float(config["b"]))
    raise ValueError(f"unknown calibration {config['kind']!r}")


class CompiledTrees:
    """A binary booster's trees (flat node arrays, each tree's nodes offset to global indices) and calibration."""

    def __init__(self, nodes: Mapping[str, np.ndarray], baseline: float, calibrator: IsotonicCurve | SigmoidCurve):
        def column(name: str) -> np.ndarray:
            return np.ascontiguousarray(nodes[name], dtype=_NODE_ARRAYS[name])

        self._roots = column("roots")
        self._feature = column("feature")
        self._threshold = column("threshold")
        self._missing_left = column("missing_left")
        self._left = column("left")
        self._right = column("right")
        self._is_leaf = column("is_leaf")
        self._value = column("value")
        self._baseline = float(baseline)
        self._calibrator = calibrator
        self._check_shape()

    def _check_shape(self) -> None:
        size = len(self._feature)
        lengths = {len(self._threshold), len(self._missing_left), len(self._left), len(self._right)}
        if lengths | {len(self._is_leaf), len(self._value)} != {size} or not len(self._roots):
            raise ValueError("the tree arrays differ in length")
        inner = ~self._is_leaf
        children = np.concatenate((self._left[inner], self._right[inner], self._roots))
        if children.size and (children.min() < 0 or children.max() >= size):
            raise ValueError("a tree node points outside the node arrays")

    def decision(self, rows: np.ndarray) -> np.ndarray:
        """The booster's raw score (``decision_function``) for each row."""
        values = np.asarray(rows, dtype=np.float64)
        if (self._feature[~self._is_leaf] >= values.shape[1]).any():
            raise ValueError(f"the trees read features beyond the {values.shape[1]} given")
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

    # --- payload ------------------------------------------------------------------------------------------
    def payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        calibration, calibration_arrays = self._calibrator.payload()
        arrays = {f"tree_{name}": getattr(self, f"_{name}") for name in _NODE_ARRAYS}
        return {"baseline": self._baseline, "calibration": calibration}, {**arrays, **calibration_arrays}

    @classmethod
    def from_payload(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> CompiledTrees:
        nodes = {name: arrays[f"tree_{name}"] for name in _NODE_ARRAYS}
        return cls(nodes, float(config["baseline"]), calibrator_from_payload(config["calibration"], arrays))
