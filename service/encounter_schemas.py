"""The encounter routes' request and response bodies (pydantic), apart from the engine's records.

``EncounterSuggestionsOut`` mirrors :meth:`suggest.encounter_types.EncounterSuggestions.to_dict` field for
field; every evidence piece names its document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas import (
    JSON_INTEGER,
    CodePoaOut,
    EvidenceOut,
    LineText200,
    NoteStatus,
    NoteText,
    SettingName,
    SuggestionOut,
)
from suggest.encounter_types import DOCUMENT_TYPES

__all__ = [
    "DocumentEvidenceOut",
    "DocumentIn",
    "DocumentOut",
    "EncounterDetail",
    "EncounterExclusionOut",
    "EncounterInput",
    "EncounterPage",
    "EncounterReviewOut",
    "EncounterSuggestionOut",
    "EncounterSuggestionsOut",
    "EncounterSummary",
]

# A calendar day; the alias lets a field be named ``date`` (pydantic reads annotations in the class namespace).
Day = date
DocumentTypeName = Literal[DOCUMENT_TYPES]  # type: ignore[valid-type]
DocumentId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]{1,200}$")]
EXAMPLE_ENCOUNTER: dict[str, Any] = {
    "encounter_id": "adm-0001",
    "setting": "inpatient",
    "admission_date": "2026-03-01",
    "discharge_date": "2026-03-05",
    "documents": [
        {
            "document_id": "hp-1",
            "type": "history_and_physical",
            "date": "2026-03-01",
            "text": "ASSESSMENT AND PLAN:\n1. Community-acquired pneumonia.\n2. Possible pulmonary embolism.",
        },
        {
            "document_id": "ds-1",
            "type": "discharge_summary",
            "date": "2026-03-05",
            "text": "DISCHARGE DIAGNOSES:\n1. Pneumonia due to Streptococcus pneumoniae.\n"
            "Pulmonary embolism was ruled out.",
        },
    ],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentIn(_Strict):
    """One document of the chart: refused with 422 unless it has something to code and no control characters."""

    document_id: DocumentId = Field(description="The caller's id of the document, unique within the encounter.")
    type: DocumentTypeName = Field(description="What the document is; it decides whose word wins.")
    date: Day | None = Field(default=None, description="When it was written (YYYY-MM-DD).")
    text: NoteText = Field(description="The document, as UTF-8 text (at most max_note_bytes bytes).")


class EncounterInput(_Strict):
    """The documents of one encounter and what is known about it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_ENCOUNTER]})

    documents: list[DocumentIn] = Field(min_length=1, description="At most max_batch documents (413 beyond).")
    encounter_id: LineText200 | None = Field(default=None, description="The caller's id, echoed back.")
    patient_id: LineText200 | None = Field(default=None, description="Never in a URL or a log.")
    age: Annotated[int, Field(ge=0, le=130), JSON_INTEGER] | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    admission_date: date | None = None
    discharge_date: date | None = None
    setting: SettingName | None = Field(
        default=None,
        description="Default: inpatient for an admission (an admission date, an H&P, a progress note or a "
        "discharge summary), else outpatient.",
    )


class DocumentEvidenceOut(EvidenceOut):
    document_id: str = Field(description="The document whose text start:end are offsets into.")


class EncounterSuggestionOut(SuggestionOut):
    evidence: list[DocumentEvidenceOut]  # type: ignore[assignment]
    documents: list[str] = Field(description="The documents that support the code, in the order written.")


class EncounterExclusionOut(BaseModel):
    code: str
    reason: str
    evidence: list[DocumentEvidenceOut]


class DocumentRef(BaseModel):
    document_id: str
    type: DocumentTypeName
    date: Day | None


class EncounterSuggestionsOut(BaseModel):
    """The engine's one code set for the encounter (rank 1: the principal / first-listed diagnosis)."""

    encounter_id: str | None
    code_set: str
    model: str
    setting: SettingName
    service_date: date | None = Field(description="The date the code-set release is chosen by.")
    documents: list[DocumentRef]
    suggestions: list[EncounterSuggestionOut]
    excluded: list[EncounterExclusionOut]


class EncounterSummary(BaseModel):
    """A queued encounter in a list: never its text, nor its patient id."""

    id: str
    external_id: str | None
    status: NoteStatus
    setting: SettingName
    model: str
    service_date: date | None
    document_count: int
    suggestion_count: int
    review_count: int
    created_at: datetime


class EncounterPage(BaseModel):
    items: list[EncounterSummary]
    total: int
    limit: int
    offset: int


class DocumentOut(BaseModel):
    document_id: str
    type: DocumentTypeName
    date: Day | None
    text: str | None = Field(description="The document; null once purged by the retention setting.")
    text_purged_at: datetime | None


class EncounterReviewOut(BaseModel):
    id: str
    encounter_id: str
    version: int = Field(description="1 for the first review; a correction adds a version.")
    coder: str
    model: str
    accepted: list[str]
    rejected: list[str]
    added: list[str]
    sequence: list[str]
    poa: list[CodePoaOut]
    opened_at: datetime | None = Field(description="When the coder opened the encounter (its latest read).")
    seconds_to_submit: float | None = Field(description="Seconds from opening the encounter to submitting.")
    created_at: datetime


class EncounterDetail(BaseModel):
    id: str
    external_id: str | None
    patient_id: str | None
    age: int | None
    sex: str | None
    admission_date: date | None
    discharge_date: date | None
    status: NoteStatus
    setting: SettingName
    service_date: date | None
    model: str
    created_at: datetime
    documents: list[DocumentOut]
    suggestions: EncounterSuggestionsOut
    reviews: list[EncounterReviewOut]
