"""One document of an encounter as the engine coded it: :class:`CodedDocument`.

The public answer for a note is :class:`suggest.types.NoteSuggestions`; an encounter needs more of the work
behind it to merge documents: the guideline layer's working entries (each with the mentions behind it), every
mention of the document (negated ones too: a later "ruled out" removes an earlier "possible"), the candidates
with their ranker scores, and where each section starts. Plain picklable data, so an engine process can send it.
"""

from __future__ import annotations

from dataclasses import dataclass

from suggest.guidelines.draft import DraftCode
from suggest.types import Candidate, Exclusion, Mention, NoteSuggestions

__all__ = ["CodedDocument"]


@dataclass(frozen=True)
class CodedDocument:
    """``suggestions``: the note's own answer; ``entries``: the guideline layer's draft after its steps, in the
    note's reporting order; ``excluded``: what the note's coding left out and why; ``mentions``: every mention
    in text order; ``candidates``/``scores``: the ranker's input and output; ``sections``: (offset, name) where
    each section starts; ``threshold``: the model's proposal threshold."""

    suggestions: NoteSuggestions
    entries: tuple[DraftCode, ...]
    excluded: tuple[Exclusion, ...]
    mentions: tuple[Mention, ...]
    candidates: tuple[Candidate, ...]
    scores: tuple[float, ...]
    sections: tuple[tuple[int, str], ...]
    threshold: float
