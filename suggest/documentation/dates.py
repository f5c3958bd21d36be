"""Dates: a note without a date of service, and dates in an impossible order.

- ``completeness.date_missing`` (warning): no date in the note but a date of birth (42 CFR 482.24(c)(1):
  entries dated; the code set in force is chosen by the date of service);
- ``completeness.date_order`` (error): a discharge before the admission, a date of service after the date
  the note was signed, or a date of service, admission, discharge, procedure or signature later than the day the
  note is checked. Follow-up appointments may lie ahead; only those labelled dates are compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from suggest.documentation import bases
from suggest.documentation.completeness import signature_lines
from suggest.documentation.context import NoteFacts, folded_text, on_folded
from suggest.documentation.finding import Finding
from suggest.documentation.registry import documentation_checks

__all__ = ["NoteDate", "check_dates", "note_dates"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_DATE_RE = re.compile(
    r"\b(?P<m>\d{1,2})[/-](?P<d>\d{1,2})[/-](?P<y>\d{4}|\d{2})\b"
    r"|\b(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b"
    r"|\b(?P<mn>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.? (?P<md>\d{1,2}),? (?P<my>\d{4})\b",
    re.IGNORECASE,
)
_FOLDED_DATE_RE = on_folded(_DATE_RE)  # run on the folded note: the month name group in lower case
# What a date is, from the words just before it on its line.
_LABELS = (
    ("birth", re.compile(r"\b(?:dob|d\.o\.b|date of birth|born)\b", re.IGNORECASE)),
    ("discharge", re.compile(r"\bdischarge(?:d)?(?: date)?\b|\bd/c date\b", re.IGNORECASE)),
    ("admission", re.compile(r"\badmi(?:t|ssion|tted)(?: date)?\b|\bdoa\b", re.IGNORECASE)),
    (
        "service",
        re.compile(
            r"\b(?:date of service|dos|service date|visit date|date of visit|encounter date|date of (?:surgery|"
            r"procedure|operation|exam)|procedure date|surgery date|exam date)\b|^[ \t*]*date\s*:",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class NoteDate:
    value: date
    label: str  # "birth", "discharge", "admission", "service", "signature" or "other"
    start: int
    end: int


def _value(match: re.Match[str]) -> date | None:
    try:
        if match.group("m"):
            year = int(match.group("y"))
            year += 2000 if year < 100 else 0
            return date(year, int(match.group("m")), int(match.group("d")))
        if match.group("iy"):
            return date(int(match.group("iy")), int(match.group("im")), int(match.group("id")))
        return date(int(match.group("my")), _MONTHS[match.group("mn")], int(match.group("md")))
    except ValueError:  # 13/45/2026 is no date
        return None


def note_dates(text: str) -> list[NoteDate]:
    """Every date in the note with what it dates, read from the words before it on its line."""
    signed = [(line.start(), line.end()) for line in signature_lines(text)]
    found = []
    previous_end = 0
    for match in _FOLDED_DATE_RE.finditer(folded_text(text)):
        value = _value(match)
        if value is None:
            continue
        line_start = max(text.rfind("\n", 0, match.start()) + 1, previous_end)
        previous_end = match.end()
        before = text[max(line_start, match.start() - 40) : match.start()]
        label = next((name for name, pattern in _LABELS if pattern.search(before)), "other")
        if label == "other" and any(start <= match.start() < end for start, end in signed):
            label = "signature"
        found.append(NoteDate(value, label, match.start(), match.end()))
    return found


def _finding(facts: NoteFacts, message: str, *dates: NoteDate) -> Finding:
    return Finding(
        kind="completeness.date_order",
        severity="error",
        message=message,
        basis=bases.DATES,
        evidence=tuple(facts.evidence(item.start, item.end) for item in dates),
        needs_query=True,
    )


@documentation_checks.register("chartcoder.documentation.dates.v1")
def check_dates(facts: NoteFacts) -> list[Finding]:
    """A date of service present, and admission <= discharge, service <= signature, none after today
    (42 CFR 482.24(c)(1))."""
    dates = note_dates(facts.text)
    if not [item for item in dates if item.label != "birth"]:
        return [
            Finding(
                kind="completeness.date_missing",
                severity="warning",
                message="The note carries no date of service (nor any date but a birth date).",
                basis=f"{bases.DATES}; the code set in force is that of the date of service",
                needs_query=True,
            )
        ]
    findings = []
    by_label: dict[str, list[NoteDate]] = {}
    for item in dates:
        by_label.setdefault(item.label, []).append(item)
    admissions, discharges = by_label.get("admission", []), by_label.get("discharge", [])
    if admissions and discharges and discharges[0].value < admissions[0].value:
        findings.append(
            _finding(facts, "The discharge date is before the admission date.", admissions[0], discharges[0])
        )
    services, signatures = by_label.get("service", []), by_label.get("signature", [])
    if services and signatures and services[0].value > signatures[-1].value:
        findings.append(
            _finding(facts, "The date of service is after the date the note was signed.", services[0], signatures[-1])
        )
    future = [
        item
        for label in ("service", "admission", "discharge", "signature")
        for item in by_label.get(label, [])
        if item.value > facts.today
    ]
    if future:
        findings.append(
            _finding(facts, f"A {future[0].label} date is later than today ({facts.today.isoformat()}).", future[0])
        )
    return findings
