"""Rankers order a note's candidate codes. The heuristic ranker needs no training; the learned ranker
(:class:`suggest.learned.GradientRanker`) implements the same :class:`Ranker` protocol and is loaded from the
champion model pack, optionally with a :class:`NoteClassifier` (:class:`suggest.classifier.TfidfNoteClassifier`).

The engine knows both only through these protocols: :mod:`suggest` never imports :mod:`training`, which only
fits them. A pack's parts are built by :mod:`models` from JSON and arrays through the part registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from suggest.candidates import mention_strength
from suggest.types import Candidate, Mention

__all__ = ["ASSERTION_WEIGHTS", "HeuristicRanker", "NoteClassifier", "Ranker"]

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
        """A probability-like score in 0..1 per candidate, in the same order.

        Candidates carry ``features`` (see ``suggest.candidates.FEATURE_NAMES``; with a note classifier also
        ``classifier_probability`` and ``classifier_only``) and their mentions.
        """
        ...


@runtime_checkable
class NoteClassifier(Protocol):
    """A note-level multi-label model: what the whole note is about, beyond the phrases the matcher found.

    ``add_threshold``: a code the matcher missed becomes a candidate at this probability or above, at most
    ``max_added`` per note, with :meth:`evidence_words` as its evidence.
    """

    name: str
    add_threshold: float
    max_added: int

    def predict_proba(self, text: str) -> dict[str, float]:
        """``{code: probability}`` for the codes it knows (absent: too small to matter)."""
        ...

    def evidence_words(self, text: str, code: str, limit: int | None = None) -> list[tuple[int, int]]:
        """Character spans (start, end) of the note's words that support ``code`` most, in text order."""
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
