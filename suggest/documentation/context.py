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

from suggest.guidelines.folding import folded_note
from suggest.guidelines.note import NoteView
from suggest.types import Assertion, Evidence, Mention, Setting, Suggestion

__all__ = ["FAMILY_WORDS", "NoteFacts", "Sex", "folded_text", "on_folded", "stated_age_and_sex"]

Sex = Literal["female", "male"]

_NOT_LETTERS_RE = re.compile(r"\\.|\(\?P[<=]")  # escapes (\W, \b) and named groups: no letters to match


def on_folded(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` (case-insensitive, its letters written in lower case) to run on a note's folded text
    (:func:`folded_text`) case-sensitively: it finds the same spans, with the groups in lower case. Python's regex
    engine pays for case-insensitive comparison at every character of a note; the checks fold the note once."""
    if not pattern.flags & re.IGNORECASE or any(char.isupper() for char in _NOT_LETTERS_RE.sub("", pattern.pattern)):
        raise ValueError(f"not a case-insensitive pattern spelt in lower case: {pattern.pattern!r}")
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


def folded_text(text: str) -> str:
    """The note folded as ``re.IGNORECASE`` compares letters (suggest/guidelines/folding.py), offsets unchanged:
    computed once per note for all its checks (and the guideline rules)."""
    return folded_note(NoteView(text))


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
    r"(female|male|woman|man|lady|gentleman|girl|boy|f|m)\b",
    re.IGNORECASE,
)
_SEX_FIELD_RE = re.compile(r"^\s*(?:sex|gender)\s*:\s*(female|male|f|m)\b", re.IGNORECASE | re.MULTILINE)
# Run on the folded note: the groups in lower case.
_FOLDED_AGE_SEX_RE = on_folded(_AGE_SEX_RE)
_FOLDED_SEX_FIELD_RE = on_folded(_SEX_FIELD_RE)
_FEMALE = {"female", "woman", "lady", "girl", "f"}
_UNIT_YEARS = {"year": 1.0, "yr": 1.0, "y": 1.0, "month": 1 / 12, "mo": 1 / 12, "week": 1 / 52, "wk": 1 / 52}


def stated_age_and_sex(text: str) -> tuple[float | None, Sex | None, Evidence | None, NoteView]:
    """The patient's age (years) and sex as the note first states them ("58-year-old male"), with the span."""
    view = NoteView(text)
    lowered = folded_text(text)
    match = _FOLDED_AGE_SEX_RE.search(lowered)
    if match is not None:
        unit = match.group(2)
        age = int(match.group(1)) * _UNIT_YEARS.get(unit, 1 / 365)
        sex: Sex = "female" if match.group(3) in _FEMALE else "male"
        return age, sex, view.evidence(match.start(), match.end()), view
    field_match = _FOLDED_SEX_FIELD_RE.search(lowered)
    if field_match is not None:
        sex = "female" if field_match.group(1) in _FEMALE else "male"
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

    @property
    def folded(self) -> str:
        """The text folded for :func:`on_folded` patterns."""
        return folded_note(self.view)

    def evidence(self, start: int, end: int, assertion: Assertion = "present") -> Evidence:
        return self.view.evidence(start, end, assertion)

    def proposed(self) -> list[Suggestion]:
        """The codes the engine proposes (the ones a coder would report)."""
        return [suggestion for suggestion in self.suggestions if suggestion.proposed]
