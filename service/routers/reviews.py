"""POST /v1/notes/{id}/review: a coder's decisions on a note's suggestions, stored as a new version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from service.deps import CurrentKey, MetricsDep, ReleasesDep, SessionDep, get_current_key
from service.errors import InvalidReviewError, NoteNotFoundError, ReviewCodeError
from service.filing import filed_note_review
from service.releases import service_date
from service.routers._responses import errors
from service.routers.notes import NoteId, review_out
from service.routing import Utf8Route
from service.schemas import ReviewOut, ReviewRequest
from service.store.filing import file_encounter
from service.store.repositories import NoteRef, NoteRepository, ReviewDecision, ReviewRepository
from vocab.codeset import CodeSet
from vocab.errors import InvalidCodeError, UnknownCodeError

__all__ = ["check_decision", "router"]

router = APIRouter(
    prefix="/v1/notes",
    tags=["reviews"],
    route_class=Utf8Route,
    dependencies=[Depends(get_current_key)],
    responses=errors(401, 404, 409, 422),
)

# Typed ``str`` (default None) rather than ``str | None``: a header is absent or text, and an optional type
# would put "null" into the schema, which an HTTP header cannot carry.
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_.:-]{8,200}$",
        description="A retry with the same key returns the stored review instead of storing another.",
    ),
]


@router.post(
    "/{note_id}/review",
    status_code=201,
    summary="Review a note's suggestions",
    responses={200: {"model": ReviewOut, "description": "A retry: the review stored before, unchanged."}},
)
def review_note(
    note_id: NoteId,
    review: ReviewRequest,
    key: CurrentKey,
    session: SessionDep,
    releases: ReleasesDep,
    metrics: MetricsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,  # type: ignore[assignment]
) -> ReviewOut:
    """Store the coder's accepted, rejected and added codes as the note's next review version (201).

    The coder is the API key's owner; the model is the one that made the note's suggestions. With an
    ``Idempotency-Key`` header (or ``review_id``) a retry answers 200 with the review stored the first time.
    The review is filed with it (the note as an encounter of one document; a later review files a corrected
    version), and the answer is sent only after both are committed.
    """
    note = NoteRepository(session).get(note_id)
    if note is None:
        raise NoteNotFoundError("No note has this id.")
    if idempotency_key and review.review_id and idempotency_key != review.review_id:
        raise InvalidReviewError("The Idempotency-Key header and review_id differ; send one, or the same in both.")
    suggested = {item["code"] for item in note.suggestions["suggestions"]}
    # The coder's codes must be valid in the release in force on the note's date of service (422 naming it).
    vocabulary = releases.vocabulary_for(service_date(note.encounter))
    decision = check_decision(review, suggested, vocabulary.codeset, inpatient=note.setting == "inpatient")
    stored, created = ReviewRepository(session).add(
        NoteRef(id=note.id, model_id=note.model_id),
        decision,
        key,
        idempotency_key=idempotency_key or review.review_id,
        review_id=review.review_id,
        on_stored=lambda session, stored: file_encounter(session, filed_note_review(note, decision, stored)),
    )
    if created:
        metrics.reviews_stored.inc()
    else:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return review_out(stored)


def _canonical(codes: list[str], field: str, codeset: CodeSet) -> tuple[str, ...]:
    """Codes in the code set's spelling, duplicates dropped; a 422 naming the first bad one."""
    canonical: dict[str, None] = {}
    for text in codes:
        try:
            canonical[codeset.resolve(text).code] = None
        except InvalidCodeError:  # the schema's pattern lets none through; never quote free text back
            raise ReviewCodeError(
                f"A value in {field!r} is not shaped like an ICD-10-CM code.", code="", field=field
            ) from None
        except UnknownCodeError as error:
            raise ReviewCodeError(f"{error} (in {field!r})", code=text, field=field) from None
    return tuple(canonical)


def _reported_once(codes: list[str], field: str, reported: set[str], codeset: CodeSet) -> tuple[str, ...]:
    """Codes of ``field`` in canonical form: each one accepted or added, and named once."""
    canonical = _canonical(codes, field, codeset)
    if len(canonical) != len(codes):
        seen: set[str] = set()
        for text in codes:
            code = codeset.resolve(text).code
            if code in seen:
                raise ReviewCodeError(f"{code} is listed twice in {field!r}.", code=code, field=field)
            seen.add(code)
    for code in canonical:
        if code not in reported:
            raise ReviewCodeError(
                f"{code} is in {field!r} but neither accepted nor added; accept or add it first.",
                code=code,
                field=field,
            )
    return canonical


def _poa(
    review: ReviewRequest, reported: set[str], codeset: CodeSet, *, inpatient: bool
) -> tuple[tuple[str, str], ...]:
    if review.poa and not inpatient:
        raise InvalidReviewError("POA indicators are reported for inpatient notes only; this note is outpatient.")
    codes = _reported_once([entry.code for entry in review.poa], "poa", reported, codeset)
    return tuple(zip(codes, (entry.poa for entry in review.poa), strict=True))


def check_decision(
    review: ReviewRequest, suggested: set[str], codeset: CodeSet, *, inpatient: bool = True
) -> ReviewDecision:
    """Accepted and rejected codes must be among the suggestions; added codes must not be; none twice.

    The reporting order (``sequence``) and the POA indicators may name only accepted or added codes, each once;
    POA indicators are for inpatient notes only (Official Guidelines, Appendix I).
    """
    accepted = _canonical(review.accepted, "accepted", codeset)
    added = _canonical(review.added, "added", codeset)
    reported = set(accepted) | set(added)
    decision = ReviewDecision(
        accepted=accepted,
        rejected=_canonical(review.rejected, "rejected", codeset),
        added=added,
        sequence=_reported_once(review.sequence, "sequence", reported, codeset),
        poa=_poa(review, reported, codeset, inpatient=inpatient),
    )
    for field, codes in (("accepted", decision.accepted), ("rejected", decision.rejected)):
        for code in codes:
            if code not in suggested:
                raise ReviewCodeError(
                    f"{code} was not suggested for this note; put it under 'added'.", code=code, field=field
                )
    for code in decision.added:
        if code in suggested:
            raise ReviewCodeError(
                f"{code} was suggested for this note; accept it instead of adding it.", code=code, field="added"
            )
    both = set(decision.accepted) & set(decision.rejected)
    if both:
        code = sorted(both)[0]
        raise ReviewCodeError(f"{code} is both accepted and rejected.", code=code, field="rejected")
    return decision
