"""Confirmed reviews from the service's database, as labeled notes: accepted + added codes are gold, rejected
codes are hard negatives.

The coupling, on purpose, is by table and column names only: :mod:`training` never imports :mod:`service`
(a retraining worker must not drag the web stack in), so these SQLAlchemy Core constructs name what it reads
from ``service/store/models.py``:

* ``notes(id, text, setting)``: ``text`` is NULL once the retention purge blanked it (such notes are
  skipped and reported: there is nothing left to learn from).
* ``reviews(id, note_id, version)``: a note may be reviewed several times; the highest ``version`` is the
  coder's final word and the only one read.
* ``review_codes(id, review_id, code, decision, position)``: ``decision`` is ``accepted``, ``added`` or
  ``rejected``; ``position`` is the code's 1-based place in the coder's reporting order (NULL when the review
  stored no order). A note whose review has an order yields its gold codes in that order, and its first as
  the note's ``principal`` (inpatient) / first-listed (outpatient) diagnosis, so that the evaluation scores
  the engine's sequencing against the coder's (principal at rank 1) beside the usual metrics.

If the service renames any of these, :func:`read_reviews` fails with a :class:`TrainingDataError` naming the
database error, and ``tests/training/test_train.py`` (which builds the service's real schema) fails too.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from sqlalchemy import and_, column, create_engine, func, select, table
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from suggest.types import SETTINGS
from training.data import DataReport, LabeledNote, TrainingDataError, current_code
from vocab.codes import normalize_code
from vocab.codeset import CodeSet
from vocab.errors import InvalidCodeError

__all__ = ["GOLD_DECISIONS", "REJECTED_DECISIONS", "ReviewReader", "read_reviews"]

GOLD_DECISIONS = ("accepted", "added")
REJECTED_DECISIONS = ("rejected",)
_UNORDERED = 1 << 31  # after every position of a reporting order

_notes = table("notes", column("id"), column("text"), column("setting"))
_reviews = table("reviews", column("id"), column("note_id"), column("version"))
_codes = table(
    "review_codes", column("id"), column("review_id"), column("code"), column("decision"), column("position")
)


def _latest_review_codes() -> Any:
    """(note id, text, setting, code, decision, position) of each note's latest review, grouped by note."""
    latest = (
        select(_reviews.c.note_id, func.max(_reviews.c.version).label("version"))
        .group_by(_reviews.c.note_id)
        .subquery()
    )
    joined = (
        _notes.join(latest, latest.c.note_id == _notes.c.id)
        .join(_reviews, and_(_reviews.c.note_id == latest.c.note_id, _reviews.c.version == latest.c.version))
        .outerjoin(_codes, _codes.c.review_id == _reviews.c.id)
    )
    return (
        select(_notes.c.id, _notes.c.text, _notes.c.setting, _codes.c.code, _codes.c.decision, _codes.c.position)
        .select_from(joined)
        .order_by(_notes.c.id, _codes.c.id)
    )


def _clean(code: object, where: str, codeset: CodeSet | None, report: DataReport) -> str | None:
    if not isinstance(code, str):
        report.code_skipped(where, repr(code)[:40], "a code must be a string")
        return None
    try:
        normalized = normalize_code(code)
    except InvalidCodeError:
        report.code_skipped(where, code[:40], "not an ICD-10-CM code (invalid shape)")
        return None
    if codeset is not None:
        normalized = current_code(normalized, codeset, report)
    if codeset is not None and normalized not in codeset.codes:
        report.code_skipped(where, normalized, f"not a code in ICD-10-CM {codeset.release}")
        return None
    return normalized


def _note_from_rows(note_id: str, rows: list[Any], codeset: CodeSet | None, report: DataReport) -> LabeledNote | None:
    where = f"note {note_id}"
    text, setting = rows[0].text, rows[0].setting
    if text is None or not str(text).strip():
        report.note_skipped(where, "its text was purged (retention) or is empty")
        return None
    gold: list[str] = []
    rejected: list[str] = []
    positions: dict[str, int] = {}
    for row in rows:
        if row.code is None:
            continue  # a review that confirmed nothing: the note still counts, with no codes
        if row.decision not in GOLD_DECISIONS + REJECTED_DECISIONS:
            report.code_skipped(where, str(row.code)[:40], f"unknown decision {str(row.decision)[:20]!r}")
            continue
        code = _clean(row.code, where, codeset, report)
        if code is None:
            continue
        target = gold if row.decision in GOLD_DECISIONS else rejected
        if code not in target:
            target.append(code)
        if row.decision in GOLD_DECISIONS and row.position is not None:
            positions.setdefault(code, int(row.position))
    rejected = [code for code in rejected if code not in gold]
    # the coder's reporting order first; codes the order left out keep their stored order after it
    gold.sort(key=lambda code: positions.get(code, _UNORDERED))  # stable: the unordered keep their order
    principal = min(positions, key=positions.__getitem__) if positions else None
    return LabeledNote(
        id=str(note_id),
        text=str(text),
        codes=tuple(gold),
        rejected=tuple(rejected),
        setting=setting if setting in SETTINGS else None,
        principal=principal,
    )


def read_reviews(url: str, codeset: CodeSet | None = None, report: DataReport | None = None) -> Iterator[LabeledNote]:
    """Stream the reviewed notes of the service database at SQLAlchemy ``url`` (read-only queries).

    Raises :class:`TrainingDataError` when the database cannot be read or holds no reviewed note.
    """
    report = report if report is not None else DataReport(source=_safe_url(url))
    try:
        engine = create_engine(url)
    except (ArgumentError, SQLAlchemyError, ImportError) as error:
        raise TrainingDataError(f"Cannot open the review database {_safe_url(url)}: {error}") from error
    try:
        with engine.connect() as connection:
            result = connection.execution_options(stream_results=True).execute(_latest_review_codes())
            for note_id, rows in groupby(result, key=lambda row: row.id):
                note = _note_from_rows(note_id, list(rows), codeset, report)
                if note is not None:
                    report.notes += 1
                    report.codes += len(note.codes)
                    yield note
    except SQLAlchemyError as error:
        raise TrainingDataError(
            f"Cannot read reviews from {_safe_url(url)} (expected the service's notes, reviews and review_codes "
            f"tables): {type(error).__name__}: {str(error).splitlines()[0][:200]}"
        ) from error
    finally:
        engine.dispose()
    if report.notes == 0:
        raise TrainingDataError(f"{_safe_url(url)} holds no reviewed note with text to learn from.")


class ReviewReader:
    """Iterate the reviewed notes of a database; ``report`` fills up as it is read (like ``JsonlReader``)."""

    def __init__(self, url: str, codeset: CodeSet | None = None) -> None:
        self.url = url
        self.codeset = codeset
        self.report = DataReport(source=_safe_url(url))

    def __iter__(self) -> Iterator[LabeledNote]:
        self.report = DataReport(source=_safe_url(self.url))
        return read_reviews(self.url, self.codeset, self.report)


def _safe_url(url: str) -> str:
    """The URL without its password, for messages and reports."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unreadable database URL>"
