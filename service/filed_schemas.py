"""Request and response bodies of the filed-encounter routes (search, FHIR export), apart from the engine's records.

The search is a POST with a JSON body so that patient ids never appear in a URL or an access log.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service.schemas import CODE_PATTERN, JSON_INTEGER, CodeText, LineText100, LineText200
from service.store.filing import FILING_STATUSES
from vocab.codes import normalize_code

__all__ = [
    "CODE_PREFIX_PATTERN",
    "CODE_RANGE_PATTERN",
    "EncounterSearchPage",
    "EncounterSearchRequest",
    "EvidencePlaceOut",
    "FiledCodeOut",
    "FiledEncounterOut",
    "code_prefix",
]

FilingStatusName = Literal[FILING_STATUSES]  # type: ignore[valid-type]
_CODE = CODE_PATTERN.removeprefix("^").removesuffix("$")
# What a coder types for a branch: E, E1, E11, E11., e112, S52.52 (never more than a code's characters).
CODE_PREFIX_PATTERN = r"^[A-Za-z](?:[0-9]|(?:[0-9][0-9A-Za-z]|[Aa]0)\.?[0-9A-Za-z]{0,4})?$"
CODE_RANGE_PATTERN = rf"^{_CODE} ?- ?{_CODE}$"  # E10-E13.9, "I20 - I25"


def code_prefix(text: str) -> str:
    """A prefix in the codes' stored spelling: ``e112`` -> ``E11.2``; ``E11.`` keeps its dot (E11's children only)."""
    compact = text.replace(".", "").upper()
    if len(compact) > 3:
        return f"{compact[:3]}.{compact[3:]}"
    return compact + "." if text.endswith(".") and len(compact) == 3 else compact


def _canonical(text: str) -> str:
    return normalize_code(text)


def _range(text: str) -> str:
    first, last = (part.strip() for part in text.split("-"))
    return f"{normalize_code(first)}-{normalize_code(last)}"


CanonicalCode = Annotated[CodeText, AfterValidator(_canonical)]
CodePrefix = Annotated[
    str,
    Field(max_length=9, examples=["E11."], json_schema_extra={"pattern": CODE_PREFIX_PATTERN}),
    AfterValidator(lambda text: code_prefix(_checked_prefix(text))),
]
CodeRange = Annotated[
    str,
    Field(max_length=40, examples=["E10-E13.9"], json_schema_extra={"pattern": CODE_RANGE_PATTERN}),
    AfterValidator(lambda text: _range(_checked_range(text))),
]


def _checked_prefix(text: str) -> str:
    if not re.match(CODE_PREFIX_PATTERN, text):
        raise ValueError("not the start of an ICD-10-CM code: a letter, then the code's next characters (E11.)")
    return text


def _checked_range(text: str) -> str:
    if not re.match(CODE_RANGE_PATTERN, text):
        raise ValueError("not a range of ICD-10-CM codes: two codes joined by a hyphen (E10-E13.9)")
    return text


class EncounterSearchRequest(BaseModel):
    """Criteria, all optional, each narrowing the search (AND); an empty body lists every filed encounter.

    Codes match the reported (accepted or added) codes of each encounter's latest filed version. A range runs
    from its first code through its last and every code under the last (E10-E13.9 takes E13.9 and nothing past
    it; E10-E13 takes all of E13). Service dates match the encounter's first date of service.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"code_prefix": "E11.", "service_from": "2026-01-01", "limit": 50}]},
    )

    code: CanonicalCode | None = Field(default=None, description="Exactly this code (any spelling: E119, e11.9).")
    code_prefix: CodePrefix | None = Field(default=None, description="Codes starting so: E11. (E11's children).")
    code_range: CodeRange | None = Field(default=None, description="First-last, e.g. E10-E13.9 (inclusive).")
    code_from: CanonicalCode | None = Field(default=None, description="A range's first code (with code_to).")
    code_to: CanonicalCode | None = Field(default=None, description="A range's last code, codes under it included.")
    patient_id: LineText200 | None = Field(default=None, description="The patient id the encounter was filed with.")
    service_from: date | None = Field(default=None, description="First service date on or after this day.")
    service_to: date | None = Field(default=None, description="First service date on or before this day.")
    coder: LineText100 | None = Field(default=None, description="The coder (API key name) who filed the version.")
    status: FilingStatusName | None = Field(default=None, description="filed (first version) or corrected.")
    limit: Annotated[int, Field(ge=1, le=200), JSON_INTEGER] = 50
    offset: Annotated[int, Field(ge=0, le=10_000_000), JSON_INTEGER] = 0


class EvidencePlaceOut(BaseModel):
    document: str = Field(description="The document (a note's id) the supporting words are in.")
    start: int
    end: int


class FiledCodeOut(BaseModel):
    code: str
    description: str | None = Field(description="The code's title in this server's code set; null if unknown.")
    decision: Literal["accepted", "added", "rejected"]
    sequence: int | None = Field(description="Place in the reporting order (1: principal / first-listed).")
    poa: Literal["Y", "N", "U", "W", "1"] | None
    evidence: list[EvidencePlaceOut]


class FiledEncounterOut(BaseModel):
    id: str = Field(description="This filed version's id.")
    encounter_id: str = Field(description="The encounter's id in the service (a reviewed note's id).")
    version: int
    status: FilingStatusName
    external_id: str | None
    patient_id: str | None
    service_start: date
    service_end: date | None
    setting: str
    coder: str
    model: str = Field(description="The model version whose suggestions were reviewed.")
    review_id: str | None
    filed_at: datetime
    codes: list[FiledCodeOut] = Field(description="Reported codes in reporting order, then rejected ones.")


class EncounterSearchPage(BaseModel):
    items: list[FiledEncounterOut]
    total: int = Field(
        description="The matching encounters (latest versions), not only this page; at most 10,000 (see total_capped)."
    )
    total_capped: bool = Field(
        default=False,
        description="True when more than 10,000 encounters match: the count stops there (pages beyond still work).",
    )
    limit: int
    offset: int
    warnings: list[str] = Field(
        default_factory=list, description="Why nothing can match, e.g. a range of codes that ends before it starts."
    )


FhirBundle = dict[str, Any]
