"""Encounters: several documents coded into one code set, queued for a coder, reviewed once per version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from service.deps import (
    CurrentKey,
    EngineDep,
    MetricsDep,
    ReleasesDep,
    RunnerDep,
    SessionDep,
    SettingsDep,
    require_role,
)
from service.encounter_schemas import (
    DocumentOut,
    EncounterDetail,
    EncounterInput,
    EncounterPage,
    EncounterReviewOut,
    EncounterSuggestionsOut,
    EncounterSummary,
)
from service.errors import BatchTooLargeError, InvalidReviewError, NoteNotFoundError
from service.filing import filed_encounter_review
from service.routers._responses import errors
from service.routers.reviews import check_decision
from service.routing import Utf8Route
from service.schemas import ID_PATTERN, CodePoaOut, NoteStatus, ReviewRequest
from service.store.encounter_models import EncounterRecord, EncounterReview
from service.store.encounter_repository import (
    EncounterRef,
    EncounterRepository,
    EncounterReviewRepository,
    StoredDocument,
)
from service.store.filing import file_encounter
from service.suggesting import ensure_note_fits
from suggest.encounter import code_encounter
from suggest.encounter_types import Encounter, EncounterDocument

__all__ = ["EncounterId", "router"]

router = APIRouter(
    prefix="/v1/encounters",
    tags=["encounters"],
    route_class=Utf8Route,
    dependencies=[Depends(require_role("coder"))],
    responses=errors(401, 403, 422),
)

EncounterId = Annotated[str, Path(pattern=ID_PATTERN, description="The id the service gave the encounter.")]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_.:-]{8,200}$",
        description="A retry with the same key returns the stored review instead of storing another.",
    ),
]


def _encounter(body: EncounterInput) -> Encounter:
    return Encounter(
        documents=tuple(
            EncounterDocument(document.document_id, document.type, document.text, document.date)
            for document in body.documents
        ),
        encounter_id=body.encounter_id,
        patient_id=body.patient_id,
        age=body.age,
        sex=body.sex,
        admission_date=body.admission_date,
        discharge_date=body.discharge_date,
        setting=body.setting,
    )


def review_out(review: EncounterReview) -> EncounterReviewOut:
    return EncounterReviewOut(
        id=review.id,
        encounter_id=review.encounter_id,
        version=review.version,
        coder=review.coder_name,
        model=review.model_id,
        accepted=review.codes_with("accepted"),
        rejected=review.codes_with("rejected"),
        added=review.codes_with("added"),
        sequence=review.sequence,
        poa=[CodePoaOut(code=code, poa=poa) for code, poa in review.poa],
        opened_at=review.opened_at,
        seconds_to_submit=review.seconds_to_submit,
        created_at=review.created_at,
    )


def encounter_detail(encounter: EncounterRecord) -> EncounterDetail:
    details = encounter.details
    return EncounterDetail(
        id=encounter.id,
        external_id=encounter.external_id,
        patient_id=encounter.patient_id,
        age=details.get("age"),
        sex=details.get("sex"),
        admission_date=details.get("admission_date"),
        discharge_date=details.get("discharge_date"),
        status="reviewed" if encounter.reviews else "pending",
        setting=encounter.setting,
        service_date=encounter.service_date,
        model=encounter.model_id,
        created_at=encounter.created_at,
        documents=[
            DocumentOut(
                document_id=document.document_id,
                type=document.doc_type,
                date=document.written_on,
                text=document.text,
                text_purged_at=document.text_purged_at,
            )
            for document in encounter.documents
        ],
        suggestions=EncounterSuggestionsOut.model_validate(encounter.suggestions),
        reviews=[review_out(review) for review in encounter.reviews],
    )


@router.post("", status_code=201, summary="Code an encounter and queue it for review", responses=errors(413, 503))
async def create_encounter(
    body: EncounterInput,
    key: CurrentKey,
    session: SessionDep,
    settings: SettingsDep,
    runner: RunnerDep,
    engine: EngineDep,
    releases: ReleasesDep,
    metrics: MetricsDep,
) -> EncounterDetail:
    """Code every document, merge them into the encounter's one code set (one code per condition, evidence
    from every document, one principal / first-listed diagnosis, POA from the admission documents) and store
    the encounter, documents and code set, as pending; answered once committed."""
    if len(body.documents) > settings.max_batch:
        raise BatchTooLargeError(
            f"The encounter has {len(body.documents)} documents; the limit is {settings.max_batch} (max_batch)."
        )
    for document in body.documents:  # before queueing: a refused encounter costs no engine time
        ensure_note_fits(document.text, settings.max_note_bytes)
    encounter = _encounter(body)
    # The release in force on the encounter's date of service (discharge date, else its latest document's).
    coder = releases.engine_for(engine, encounter.service_date)
    vocabulary = releases.vocabulary_for(encounter.service_date)
    result = await runner.run(
        lambda: code_encounter(
            coder,  # an Engine or a PooledEngine: both code documents
            encounter,
            max_documents=settings.max_batch,
            max_chars=settings.max_batch * settings.max_note_bytes,
            vocabulary=vocabulary,
        )
    )
    metrics.notes_suggested.inc(len(encounter.documents))
    metrics.suggestions_served.inc(len(result.suggestions))
    details = {
        name: value
        for name, value in (
            ("age", body.age),
            ("sex", body.sex),
            ("admission_date", body.admission_date and body.admission_date.isoformat()),
            ("discharge_date", body.discharge_date and body.discharge_date.isoformat()),
        )
        if value is not None
    }

    def store() -> EncounterDetail:
        stored = EncounterRepository(session).add(
            documents=[
                StoredDocument(document.document_id, document.type, document.date, document.text)
                for document in encounter.documents
            ],
            setting=result.setting,
            external_id=body.encounter_id,
            patient_id=body.patient_id,
            details=details,
            service_date=result.service_date,
            suggestions=result.to_dict(),
            creator=key,
        )
        return encounter_detail(stored)

    return await run_in_threadpool(store)


@router.get("", summary="List queued encounters (never their text nor patient ids)")
def list_encounters(
    session: SessionDep,
    status: NoteStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> EncounterPage:
    rows, total = EncounterRepository(session).page(status, limit, offset)
    items = [
        EncounterSummary(
            id=encounter.id,
            external_id=encounter.external_id,
            status="reviewed" if review_count else "pending",
            setting=encounter.setting,
            model=encounter.model_id,
            service_date=encounter.service_date,
            document_count=encounter.document_count,
            suggestion_count=encounter.suggestion_count,
            review_count=review_count,
            created_at=encounter.created_at,
        )
        for encounter, review_count in rows
    ]
    return EncounterPage(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/{encounter_id}", summary="One encounter: documents, code set and every review version", responses=errors(404)
)
def get_encounter(encounter_id: EncounterId, session: SessionDep, key: CurrentKey) -> EncounterDetail:
    """The encounter with its documents' text; every read is audited (``encounter.read``: who, when, which
    encounter) and is the moment the reader opened it (the review's time to submit counts from it)."""
    encounter = EncounterRepository(session).read(encounter_id, key)
    if encounter is None:
        raise NoteNotFoundError("No encounter has this id.")
    return encounter_detail(encounter)


@router.post(
    "/{encounter_id}/review",
    status_code=201,
    summary="Review an encounter's code set",
    responses={
        200: {"model": EncounterReviewOut, "description": "A retry: the review stored before."},
        **errors(404, 409),
    },
)
def review_encounter(
    encounter_id: EncounterId,
    review: ReviewRequest,
    key: CurrentKey,
    session: SessionDep,
    releases: ReleasesDep,
    metrics: MetricsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,  # type: ignore[assignment]
) -> EncounterReviewOut:
    """Store the coder's one code set for the encounter (accepted, rejected, added, in reporting order, with
    POA for inpatient encounters) as its next review version (201), with the seconds from opening to submitting."""
    encounter = EncounterRepository(session).get(encounter_id)
    if encounter is None:
        raise NoteNotFoundError("No encounter has this id.")
    if idempotency_key and review.review_id and idempotency_key != review.review_id:
        raise InvalidReviewError("The Idempotency-Key header and review_id differ; send one, or the same in both.")
    suggested = {item["code"] for item in encounter.suggestions["suggestions"]}
    vocabulary = releases.vocabulary_for(encounter.service_date)  # codes valid on the encounter's date of service
    decision = check_decision(review, suggested, vocabulary.codeset, inpatient=encounter.setting == "inpatient")
    stored, created = EncounterReviewRepository(session).add(
        EncounterRef(id=encounter.id, model_id=encounter.model_id),
        decision,
        key,
        idempotency_key=idempotency_key or review.review_id,
        review_id=review.review_id,
        on_stored=lambda stored_in, stored_review: file_encounter(
            stored_in, filed_encounter_review(encounter, decision, stored_review)
        ),
    )
    if created:
        metrics.reviews_stored.inc()
    else:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return review_out(stored)
