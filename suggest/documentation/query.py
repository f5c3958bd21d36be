"""Provider queries drafted from a finding, as the AHIMA/ACDIS "Guidelines for Achieving a Compliant Query
Practice" (2022 update) ask them to be written.

A compliant query quotes the clinical indicators in the record that raise it (here: the finding's indicator
spans, word for word from the note, never a paraphrase), asks one neutral question, and offers the clinically
reasonable answers the classification distinguishes (``data/query_options.tsv``) plus "other" and "unable to
determine / clinically undetermined". It never names a diagnosis the record does not support, never says what an
answer would change in payment or quality measures, and never tells the provider what to write: the checks in
:func:`noncompliant_phrases` hold drafts and a coder's edits to that. chartcoder delivers nothing: the draft is
copied or exported to the provider's channel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from suggest.documentation.finding import Finding
from suggest.errors import Errors, QueryDraftError
from suggest.types import Evidence

__all__ = [
    "NONCOMPLIANT_PHRASES",
    "OTHER_OPTION",
    "UNDETERMINED_OPTION",
    "QueryDraft",
    "draft_query",
    "noncompliant_phrases",
    "render_query",
]

OTHER_OPTION = "Other (please specify)"
UNDETERMINED_OPTION = "Unable to determine / clinically undetermined"
_OPTION_QUOTE_CHARS = 300  # a conflicting statement offered as an option: its first 300 characters
_GENERIC_SUBJECT = "the documentation quoted above"
_RESPONSE_NOTE = (
    "Please document your response in the health record. Any answer, including unable to determine, is acceptable."
)

# Phrases a compliant query never holds (the practice brief: no mention of payment or quality impact, nothing that
# directs the provider to an answer or names a code). Matched as whole words, case-insensitive.
NONCOMPLIANT_PHRASES: tuple[str, ...] = (
    "reimbursement",
    "reimburse",
    "payment",
    "paid",
    "revenue",
    "financial",
    "DRG",
    "MS-DRG",
    "APR-DRG",
    "CC/MCC",
    "MCC",
    "case mix",
    "quality score",
    "risk adjustment",
    "HCC",
    "higher paying",
    "please document that",
    "please add",
    "please confirm",
    "consider documenting",
    "do you agree",
    "would you agree",
    "can you agree",
    "it appears that",
    "the patient has",
    "ICD-10",
    "billable",
    "code assignment would",
)
_NONCOMPLIANT_RE = re.compile(
    r"(?<![\w/-])(" + "|".join(re.escape(phrase) for phrase in NONCOMPLIANT_PHRASES) + r")(?![\w/-])", re.IGNORECASE
)


def noncompliant_phrases(text: str) -> list[str]:
    """The leading or financial phrases in ``text`` (as listed in :data:`NONCOMPLIANT_PHRASES`), in order."""
    return [match.group(1) for match in _NONCOMPLIANT_RE.finditer(text)]


@dataclass(frozen=True, slots=True)
class _Attribute:
    subject: str
    options: tuple[str, ...]


@lru_cache(maxsize=1)
def _attributes() -> dict[str, _Attribute]:
    """``data/query_options.tsv``: the question's subject and the clinical options per attribute."""
    header, *rows = _read_table("query_options.tsv")
    subjects: dict[str, str] = {}
    options: dict[str, list[str]] = {}
    for cells in rows:
        row = dict(zip(header, cells, strict=True))
        subjects.setdefault(row["attribute"], row["subject"])
        options.setdefault(row["attribute"], []).append(row["option"])
    return {name: _Attribute(subjects[name], tuple(choices)) for name, choices in options.items()}


def _read_table(name: str) -> list[list[str]]:
    text = resources.files("suggest.documentation.data").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _attribute_for(kind: str) -> _Attribute | None:
    """The attribute named in the kind's last dotted part; the longest name wins ("ckd_stage" -> ckd)."""
    detail = kind.rsplit(".", 1)[-1].lower()
    named = [name for name in _attributes() if name in detail]
    return _attributes()[max(named, key=len)] if named else None


@dataclass(frozen=True, slots=True)
class QueryDraft:
    """A query ready for the coder to edit: the question, the quoted indicators and the answer options.

    ``options`` always end with :data:`OTHER_OPTION` and :data:`UNDETERMINED_OPTION`; :meth:`text` is the whole
    query as the provider reads it.
    """

    finding_kind: str
    basis: str
    question: str
    indicators: tuple[Evidence, ...]
    options: tuple[str, ...]

    def text(self) -> str:
        return render_query(self.question, [(item.text, item.section) for item in self.indicators], self.options)

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding_kind": self.finding_kind,
            "basis": self.basis,
            "question": self.question,
            "indicators": [item.to_dict() for item in self.indicators],
            "options": list(self.options),
            "text": self.text(),
        }


def render_query(question: str, quotes: Sequence[tuple[str, str]], options: Sequence[str]) -> str:
    """The query as the provider reads it: the quoted indicators (with their section), the question, one box per
    option."""
    lines = ["Clinical indicators documented in this record:"]
    lines += [f'  - "{text}"' + (f" ({section.replace('_', ' ')})" if section else "") for text, section in quotes]
    lines += ["", question, "", "Please select one:"]
    lines += [f"  [ ] {option}" for option in options]
    lines += ["", _RESPONSE_NOTE]
    return "\n".join(lines)


def _quoted(finding: Finding) -> tuple[Evidence, ...]:
    """The indicators to quote, else the evidence; each distinct span once, in the note's order."""
    spans = finding.indicators or finding.evidence
    unique = {(item.start, item.end): item for item in spans if item.text and item.text.strip()}
    return tuple(unique[key] for key in sorted(unique))


def _conflict_options(quotes: tuple[Evidence, ...]) -> tuple[str, ...]:
    """For conflicting documentation with no known attribute: each distinct statement, as the record has it."""
    seen: dict[str, str] = {}
    for item in quotes:
        where = f" ({item.section})" if item.section else ""
        words = " ".join(item.text.split())  # an option is one line, however the note broke the quote
        seen.setdefault(words.lower(), f'As documented{where}: "{words[:_OPTION_QUOTE_CHARS]}"')
    return tuple(seen.values()) if len(seen) > 1 else ()


def draft_query(finding: Finding) -> QueryDraft:
    """A compliant, non-leading multiple-choice query for ``finding``.

    The question names only the attribute to clarify ("the type of heart failure"), never an answer; the options
    are every clinically reasonable value of that attribute (not the one the indicators hint at alone), then
    other and unable to determine. A finding quoting nothing from the note cannot be queried (E020).
    """
    quotes = _quoted(finding)
    if not quotes:
        raise QueryDraftError(Errors.E020)
    attribute = _attribute_for(finding.kind)
    if attribute is not None:
        subject, clinical = attribute.subject, attribute.options
    elif finding.family == "inconsistency":
        subject, clinical = "which of the conflicting statements quoted above is accurate", _conflict_options(quotes)
    else:
        subject, clinical = _GENERIC_SUBJECT, ()
    question = f"Based on your clinical judgment, please clarify {subject}."
    return QueryDraft(
        finding_kind=finding.kind,
        basis=finding.basis,
        question=question,
        indicators=quotes,
        options=(*clinical, OTHER_OPTION, UNDETERMINED_OPTION),
    )
