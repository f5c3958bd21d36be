"""GET /v1/stats: how coders receive the suggestions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.deps import SessionDep, VocabularyDep, get_current_key
from service.routers._responses import errors
from service.schemas import (
    AddedCode,
    ChapterStat,
    CoderStat,
    CodeStat,
    DayCount,
    HccCapture,
    HccStat,
    ModelStat,
    QueryAnswers,
    QueryKindStat,
    QueryStatsOut,
    StatsResponse,
)
from service.store.coding_outcomes import coder_throughput, encounter_review_timings, review_timings
from service.store.queries import QueryRepository, QueryStats
from service.store.repositories import CodeCount, StatsRepository, cutoff
from suggest.risk_adjustment import hcc_for
from vocab.codeset import CodeSet
from vocab.errors import ChartcoderError

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/stats", tags=["stats"], dependencies=[Depends(get_current_key)], responses=errors(401, 422)
)


def _rate(accepted: int, rejected: int) -> float | None:
    decided = accepted + rejected
    return round(accepted / decided, 4) if decided else None


def _description(codeset: CodeSet, code: str) -> str | None:
    known = codeset.get(code)
    return known.description if known else None


def _query_stats(stats: QueryStats) -> QueryStatsOut:
    return QueryStatsOut(
        raised=stats.raised,
        open=stats.open,
        answered=stats.answered,
        withdrawn=stats.withdrawn,
        answer_rate=round(stats.answered / stats.raised, 4) if stats.raised else None,
        median_hours_to_answer=stats.median_hours_to_answer,
        by_kind=[
            QueryKindStat(
                kind=row.kind, raised=row.raised, open=row.open, answered=row.answered, withdrawn=row.withdrawn
            )
            for row in stats.by_kind
        ],
        answers=QueryAnswers(**stats.answers),
    )


@router.get("", summary="Review statistics")
def review_stats(
    session: SessionDep,
    vocabulary: VocabularyDep,
    days: Annotated[int | None, Query(ge=1, le=3660, description="Only reviews of the last N days.")] = None,
    top: Annotated[int, Query(ge=1, le=500, description="Rows in per_code and most_added.")] = 50,
) -> StatsResponse:
    """Reviews per day count every submitted version; acceptance counts each note's latest review only. Provider
    queries: those raised in the window, by status and finding kind, how they were answered, median hours to an
    answer."""
    since = cutoff(days) if days else None
    snapshot = StatsRepository(session).snapshot(since)
    codeset = vocabulary.codeset
    accepted = sum(row.accepted for row in snapshot.per_code)
    rejected = sum(row.rejected for row in snapshot.per_code)
    decided = sorted(
        (row for row in snapshot.per_code if row.accepted or row.rejected),
        key=lambda row: (-(row.accepted + row.rejected), row.code),
    )
    added = sorted((row for row in snapshot.per_code if row.added), key=lambda row: (-row.added, row.code))
    return StatsResponse(
        since=since,
        reviews_total=snapshot.reviews_total,
        notes_reviewed=snapshot.notes_reviewed,
        reviews_per_day=[
            DayCount(day=date.fromisoformat(day), reviews=count) for day, count in snapshot.reviews_per_day
        ],
        accepted=accepted,
        rejected=rejected,
        acceptance_rate=_rate(accepted, rejected),
        per_code=[
            CodeStat(
                code=row.code,
                description=_description(codeset, row.code),
                accepted=row.accepted,
                rejected=row.rejected,
                acceptance_rate=_rate(row.accepted, row.rejected),
            )
            for row in decided[:top]
        ],
        per_model=[
            ModelStat(model=model, reviews=reviews, accepted=acc, rejected=rej, acceptance_rate=_rate(acc, rej))
            for model, reviews, acc, rej in snapshot.per_model
        ],
        most_added=[
            AddedCode(code=row.code, description=_description(codeset, row.code), count=row.added)
            for row in added[:top]
        ],
        per_coder=[
            CoderStat(**asdict(row))
            for row in coder_throughput(review_timings(session, since) + encounter_review_timings(session, since))
        ],
        per_chapter=_per_chapter(snapshot.per_code, codeset),
        hcc_capture=_hcc_capture(snapshot.per_code),
        queries=_query_stats(QueryRepository(session).stats(since)),
    )


def _per_chapter(counts: list[CodeCount], codeset: CodeSet) -> list[ChapterStat]:
    """Decisions per ICD-10-CM chapter, in chapter order (codes no longer in the code set are left out)."""
    totals: dict[str, list[int]] = {}
    for row in counts:
        try:
            chapter = codeset.chapter_of(row.code).id
        except ChartcoderError:
            continue
        total = totals.setdefault(chapter, [0, 0, 0])
        total[0] += row.accepted
        total[1] += row.rejected
        total[2] += row.added
    return [
        ChapterStat(
            chapter=chapter,
            title=codeset.chapters[chapter].title,
            accepted=accepted,
            rejected=rejected,
            added=added,
            acceptance_rate=_rate(accepted, rejected),
        )
        for chapter, (accepted, rejected, added) in sorted(totals.items(), key=lambda item: _chapter_order(item[0]))
    ]


def _chapter_order(chapter: str) -> tuple[int, str]:
    return (int(chapter), chapter) if chapter.isdigit() else (10**6, chapter)


def _hcc_capture(counts: list[CodeCount]) -> HccCapture:
    """Decisions on codes that carry a CMS-HCC (a code in two HCCs counts once overall, once under each)."""
    per_hcc: dict[str, HccStat] = {}
    accepted = added = rejected = 0
    for row in counts:
        try:
            categories = hcc_for(row.code)
        except ChartcoderError:
            continue
        if not categories:
            continue
        accepted += row.accepted
        added += row.added
        rejected += row.rejected
        for category in categories:
            stat = per_hcc.setdefault(
                category.hcc, HccStat(hcc=category.hcc, label=category.label, accepted=0, added=0, rejected=0)
            )
            stat.accepted += row.accepted
            stat.added += row.added
            stat.rejected += row.rejected
    captured = accepted + added
    ordered = sorted(per_hcc.values(), key=lambda stat: (-(stat.accepted + stat.added + stat.rejected), stat.hcc))
    return HccCapture(
        accepted=accepted,
        added=added,
        rejected=rejected,
        capture_rate=round(captured / (captured + rejected), 4) if captured + rejected else None,
        per_hcc=ordered,
    )
