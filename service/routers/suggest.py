"""POST /v1/suggest and /v1/suggest/batch: notes in, ranked ICD-10-CM codes with evidence out."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.deps import EngineDep, MetricsDep, ReleasesDep, RunnerDep, SettingsDep, get_current_key
from service.errors import BatchTooLargeError
from service.handlers import error_body
from service.routers._responses import errors
from service.routing import Utf8Route
from service.schemas import (
    BatchItemOut,
    BatchSuggestRequest,
    BatchSuggestResponse,
    ErrorResponse,
    NoteInput,
    SuggestionsOut,
    suggestions_out,
)
from service.suggesting import suggest_many, suggest_one

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/suggest",
    tags=["suggest"],
    route_class=Utf8Route,
    dependencies=[Depends(get_current_key)],
    responses=errors(401, 413, 422, 503),
)


@router.post("", summary="Suggest codes for one note")
async def suggest_note(
    note: NoteInput,
    settings: SettingsDep,
    runner: RunnerDep,
    engine: EngineDep,
    metrics: MetricsDep,
    releases: ReleasesDep,
) -> SuggestionsOut:
    """Code one note; nothing is stored. The encounter's ``discharge_date`` (else ``encounter_date``) picks the
    ICD-10-CM release in force that day; the answer's ``code_set`` names it."""
    result = await suggest_one(runner, engine, metrics, note, settings.max_note_bytes, releases)
    return suggestions_out(result)


@router.post("/batch", summary="Suggest codes for several notes")
async def suggest_batch(
    batch: BatchSuggestRequest,
    settings: SettingsDep,
    runner: RunnerDep,
    engine: EngineDep,
    metrics: MetricsDep,
    releases: ReleasesDep,
) -> BatchSuggestResponse:
    """Code up to ``max_batch`` notes (413 beyond). A note that cannot be coded gets an ``error`` entry
    (its status would have been 413 or 422) and the others are still coded; the whole batch shares the
    request timeout."""
    if len(batch.notes) > settings.max_batch:
        raise BatchTooLargeError(
            f"The batch holds {len(batch.notes)} notes; the limit is {settings.max_batch}. Split it."
        )
    outcomes = await suggest_many(runner, engine, metrics, batch.notes, settings.max_note_bytes, releases)
    items = []
    for index, (note, outcome) in enumerate(zip(batch.notes, outcomes, strict=True)):
        if isinstance(outcome, Exception):
            item = BatchItemOut(index=index, note_id=note.note_id, error=ErrorResponse(**error_body(outcome)))
        else:
            item = BatchItemOut(index=index, note_id=note.note_id, result=suggestions_out(outcome))
        items.append(item)
    return BatchSuggestResponse(results=items)
