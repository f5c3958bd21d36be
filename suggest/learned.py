"""The learned ranker as the engine runs it: candidate rows -> code statistics -> compiled trees -> probability.

``training.ranker.LearnedRanker`` fits the model; what a pack carries and the engine scores with is this
:class:`GradientRanker` (registered as ``chartcoder.GradientRanker.v1``): the trees and calibration as arrays
(:class:`models.trees.CompiledTrees`) and the code statistics the training data gave (how often coders confirmed
each code, how often the engine proposed it and how often it was right) as JSON. Nothing here imports
:mod:`training` or unpickles anything.

Each candidate code becomes one row: its features (``Candidate.features``; with a note classifier its
probability), a few read from its mentions (negated / family / hypothetical shares, the best mention's
strength), the heuristic ranker's score and the candidate's place among the note's candidates, then the code
statistics (:data:`PRIOR_FEATURES`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.parts import RegisteredPart, register_part
from models.trees import CompiledTrees
from suggest.candidates import CLASSIFIER_FEATURE_NAMES, FEATURE_NAMES, mention_strength
from suggest.ranking import HeuristicRanker
from suggest.types import Candidate

__all__ = ["BASE_FEATURES", "PRIOR_FEATURES", "GradientRanker", "candidate_matrix", "prior_columns"]

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


def prior_columns(
    codes: np.ndarray,
    gold: Mapping[str, int],
    seen: Mapping[str, int],
    hits: Mapping[str, int],
    *,
    scale: float,
    smoothing: float,
    base_rate: float,
) -> np.ndarray:
    """The :data:`PRIOR_FEATURES` of each code from confirmed (``gold``), proposed (``seen``) and right
    (``hits``) counts; ``scale`` corrects counts taken over a part of the notes (out-of-fold while fitting)."""
    listed = codes.tolist()
    gold_count = np.array([gold.get(code, 0) for code in listed], dtype=np.float64) * scale
    seen_count = np.array([seen.get(code, 0) for code in listed], dtype=np.float64) * scale
    hit_count = np.array([hits.get(code, 0) for code in listed], dtype=np.float64) * scale
    precision = (hit_count + smoothing * base_rate) / (seen_count + smoothing)
    columns = (np.log1p(gold_count), precision, np.log1p(seen_count), (gold_count + seen_count > 0))
    return np.column_stack(columns).astype(np.float32)


# --- the ranker -----------------------------------------------------------------------------------------------
@register_part("chartcoder.GradientRanker.v1")
class GradientRanker(RegisteredPart):
    """The :class:`suggest.ranking.Ranker` of a trained pack: calibrated probabilities in 0..1."""

    name = "learned"

    def __init__(
        self,
        trees: CompiledTrees,
        *,
        use_priors: bool,
        prior_smoothing: float,
        base_rate: float,
        gold_counts: Mapping[str, int],
        candidate_counts: Mapping[str, int],
        candidate_hits: Mapping[str, int],
    ) -> None:
        self.trees = trees
        self.use_priors = use_priors
        self.prior_smoothing = prior_smoothing
        self.base_rate = base_rate
        self.gold_counts = dict(gold_counts)
        self.candidate_counts = dict(candidate_counts)
        self.candidate_hits = dict(candidate_hits)
        self.n_features = len(BASE_FEATURES) + (len(PRIOR_FEATURES) if use_priors else 0)

    def with_priors(self, features: np.ndarray, codes: np.ndarray) -> np.ndarray:
        if not self.use_priors:
            return features
        priors = prior_columns(
            codes,
            self.gold_counts,
            self.candidate_counts,
            self.candidate_hits,
            scale=1.0,
            smoothing=self.prior_smoothing,
            base_rate=self.base_rate,
        )
        return np.hstack((features, priors))

    def predict_proba_rows(self, features: np.ndarray, codes: Sequence[str]) -> np.ndarray:
        """Probability that each row leads to a gold code (BASE_FEATURES rows + their codes)."""
        if len(codes) == 0:
            return np.zeros(0)
        return self.trees.positive_probability(self.with_priors(features, np.asarray(codes, dtype=str)))

    def score(self, candidates: Sequence[Candidate]) -> list[float]:
        """The Ranker protocol: one probability per candidate, in their order, rounded to 4 places."""
        if not candidates:
            return []
        probabilities = self.predict_proba_rows(candidate_matrix(candidates), [c.code for c in candidates])
        return [round(float(value), 4) for value in probabilities]

    # --- payload ------------------------------------------------------------------------------------------
    def to_payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        trees, arrays = self.trees.payload()
        config = {
            "trees": trees,
            "features": list(BASE_FEATURES) + (list(PRIOR_FEATURES) if self.use_priors else []),
            "use_priors": self.use_priors,
            "prior_smoothing": self.prior_smoothing,
            "base_rate": self.base_rate,
            "gold_counts": self.gold_counts,
            "candidate_counts": self.candidate_counts,
            "candidate_hits": self.candidate_hits,
        }
        return config, arrays

    @classmethod
    def from_payload(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> GradientRanker:
        use_priors = bool(config["use_priors"])
        expected = list(BASE_FEATURES) + (list(PRIOR_FEATURES) if use_priors else [])
        if list(config["features"]) != expected:
            raise ValueError("the ranker was trained on other features than this chartcoder computes")
        return cls(
            CompiledTrees.from_payload(config["trees"], arrays),
            use_priors=use_priors,
            prior_smoothing=float(config["prior_smoothing"]),
            base_rate=float(config["base_rate"]),
            gold_counts=_counts(config["gold_counts"]),
            candidate_counts=_counts(config["candidate_counts"]),
            candidate_hits=_counts(config["candidate_hits"]),
        )


def _counts(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ValueError("code counts must be a JSON object")
    return {str(code): int(count) for code, count in value.items()}
