"""Rankers order a note's candidate codes. The heuristic ranker needs no training; a learned ranker
(training issue) implements the same :class:`Ranker` protocol and is loaded from the champion model pack."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from suggest.candidates import mention_strength
from suggest.types import Candidate, Mention

__all__ = ["ASSERTION_WEIGHTS", "HeuristicRanker", "Ranker"]

# A mention's support for coding its finding now, by what ConText says about it.
ASSERTION_WEIGHTS = {
    "present": 1.0,
    "possible": 0.85,
    "historical": 0.75,
    "hypothetical": 0.6,
    "family": 0.6,
    "negated": 0.6,
}


@runtime_checkable
class Ranker(Protocol):
    name: str

    def score(self, candidates: Sequence[Candidate]) -> list[float]:
        """A probability-like score in 0..1 per candidate, in the same order."""
        ...


class HeuristicRanker:
    """Noisy-OR over mentions: each mention is independent evidence, so repetition raises the score.

    A mention's strength is its match quality x source x match type x section x assertion (see
    :func:`suggest.candidates.mention_strength`); a more specific code gets a small bonus.
    """

    name = "heuristic"

    def __init__(self, mention_weight: float = 0.8, specificity_bonus: float = 0.015) -> None:
        self.mention_weight = mention_weight
        self.specificity_bonus = specificity_bonus

    def score(self, candidates: Sequence[Candidate]) -> list[float]:
        return [self._score(candidate) for candidate in candidates]

    def _score(self, candidate: Candidate) -> float:
        doubt = 1.0
        for mention in candidate.mentions:
            doubt *= 1.0 - self.mention_weight * _support(mention)
        specificity = candidate.features.get("specificity", 3.0)
        bonus = 0.94 + self.specificity_bonus * (specificity - 3.0)
        return round(min(1.0, (1.0 - doubt) * bonus), 4)


def _support(mention: Mention) -> float:
    return mention_strength(mention) * ASSERTION_WEIGHTS.get(mention.assertion, 0.6)
