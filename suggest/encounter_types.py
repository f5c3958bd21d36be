"""An encounter's records: its documents and metadata in, one code set with evidence across documents out.

Frozen dataclasses, plain data, as :mod:`suggest.types`; ``EncounterSuggestions.to_dict`` is the documented
JSON of an encounter (CLI, batch, Spark, HTTP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

from suggest.types import Evidence, Flag, HccCategory, PoaIndicator, Role, Setting

__all__ = [
    "ADMISSION_DOCUMENTS",
    "DOCUMENT_TYPES",
    "DocumentEvidence",
    "DocumentType",
    "Encounter",
    "EncounterDocument",
    "EncounterExclusion",
    "EncounterSuggestion",
    "EncounterSuggestions",
]

DocumentType = Literal[
    "history_and_physical",
    "emergency_department",
    "progress_note",
    "consult_note",
    "operative_note",
    "discharge_summary",
    "provider_note",
    "nurse_intake",
]
DOCUMENT_TYPES: tuple[DocumentType, ...] = get_args(DocumentType)
# The documents written at admission: present-on-admission indicators come from them (Appendix I: conditions
# present at the time of the order for inpatient admission, the emergency department's included).
ADMISSION_DOCUMENTS: frozenset[DocumentType] = frozenset({"history_and_physical", "emergency_department"})


@dataclass(frozen=True, slots=True)
class EncounterDocument:
    """One document of the chart: its id, type, date of writing and text (never log it)."""

    document_id: str
    type: DocumentType
    text: str
    date: date | None = None


@dataclass(frozen=True, slots=True)
class Encounter:
    """The documents of one encounter and what is known about it (every field but ``documents`` optional)."""

    documents: tuple[EncounterDocument, ...]
    encounter_id: str | None = None
    patient_id: str | None = None
    age: int | None = None
    sex: str | None = None
    admission_date: date | None = None
    discharge_date: date | None = None
    setting: Setting | None = None

    @property
    def service_date(self) -> date | None:
        """The encounter's date of service: the discharge date, else the latest document's date, else the
        admission date. The code-set release that codes the encounter is the one in effect on this date."""
        dated = [document.date for document in self.documents if document.date is not None]
        return self.discharge_date or (max(dated) if dated else None) or self.admission_date

    @property
    def resolved_setting(self) -> Setting:
        """The setting given, else inpatient when the chart is an admission's (an admission date, an H&P, a
        progress note or a discharge summary), else outpatient."""
        if self.setting is not None:
            return self.setting
        inpatient_types = {"history_and_physical", "progress_note", "discharge_summary"}
        admitted = self.admission_date is not None or any(doc.type in inpatient_types for doc in self.documents)
        return "inpatient" if admitted else "outpatient"


@dataclass(frozen=True, slots=True)
class DocumentEvidence:
    """Words in one document of the encounter, by character offsets into that document's text as received."""

    document_id: str
    evidence: Evidence

    def to_dict(self) -> dict[str, Any]:
        return {"document_id": self.document_id, **self.evidence.to_dict()}


@dataclass(frozen=True, slots=True)
class EncounterSuggestion:
    """One code of the encounter in reporting order (rank 1: principal / first-listed), with the evidence of
    every document that supports it, and the documents it came from."""

    rank: int
    code: str
    description: str
    score: float
    billable: bool
    evidence: tuple[DocumentEvidence, ...]
    flags: tuple[Flag, ...]
    rationale: str
    role: Role
    poa: PoaIndicator | None
    proposed: bool
    replaces: tuple[str, ...]
    documents: tuple[str, ...]
    hcc: tuple[HccCategory, ...] = ()  # CMS-HCC categories, as a note's suggestion has them

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "code": self.code,
            "description": self.description,
            "score": self.score,
            "billable": self.billable,
            "evidence": [piece.to_dict() for piece in self.evidence],
            "flags": [flag.to_dict() for flag in self.flags],
            "rationale": self.rationale,
            "role": self.role,
            "poa": self.poa,
            "proposed": self.proposed,
            "replaces": list(self.replaces),
            "hcc": [category.to_dict() for category in self.hcc],
            "documents": list(self.documents),
        }


@dataclass(frozen=True, slots=True)
class EncounterExclusion:
    code: str
    reason: str
    evidence: tuple[DocumentEvidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "reason": self.reason, "evidence": [piece.to_dict() for piece in self.evidence]}


@dataclass(frozen=True, slots=True)
class EncounterSuggestions:
    """The encounter's one code set. ``service_date``: the date the code-set release is chosen by."""

    encounter_id: str | None
    code_set: str
    model: str
    setting: Setting
    service_date: date | None
    documents: tuple[tuple[str, DocumentType, date | None], ...]
    suggestions: tuple[EncounterSuggestion, ...]
    excluded: tuple[EncounterExclusion, ...]

    @property
    def principal(self) -> EncounterSuggestion | None:
        lead = self.suggestions[0] if self.suggestions else None
        return lead if lead is not None and lead.role != "secondary" else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "encounter_id": self.encounter_id,
            "code_set": self.code_set,
            "model": self.model,
            "setting": self.setting,
            "service_date": None if self.service_date is None else self.service_date.isoformat(),
            "documents": [
                {"document_id": document_id, "type": kind, "date": None if when is None else when.isoformat()}
                for document_id, kind, when in self.documents
            ],
            "suggestions": [suggestion.to_dict() for suggestion in self.suggestions],
            "excluded": [exclusion.to_dict() for exclusion in self.excluded],
        }
