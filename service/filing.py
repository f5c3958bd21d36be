"""What a review files (:func:`service.store.filing.file_encounter`): a reviewed note as an encounter of one
document (the encounter's id is the note's id), or a reviewed encounter of several documents.

Each says what its review contributes: its dates, its setting, its codes in the coder's order with their POA
indicators, and where (document and offsets, never the words) the engine found each suggested code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from service.store.encounter_models import EncounterRecord, EncounterReview
from service.store.filing import EvidenceRef, FiledCodeIn, FiledEncounterIn
from service.store.models import Note, Review
from service.store.repositories import ReviewDecision

__all__ = ["filed_encounter_review", "filed_note_review"]


def _evidence(note: Note) -> dict[str, tuple[EvidenceRef, ...]]:
    """Each suggested code's evidence places in the note (offsets only: the words stay in the note)."""
    places: dict[str, tuple[EvidenceRef, ...]] = {}
    for item in note.suggestions.get("suggestions", []):
        places[item["code"]] = tuple(
            EvidenceRef(document=note.id, start=int(piece["start"]), end=int(piece["end"]))
            for piece in item.get("evidence", [])
        )
    return places


def _service_date(encounter: dict[str, Any], note: Note) -> date:
    """The date of service the caller gave, else the day the note was queued."""
    given = encounter.get("encounter_date")
    return date.fromisoformat(given) if given else note.created_at.date()


def _filed_codes(decision: ReviewDecision, evidence: dict[str, tuple[EvidenceRef, ...]]) -> tuple[FiledCodeIn, ...]:
    """The review's codes in the coder's reporting order, with POA, and the evidence places of suggested ones."""
    places = {code: place for place, code in enumerate(decision.sequence, start=1)}
    poa = dict(decision.poa)
    return tuple(
        FiledCodeIn(
            code=code,
            decision=kind,
            sequence=places.get(code) if kind != "rejected" else None,
            poa=poa.get(code) if kind != "rejected" else None,
            evidence=evidence.get(code, ()),
        )
        for code, kind in decision.rows()
    )


def filed_note_review(note: Note, decision: ReviewDecision, review: Review) -> FiledEncounterIn:
    """What filing stores for ``review``, the newest review of ``note``."""
    encounter = note.encounter or {}
    codes = _filed_codes(decision, _evidence(note))
    return FiledEncounterIn(
        encounter_id=note.id,
        external_id=encounter.get("encounter_id") or note.external_id,
        patient_age=encounter.get("patient_age"),
        patient_sex=encounter.get("patient_sex"),
        service_start=_service_date(encounter, note),
        setting=note.setting,
        coder_name=review.coder_name,
        coder_key_id=review.coder_key_id,
        model_id=review.model_id,
        review_id=review.id,
        filed_at=review.created_at,
        codes=codes,
        details={"source": "note review", "review_version": review.version},
    )


def _encounter_evidence(encounter: EncounterRecord) -> dict[str, tuple[EvidenceRef, ...]]:
    """Each suggested code's evidence places across the encounter's documents (document id and offsets)."""
    return {
        item["code"]: tuple(
            EvidenceRef(document=str(piece["document_id"]), start=int(piece["start"]), end=int(piece["end"]))
            for piece in item.get("evidence", [])
        )
        for item in encounter.suggestions.get("suggestions", [])
    }


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def filed_encounter_review(
    encounter: EncounterRecord, decision: ReviewDecision, review: EncounterReview
) -> FiledEncounterIn:
    """What filing stores for ``review``, the newest review of a multi-document ``encounter``: the stay from its
    admission (else its date of service) to its discharge date."""
    details = encounter.details or {}
    end = _day(details.get("discharge_date")) or encounter.service_date
    start = _day(details.get("admission_date")) or end or encounter.created_at.date()
    return FiledEncounterIn(
        encounter_id=encounter.id,
        external_id=encounter.external_id,
        patient_id=encounter.patient_id,
        patient_age=details.get("age"),
        patient_sex=details.get("sex"),
        service_start=start,
        service_end=end if end is not None and end >= start else None,
        setting=encounter.setting,
        coder_name=review.coder_name,
        coder_key_id=review.coder_key_id,
        model_id=review.model_id,
        review_id=review.id,
        filed_at=review.created_at,
        codes=_filed_codes(decision, _encounter_evidence(encounter)),
        details={"source": "encounter review", "review_version": review.version, "documents": encounter.document_count},
    )
