"""Filed encounters: search them (POST, so patient ids stay out of URLs and logs) and export them as FHIR.

Every route reads PHI (patient ids, codes, the note's words as evidence): each answer is audited with who asked
and which kinds of criteria were used, never their values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.deps import CurrentKey, SessionDep, VocabularyDep, require_role
from service.errors import FiledEncounterNotFoundError
from service.export.evidence import note_words
from service.export.fhir import encounter_bundle, search_bundle
from service.filed_schemas import (
    EncounterSearchPage,
    EncounterSearchRequest,
    EvidencePlaceOut,
    FiledCodeOut,
    FiledEncounterOut,
)
from service.routers._responses import errors
from service.routing import Utf8Route
from service.schemas import ID_PATTERN
from service.security import Principal
from service.store.database import write_transaction
from service.store.filed_search import (
    CODE_RANGE_END,
    FiledRecord,
    FiledSearch,
    FiledSearchPage,
    load_filed,
    search_filed,
)
from service.store.filing import FiledEncounter
from service.store.repositories import AuditRepository
from vocab.codeset import CodeSet

__all__ = ["describer", "filed_encounter_out", "router", "search_criteria"]

router = APIRouter(
    prefix="/v1/encounters",
    tags=["filed encounters"],
    route_class=Utf8Route,
    dependencies=[Depends(require_role("coder"))],
    responses=errors(401, 403, 422),
)

EncounterId = Annotated[str, Path(pattern=ID_PATTERN, description="The encounter's id (a reviewed note's id).")]


def search_criteria(request: EncounterSearchRequest) -> tuple[FiledSearch, list[str]]:
    """The store's criteria, and why nothing can match when the criteria exclude each other (a range that ends
    before it starts): such a search answers an empty page with that warning, rather than an error, since it is
    a well-formed question whose answer is "none". A range given both ways (code_range and code_from / code_to)
    is their intersection, as every criterion narrows the search."""
    froms = [code for code in (request.code_from,) if code is not None]
    tos = [code for code in (request.code_to,) if code is not None]
    if request.code_range is not None:
        first, last = request.code_range.split("-")
        froms.append(first)
        tos.append(last)
    code_from = max(froms) if froms else None
    code_to = min(tos, key=lambda code: code + CODE_RANGE_END) if tos else None
    warnings = []
    if code_from is not None and code_to is not None and code_from >= code_to + CODE_RANGE_END:
        warnings.append("The range of codes ends before it starts, so no code can match: put the lower code first.")
    if request.service_from and request.service_to and request.service_from > request.service_to:
        warnings.append("service_to is before service_from, so no service date can match.")
    criteria = FiledSearch(
        code=request.code,
        code_prefix=request.code_prefix,
        code_from=code_from,
        code_to=code_to,
        patient_id=request.patient_id,
        service_from=request.service_from,
        service_to=request.service_to,
        coder=request.coder,
        status=request.status,
    )
    return criteria, warnings


def _description(codeset: CodeSet, code: str) -> str | None:
    known = codeset.get(code)
    return known.description if known else None


def describer(codeset: CodeSet) -> Callable[[str], str | None]:
    return lambda code: _description(codeset, code)


def filed_encounter_out(filed: FiledRecord, codeset: CodeSet) -> FiledEncounterOut:
    return FiledEncounterOut(
        id=filed.id,
        encounter_id=filed.encounter_id,
        version=filed.version,
        status=filed.status,
        external_id=filed.external_id,
        patient_id=filed.patient_id,
        service_start=filed.service_start,
        service_end=filed.service_end,
        setting=filed.setting,
        coder=filed.coder_name,
        model=filed.model_id,
        review_id=filed.review_id,
        filed_at=filed.filed_at,
        codes=[
            FiledCodeOut(
                code=code.code,
                description=_description(codeset, code.code),
                decision=code.decision,  # type: ignore[arg-type]
                sequence=code.sequence,
                poa=code.poa,  # type: ignore[arg-type]
                evidence=[EvidencePlaceOut(**place) for place in code.evidence],
            )
            for code in filed.codes
        ],
    )


def _audit(session: Session, key: Principal, action: str, target: str | None, details: dict[str, Any]) -> None:
    with write_transaction(session):
        AuditRepository(session).record(key.name, action, actor_key_id=key.key_id, target=target, details=details)


def _search(session: Session, request: EncounterSearchRequest) -> tuple[FiledSearch, FiledSearchPage, list[str]]:
    criteria, warnings = search_criteria(request)
    if warnings:
        return criteria, FiledSearchPage(items=[], total=0), warnings
    return criteria, search_filed(session, criteria, limit=request.limit, offset=request.offset), warnings


@router.post("/search", summary="Search filed encounters")
def search_encounters(
    request: EncounterSearchRequest, key: CurrentKey, session: SessionDep, vocabulary: VocabularyDep
) -> EncounterSearchPage:
    """Filed encounters (each one's latest version) matching every criterion given, newest service date first."""
    criteria, page, warnings = _search(session, request)
    out = [filed_encounter_out(filed, vocabulary.codeset) for filed in page.items]
    _audit(session, key, "encounters.searched", None, {"criteria": criteria.used(), "total": page.total})
    return EncounterSearchPage(
        items=out,
        total=page.total,
        total_capped=page.total_capped,
        limit=request.limit,
        offset=request.offset,
        warnings=warnings,
    )


@router.post("/search/fhir", summary="Search filed encounters, answered as a FHIR R4B searchset Bundle")
def search_encounters_fhir(
    request: EncounterSearchRequest, key: CurrentKey, session: SessionDep, vocabulary: VocabularyDep
) -> dict[str, Any]:
    """The same search, one page of it as a Bundle: the Encounters match, their Conditions and Claims included."""
    criteria, page, warnings = _search(session, request)
    words = note_words(session)
    total = None if page.total_capped else page.total  # FHIR: a total is exact, or absent
    bundle = search_bundle(page.items, total, describer(vocabulary.codeset), words, warnings=warnings)
    _audit(
        session,
        key,
        "encounters.exported",
        None,
        {"format": "fhir", "criteria": criteria.used(), "encounters": len(page.items), "evidence_read": words.read},
    )
    return bundle


@router.get("/{encounter_id}/fhir", summary="A filed encounter as a FHIR R4B Bundle", responses=errors(404))
def encounter_fhir(
    encounter_id: EncounterId, key: CurrentKey, session: SessionDep, vocabulary: VocabularyDep
) -> dict[str, Any]:
    """The encounter's latest filed version: Encounter, Conditions (rejected codes refuted), a draft Claim."""
    latest = session.scalar(
        select(FiledEncounter.id).where(FiledEncounter.encounter_id == encounter_id, FiledEncounter.current)
    )
    if latest is None:
        raise FiledEncounterNotFoundError("No filed encounter has this id (is it reviewed?).")
    (filed,) = load_filed(session, [latest])
    words = note_words(session)
    bundle = encounter_bundle(filed, describer(vocabulary.codeset), words)
    _audit(
        session,
        key,
        "encounter.exported",
        encounter_id,
        {"format": "fhir", "version": filed.version, "evidence_read": words.read},
    )
    return bundle
