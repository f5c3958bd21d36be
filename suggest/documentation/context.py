"""What a documentation check reads of a note: :class:`NoteFacts`, built once per note.

Plain data: the note's text and sections (a :class:`suggest.guidelines.note.NoteView`), the setting, the engine's
suggestions and every mention it found (with section and assertion), the document type (given, or read from the
headings), the date the note is checked, and the patient's sex and age (given with the encounter, or stated in
the note). Checks are pure functions of it, so unit tests build one from a string (:meth:`NoteFacts.from_text`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from suggest.guidelines.note import NoteView
from suggest.types import Assertion, Evidence, Mention, Setting, Suggestion

__all__ = ["FAMILY_WORDS", "NoteFacts", "Sex", "stated_age_and_sex"]

Sex = Literal["female", "male"]

# A sentence about a relative ("mother has type 1 diabetes") says nothing about the patient's own condition.
FAMILY_WORDS = re.compile(
    r"\b(?:mother|father|mom|dad|sister|brother|sibling|son|daughter|aunt|uncle|grand(?:mother|father|parent)s?|"
    r"cousin|family|parents?|FHx?)\b",
    re.IGNORECASE,
)

# "58-year-old male", "44 y/o M", "72 yo woman", "a 3-day-old girl"; the first statement in the note is the patient.
_AGE_SEX_RE = re.compile(
    r"\b(\d{1,3})[- ]?(year|yr|y|month|mo|week|wk|day|d)s?[- ]?(?:/?o\b|-?old\b)\.?\s*,?\s*"
    r"(?:(?:african[- ]american|caucasian|white|black|hispanic|asian|latino|latina|pregnant)\s+)?"
    r"(female|male|woman|man|lady|gentleman|girl|boy|F|M)\b",
    re.IGNORECASE,
)
_SEX_FIELD_RE = re.compile(r"^\s*(?:sex|gender)\s*:\s*(female|male|F|M)\b", re.IGNORECASE | re.MULTILINE)
_FEMALE = {"female", "woman", "lady", "girl", "f"}
_UNIT_YEARS = {"year": 1.0, "yr": 1.0, "y": 1.0, "month": 1 / 12, "mo": 1 / 12, "week": 1 / 52, "wk": 1 / 52}


def stated_age_and_sex(text: str) -> tuple[float | None, Sex | None, Evidence | None, NoteView]:
    """The patient's age (years) and sex as the note first states them ("58-year-old male"), with the span."""
    view = NoteView(text)
    match = _AGE_SEX_RE.search(text)
    if match is not None:
        unit = match.group(2).lower()
        age = int(match.group(1)) * _UNIT_YEARS.get(unit, 1 / 365)
        sex: Sex = "female" if match.group(3).lower() in _FEMALE else "male"
        return age, sex, view.evidence(match.start(), match.end()), view
    field_match = _SEX_FIELD_RE.search(text)
    if field_match is not None:
        sex = "female" if field_match.group(1).lower() in _FEMALE else "male"
        return None, sex, view.evidence(field_match.start(1), field_match.end(1)), view
    return None, None, None, view


@dataclass(frozen=True)
class NoteFacts:
    """One note as the documentation checks see it. ``today``: the date the note is checked (dates after it are
    in the future); ``document_type``: None reads it from the headings (:mod:`.document_type`)."""

    view: NoteView
    setting: Setting = "outpatient"
    suggestions: Sequence[Suggestion] = ()
    mentions: Sequence[Mention] = ()
    document_type: str | None = None
    today: date = field(default_factory=date.today)
    patient_sex: Sex | None = None
    patient_age: float | None = None

    @classmethod
    def from_text(cls, text: str, **values: object) -> NoteFacts:
        """Facts of a bare text (sections from the headings alone), for tests and the CLI without an engine."""
        from suggest.documentation.headings import section_starts

        return cls(view=NoteView(text, section_starts(text)), **values)  # type: ignore[arg-type]

    @property
    def text(self) -> str:
        return self.view.text

    def evidence(self, start: int, end: int, assertion: Assertion = "present") -> Evidence:
        return self.view.evidence(start, end, assertion)

    def proposed(self) -> list[Suggestion]:
        """The codes the engine proposes (the ones a coder would report)."""
        return [suggestion for suggestion in self.suggestions if suggestion.proposed]
