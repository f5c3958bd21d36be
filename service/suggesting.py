"""Coding notes for the routes: the size check, the engine call under the timeout, the counters."""

from __future__ import annotations

import time

from service.engine_runner import EngineRunner
from service.errors import EngineTimeoutError, NoteTooLargeForServiceError
from service.metrics import Metrics
from service.releases import ServiceReleases, service_date
from service.schemas import BatchNote
from suggest.engine_protocol import SuggestionEngine
from suggest.errors import NoteError
from suggest.types import NoteSuggestions

__all__ = ["BatchOutcome", "ensure_note_fits", "suggest_many", "suggest_one"]

BatchOutcome = NoteSuggestions | Exception


def ensure_note_fits(text: str, max_bytes: int) -> None:
    size = len(text.encode("utf-8"))  # the schema has refused unencodable text already
    if size > max_bytes:
        raise NoteTooLargeForServiceError(
            f"The note is {size:,} bytes of UTF-8; the limit is {max_bytes:,}. Split it into smaller notes."
        )


def _suggest(
    engine: SuggestionEngine, note: BatchNote, max_bytes: int, releases: ServiceReleases | None = None
) -> NoteSuggestions:
    """The note coded by ``engine``, or by the engine of the release of its date of service (``releases``)."""
    ensure_note_fits(note.text, max_bytes)
    if releases is not None:
        day = service_date(note.encounter)
        return releases.suggest(engine, note.text, note.setting, note.note_id, note.top, day)
    result: NoteSuggestions = engine.suggest(note.text, setting=note.setting, note_id=note.note_id, top=note.top)
    return result


def _count(metrics: Metrics, results: list[NoteSuggestions]) -> None:
    metrics.notes_suggested.inc(len(results))
    metrics.suggestions_served.inc(sum(len(result.suggestions) for result in results))


async def suggest_one(
    runner: EngineRunner,
    engine: SuggestionEngine,
    metrics: Metrics,
    note: BatchNote,
    max_bytes: int,
    releases: ServiceReleases | None = None,
) -> NoteSuggestions:
    ensure_note_fits(note.text, max_bytes)  # before queueing: a refused note costs no engine time
    result = await runner.run(lambda: _suggest(engine, note, max_bytes, releases))
    _count(metrics, [result])
    return result


async def suggest_many(
    runner: EngineRunner,
    engine: SuggestionEngine,
    metrics: Metrics,
    notes: list[BatchNote],
    max_bytes: int,
    releases: ServiceReleases | None = None,
) -> list[BatchOutcome]:
    """Each note's suggestions, or the error that note alone raised (the rest of the batch is still coded).

    Once the runner's timeout has passed (the caller has had its 503) no further note is started."""

    def code_all() -> list[BatchOutcome]:
        stop_at = time.monotonic() + runner.timeout_s
        outcomes: list[BatchOutcome] = []
        for note in notes:
            if time.monotonic() >= stop_at:
                raise EngineTimeoutError("The batch was not coded in time; its remaining notes were not started.")
            try:
                outcomes.append(_suggest(engine, note, max_bytes, releases))
            except (NoteError, NoteTooLargeForServiceError) as error:  # the note's fault: report it, go on
                outcomes.append(error)
        return outcomes

    outcomes = await runner.run(code_all)
    _count(metrics, [outcome for outcome in outcomes if isinstance(outcome, NoteSuggestions)])
    return outcomes
