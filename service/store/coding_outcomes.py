"""What reviews settled, read for risk adjustment and the dashboard: notes' final codes, coders' review times.

A review's time is measured from what is stored already: the coder's last reading of the note's text
(``note.read`` in the audit log, written when the review page opens the note) to the review's submission. A
reading before an earlier review of the same note belongs to that review, so a review submitted without
opening the note again (an API client's) has no time and does not count towards hours.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from service.store.encounter_models import EncounterReview, EncounterReviewCode
from service.store.models import AuditEntry, Note, Review, ReviewCode

__all__ = [
    "MAX_REVIEW_SECONDS",
    "CoderThroughput",
    "ReviewTiming",
    "coder_throughput",
    "encounter_review_timings",
    "final_codes",
    "review_timings",
]

# A note left open longer (a coder away from the desk) counts this long: one hour of work at most per review.
MAX_REVIEW_SECONDS = 3600.0
REPORTED = ("accepted", "added")


@dataclass(frozen=True, slots=True)
class ReviewTiming:
    coder: str
    codes: int  # codes reported (accepted and added)
    seconds: float | None  # open -> submit, capped at MAX_REVIEW_SECONDS; None when the note was not opened


@dataclass(frozen=True, slots=True)
class CoderThroughput:
    coder: str
    reviews: int
    timed_reviews: int
    codes: int
    hours: float
    encounters_per_hour: float | None
    codes_per_hour: float | None
    median_review_seconds: float | None


def final_codes(session: Session, note_ids: Sequence[str]) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Each reviewed note's accepted and added codes (its latest review); the unknown and the unreviewed ids."""
    wanted = list(dict.fromkeys(note_ids))
    known = set(session.scalars(select(Note.id).where(Note.id.in_(wanted))))
    newest = (
        select(Review.note_id, func.max(Review.version).label("version"))
        .where(Review.note_id.in_(wanted))
        .group_by(Review.note_id)
        .subquery()
    )
    latest = (
        select(Review.id, Review.note_id)
        .join(newest, and_(Review.note_id == newest.c.note_id, Review.version == newest.c.version))
        .subquery()
    )
    reviewed = set(session.scalars(select(latest.c.note_id)))
    codes: dict[str, list[str]] = {note_id: [] for note_id in wanted if note_id in reviewed}
    rows = session.execute(
        select(latest.c.note_id, ReviewCode.code)
        .join(ReviewCode, ReviewCode.review_id == latest.c.id)
        .where(ReviewCode.decision.in_(REPORTED))
        .order_by(ReviewCode.id)
    )
    for note_id, code in rows:
        codes[note_id].append(code)
    unknown = [note_id for note_id in wanted if note_id not in known]
    unreviewed = [note_id for note_id in wanted if note_id in known and note_id not in reviewed]
    return codes, unknown, unreviewed


def review_timings(session: Session, since: datetime | None) -> list[ReviewTiming]:
    """Every review submitted since ``since`` (all versions: each is a coder's work) with its open -> submit time.

    Three queries joined here (reviews of the window's notes, their codes, their ``note.read`` entries), so the
    cost grows with the rows read, not with reviews x readings as a correlated subquery's would.
    """
    window = select(Review.note_id).distinct()
    if since is not None:
        window = window.where(Review.created_at >= since)
    notes = window.scalar_subquery()
    reviews = session.execute(
        select(Review.id, Review.note_id, Review.coder_key_id, Review.coder_name, Review.created_at)
        .where(Review.note_id.in_(notes))
        .order_by(Review.note_id, Review.version)
    ).all()
    reported = dict(
        session.execute(
            select(ReviewCode.review_id, func.count(ReviewCode.id))
            .join(Review, Review.id == ReviewCode.review_id)
            .where(Review.note_id.in_(notes), ReviewCode.decision.in_(REPORTED))
            .group_by(ReviewCode.review_id)
        ).all()
    )
    readings: dict[tuple[str | None, str | None], list[datetime]] = {}
    for target, reader, at in session.execute(
        select(AuditEntry.target, AuditEntry.actor_key_id, AuditEntry.at).where(
            AuditEntry.action == "note.read", AuditEntry.target.in_(notes)
        )
    ):
        readings.setdefault((target, reader), []).append(at)
    for times in readings.values():
        times.sort()
    timings = []
    previous: dict[str, datetime] = {}  # note -> its latest review so far (reviews come in version order)
    for review_id, note_id, reader, coder, submitted in reviews:
        after = previous.get(note_id)
        previous[note_id] = submitted
        if since is not None and submitted < since:
            continue
        opened = _last_reading(readings.get((note_id, reader), []), after, submitted)
        seconds = None
        if opened is not None:
            seconds = min(MAX_REVIEW_SECONDS, max(0.0, (submitted - opened).total_seconds()))
        timings.append(ReviewTiming(coder=coder, codes=reported.get(review_id, 0), seconds=seconds))
    return timings


def encounter_review_timings(session: Session, since: datetime | None) -> list[ReviewTiming]:
    """Every encounter review submitted since ``since`` with the open -> submit seconds stored with it (issue 17:
    the encounter's latest reading before the submission), capped like a note's; None when it was not opened."""
    query = (
        select(
            EncounterReview.id,
            EncounterReview.coder_name,
            EncounterReview.seconds_to_submit,
            func.count(EncounterReviewCode.id),
        )
        .outerjoin(
            EncounterReviewCode,
            and_(EncounterReviewCode.review_id == EncounterReview.id, EncounterReviewCode.decision.in_(REPORTED)),
        )
        .group_by(EncounterReview.id, EncounterReview.coder_name, EncounterReview.seconds_to_submit)
    )
    if since is not None:
        query = query.where(EncounterReview.created_at >= since)
    return [
        ReviewTiming(coder=coder, codes=codes, seconds=None if seconds is None else min(MAX_REVIEW_SECONDS, seconds))
        for _, coder, seconds, codes in session.execute(query)
    ]


def _last_reading(times: list[datetime], after: datetime | None, until: datetime) -> datetime | None:
    """The latest reading at or before ``until`` and after ``after`` (the note's previous review), if any."""
    position = bisect_right(times, until)
    if position == 0:
        return None
    opened = times[position - 1]
    return opened if after is None or opened > after else None


def coder_throughput(timings: Sequence[ReviewTiming]) -> list[CoderThroughput]:
    """Per coder: reviews, and encounters (reviews) and codes per hour over the timed reviews."""
    by_coder: dict[str, list[ReviewTiming]] = {}
    for timing in timings:
        by_coder.setdefault(timing.coder, []).append(timing)
    rows = []
    for coder in sorted(by_coder):
        reviews = by_coder[coder]
        timed = [timing for timing in reviews if timing.seconds is not None]
        seconds = sum(timing.seconds or 0.0 for timing in timed)
        codes = sum(timing.codes for timing in timed)
        hours = seconds / 3600
        rows.append(
            CoderThroughput(
                coder=coder,
                reviews=len(reviews),
                timed_reviews=len(timed),
                codes=codes,
                hours=round(hours, 4),
                encounters_per_hour=round(len(timed) / hours, 2) if seconds > 0 else None,
                codes_per_hour=round(codes / hours, 2) if seconds > 0 else None,
                median_review_seconds=round(median(t.seconds or 0.0 for t in timed), 1) if timed else None,
            )
        )
    return rows
