"""Which kind of document a note is, from its title and headings, when the caller does not say.

The completeness checks ask each type for what its record standard requires (:data:`REQUIRED_SECTIONS`):
a discharge summary (42 CFR 482.24(c)(4)(vii): outcome, disposition, follow-up; final diagnosis), an operative
note (42 CFR 482.51(b)(6): techniques, findings, tissues; The Joint Commission RC.02.01.03: pre- and
post-operative diagnosis, procedure), a history and physical (42 CFR 482.22(c)(5)), and a progress or clinic
note (an assessment; Official Guidelines Section IV: the diagnosis chiefly responsible for the visit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from suggest.documentation.headings import Heading, headings

__all__ = ["DOCUMENT_TYPES", "REQUIRED_SECTIONS", "RequiredSection", "detect_document_type"]

DOCUMENT_TYPES = ("discharge_summary", "operative_note", "history_and_physical", "progress_note")


@dataclass(frozen=True, slots=True)
class RequiredSection:
    name: str  # what the message calls it
    heading: re.Pattern[str]  # a heading title (lower case) that holds it
    phrase: re.Pattern[str] | None = None  # or words anywhere in the note that document it without a heading


def _pattern(expression: str) -> re.Pattern[str]:
    return re.compile(expression, re.IGNORECASE)


_ASSESSMENT = RequiredSection(
    "assessment", _pattern(r"\b(?:assessment|impression|a/p|a&p|a / p|medical decision making|^a$|diagnos[ie]s|dx)\b")
)
REQUIRED_SECTIONS: dict[str, tuple[RequiredSection, ...]] = {
    "discharge_summary": (
        RequiredSection("discharge diagnoses", _pattern(r"\b(?:discharge|final|principal) (?:diagnos[ie]s|dx)")),
        RequiredSection("hospital course", _pattern(r"\b(?:hospital|clinical) course\b|^course$")),
        RequiredSection(
            "disposition",
            _pattern(r"\bdisposition\b|\bdischarged? (?:to|condition)\b"),
            _pattern(r"\bdischarged? (?:home|to (?:home|a |an |the |skilled|snf|rehab|hospice|inpatient))"),
        ),
    ),
    "operative_note": (
        RequiredSection("preoperative diagnosis", _pattern(r"\bpre-? ?op(?:erative)? (?:diagnos[ie]s|dx)\b")),
        RequiredSection("postoperative diagnosis", _pattern(r"\bpost-? ?op(?:erative)? (?:diagnos[ie]s|dx)\b")),
        RequiredSection("procedure", _pattern(r"\bprocedures?(?: performed)?\b|\boperations?(?: performed)?\b")),
        RequiredSection("findings", _pattern(r"\bfindings\b")),
    ),
    "history_and_physical": (
        RequiredSection(
            "history of present illness", _pattern(r"\b(?:history of present(?:ing)? illness|hpi|present illness)\b")
        ),
        RequiredSection("physical examination", _pattern(r"\b(?:physical exam(?:ination)?|exam(?:ination)?|pe)\b")),
        _ASSESSMENT,
    ),
    "progress_note": (_ASSESSMENT,),
}

_TITLE_RE = {
    "discharge_summary": _pattern(r"\bdischarge summary\b"),
    "operative_note": _pattern(r"\b(?:operative|op) (?:note|report)\b|\bbrief op note\b"),
    "history_and_physical": _pattern(r"\bhistory and physical\b|\bh ?& ?p\b|\badmission (?:note|h&p)\b"),
}


def detect_document_type(text: str, found: list[Heading] | None = None) -> str:
    """The type named in the note's first lines, else the one its headings show; "progress_note" otherwise."""
    opening = text[:300]
    for name, pattern in _TITLE_RE.items():
        if pattern.search(opening):
            return name
    titles = found if found is not None else headings(text)
    if any(heading.matches(REQUIRED_SECTIONS["operative_note"][1].heading) for heading in titles):
        return "operative_note"
    if any(heading.matches(REQUIRED_SECTIONS["discharge_summary"][0].heading) for heading in titles) and any(
        heading.matches(REQUIRED_SECTIONS["discharge_summary"][1].heading) for heading in titles
    ):
        return "discharge_summary"
    return "progress_note"
