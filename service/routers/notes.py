"""The work queue: notes stored with their suggestions for a coder to review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from service.deps import (
    CurrentKey,
    EngineDep,
    MetricsDep,
    ReleasesDep,
    RunnerDep,
    SessionDep,
    SettingsDep,
    get_current_key,
)
from service.errors import NoteNotFoundError
from service.routers._responses import errors
from service.routing import Utf8Route
from service.schemas import (
    ID_PATTERN,
    CodePoaOut,
    NoteDetail,
    NoteInput,
    NotePage,
    NoteSummary,
    QueueStatus,
    ReviewOut,
    suggestions_out,
)
from service.store.models import Note, Review
from service.store.repositories import NoteRepository
from service.suggesting import suggest_one

__all__ = ["NoteId", "note_detail", "review_out", "router"]

router = APIRouter(
    prefix="/v1/notes",
    tags=["notes"],
    route_class=Utf8Route,
    dependencies=[Depends(get_current_key)],
    responses=errors(401, 422),
)

NoteId = Annotated[str, Path(pattern=ID_PATTERN, description="The id the service gave the note.")]


def review_out(review: Review) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        note_id=review.note_id,
        version=review.version,
        coder=review.coder_name,
        model=review.model_id,
        accepted=review.codes_with("accepted"),
        rejected=review.codes_with("rejected"),
        added=review.codes_with("added"),
        sequence=review.sequence,
        poa=[CodePoaOut(code=code, poa=poa) for code, poa in review.poa],
        created_at=review.created_at,
    )


def note_detail(note: Note) -> NoteDetail:
    return NoteDetail(
        id=note.id,
        external_id=note.external_id,
        status="reviewed" if note.reviews else "pending",
        setting=note.setting,
        encounter=note.encounter,  # type: ignore[arg-type]
        model=note.model_id,
        created_at=note.created_at,
        text=note.text,
        text_purged_at=note.text_purged_at,
        suggestions=suggestions_out(note.suggestions),
        reviews=[review_out(review) for review in note.reviews],
    )


@router.post("", status_code=201, summary="Queue a note for review", responses=errors(413, 503))
async def create_note(
    note: NoteInput,
    key: CurrentKey,
    session: SessionDep,
    settings: SettingsDep,
    runner: RunnerDep,
    engine: EngineDep,
    metrics: MetricsDep,
    releases: ReleasesDep,
) -> NoteDetail:
    """Code the note and store it, text and suggestions, as pending; answered once committed. The encounter's
    date of service (``discharge_date``, else ``encounter_date``) picks the ICD-10-CM release."""
    result = await suggest_one(runner, engine, metrics, note, settings.max_note_bytes, releases)
    encounter = note.encounter.model_dump(mode="json", exclude_none=True) if note.encounter else None

    def store() -> NoteDetail:
        stored = NoteRepository(session).add(
            text=note.text,
            setting=note.setting,
            external_id=note.note_id,
            encounter=encounter,
            suggestions=result.to_dict(),
            created_by=key.key_id,
            actor=key.name,
        )
        return note_detail(stored)

    return await run_in_threadpool(store)


@router.get("", summary="List queued notes (never their text)")
def list_notes(
    session: SessionDep,
    status: QueueStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> NotePage:
    rows, total = NoteRepository(session).page(status, limit, offset)
    items = [
        NoteSummary(
            id=note.id,
            external_id=note.external_id,
            status="reviewed" if review_count else "query_open" if open_queries else "pending",
            setting=note.setting,
            model=note.model_id,
            suggestion_count=note.suggestion_count,
            review_count=review_count,
            open_queries=open_queries,
            created_at=note.created_at,
        )
        for note, review_count, open_queries in rows
    ]
    return NotePage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{note_id}", summary="One note: text, suggestions and every review version", responses=errors(404))
def get_note(note_id: NoteId, session: SessionDep, key: CurrentKey) -> NoteDetail:
    """The note with its text; every read is audited (``note.read``: who, when, which note)."""
    note = NoteRepository(session).read(note_id, key)
    if note is None:
        raise NoteNotFoundError("No note has this id.")
    return note_detail(note)
