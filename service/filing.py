"""A reviewed note, filed as an encounter of one document (the encounter's id is the note's id).

The per-encounter review files through the same :func:`service.store.filing.file_encounter`; this module only
says what a single note's review contributes: its dates, its setting, its codes in the coder's order with their
POA indicators, and where in the note the engine found each suggested code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from service.store.filing import EvidenceRef, FiledCodeIn, FiledEncounterIn
from service.store.models import Note, Review
from service.store.repositories import ReviewDecision

__all__ = ["filed_note_review"]


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


def filed_note_review(note: Note, decision: ReviewDecision, review: Review) -> FiledEncounterIn:
    """What filing stores for ``review``, the newest review of ``note``."""
    encounter = note.encounter or {}
    evidence = _evidence(note)
    places = {code: place for place, code in enumerate(decision.sequence, start=1)}
    poa = dict(decision.poa)
    codes = tuple(
        FiledCodeIn(
            code=code,
            decision=kind,
            sequence=places.get(code) if kind != "rejected" else None,
            poa=poa.get(code) if kind != "rejected" else None,
            evidence=evidence.get(code, ()),
        )
        for code, kind in decision.rows()
    )
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
