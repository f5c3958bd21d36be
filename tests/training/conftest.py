"""A fake engine for the evaluation tests: keyword rules instead of a spaCy pipeline, picklable for workers."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pytest

from suggest.errors import EmptyNoteError, Errors
from suggest.types import Candidate, NoteSuggestions, Suggestion

# keyword -> ranked (code, score) pairs it suggests, and codes it only proposes as candidates
FAKE_RULES: dict[str, tuple[tuple[tuple[str, float], ...], tuple[str, ...]]] = {
    "pneumonia": ((("J18.9", 0.9),), ()),
    "fibrillation": ((("I48.0", 0.6),), ("I48.91",)),  # ranks the wrong code; the right one is a candidate
    "hypertension": ((("I10", 0.4),), ()),  # the right code, below the threshold
}


def _proposal(proposed: bool) -> dict[str, bool]:
    # Where Suggestion has a ``proposed`` field (the guideline layer's), the fake proposes what clears its
    # threshold, as the engine does; the expected figures below are the same either way.
    return {"proposed": proposed} if "proposed" in {field.name for field in fields(Suggestion)} else {}


@dataclass
class FakeEngine:
    """Implements the engine interface used by ``training.evaluate`` (suggest, candidates, threshold, model_id)."""

    rules: dict[str, tuple[tuple[tuple[str, float], ...], tuple[str, ...]]] = field(default_factory=lambda: FAKE_RULES)
    threshold: float = 0.5
    model_id: str = "fake-engine"
    settings_seen: list[str] = field(default_factory=list)

    def _matches(self, text: str) -> list[str]:
        if text == "REFUSE":
            raise EmptyNoteError(Errors.E001)
        return [keyword for keyword in self.rules if keyword in text.lower()]

    def suggest(
        self, text: str, setting: str = "outpatient", note_id: str | None = None, top: int | None = None
    ) -> NoteSuggestions:
        self.settings_seen.append(setting)
        scored = sorted(
            (pair for keyword in self._matches(text) for pair in self.rules[keyword][0]), key=lambda pair: -pair[1]
        )[:top]
        suggestions = tuple(
            Suggestion(rank, code, "", score, True, (), (), "keyword", **_proposal(score >= self.threshold))
            for rank, (code, score) in enumerate(scored, 1)
        )
        return NoteSuggestions(note_id, "ICD-10-CM FY2026", self.model_id, setting, suggestions, ())  # type: ignore[arg-type]

    def candidates(self, text: str, setting: str = "outpatient") -> list[Candidate]:
        codes = [code for keyword in self._matches(text) for code, _ in self.rules[keyword][0]]
        codes += [code for keyword in self._matches(text) for code in self.rules[keyword][1]]
        return [Candidate(code=code, mentions=()) for code in codes]


class FakeEngineFactory:
    """A picklable zero-argument factory, as worker processes need."""

    def __call__(self) -> FakeEngine:
        return FakeEngine()


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()
