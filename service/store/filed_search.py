"""Searching filed encounters: by code (exact, prefix, range), patient, service dates, coder, status.

Only current versions answer (a corrected encounter is found through its latest version) and only reported codes
(accepted or added) match a code search. A page is ordered newest service date first; the total counts the
matching encounters up to :data:`COUNT_CAP` (beyond it the page says "more than that"). Each kind of search is
one walk of a partial index made for it (see :mod:`service.store.filing`), so pages stay fast at millions of
codes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, cast, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from service.store.filing import FiledCode, FiledEncounter

__all__ = [
    "CODE_RANGE_END",
    "COUNT_CAP",
    "WALK_BY_DATE_ABOVE",
    "FiledCodeRecord",
    "FiledRecord",
    "FiledSearch",
    "FiledSearchPage",
    "iter_filed",
    "load_filed",
    "search_filed",
]

# Above every character a code is spelled with (A-Z, 0-9, "."): "E13.9" + this bounds everything under E13.9.
CODE_RANGE_END = "~"


@dataclass(frozen=True, slots=True)
class FiledSearch:
    """What to look for; every field given narrows the search (AND). Codes in canonical dotted spelling."""

    code: str | None = None
    code_prefix: str | None = None
    code_from: str | None = None  # a range: from this code through ``code_to`` and every code under it
    code_to: str | None = None
    patient_id: str | None = None
    service_from: date | None = None  # the encounter's first service date within [service_from, service_to]
    service_to: date | None = None
    coder: str | None = None
    status: str | None = None

    def used(self) -> list[str]:
        """The names of the criteria given (for the audit trail: which kinds, never their values)."""
        return [field.name for field in fields(self) if getattr(self, field.name) is not None]

    def code_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.code is not None:
            conditions.append(FiledCode.code == self.code)
        if self.code_prefix is not None:
            conditions += [FiledCode.code >= self.code_prefix, FiledCode.code < self.code_prefix + CODE_RANGE_END]
        if self.code_from is not None:
            conditions.append(FiledCode.code >= self.code_from)
        if self.code_to is not None:
            conditions.append(FiledCode.code < self.code_to + CODE_RANGE_END)
        return conditions

    def encounter_conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [FiledEncounter.current.expression]
        if self.patient_id is not None:
            conditions.append(FiledEncounter.patient_id == self.patient_id)
        if self.service_from is not None:
            conditions.append(FiledEncounter.service_start >= self.service_from)
        if self.service_to is not None:
            conditions.append(FiledEncounter.service_start <= self.service_to)
        if self.coder is not None:
            conditions.append(FiledEncounter.coder_name == self.coder)
        if self.status is not None:
            conditions.append(FiledEncounter.status == self.status)
        return conditions


@dataclass(frozen=True, slots=True)
class FiledCodeRecord:
    code: str
    decision: str
    sequence: int | None
    poa: str | None
    evidence: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class FiledRecord:
    """A filed encounter version as plain values (read with SQLAlchemy core: a page of 50 is a few milliseconds)."""

    id: str
    encounter_id: str
    version: int
    external_id: str | None
    patient_id: str | None
    patient_age: int | None
    patient_sex: str | None
    service_start: date
    service_end: date | None
    setting: str
    coder_name: str
    status: str
    model_id: str
    review_id: str | None
    filed_at: datetime
    codes: tuple[FiledCodeRecord, ...]

    @property
    def reported(self) -> list[FiledCodeRecord]:
        """The accepted and added codes in reporting order (those without a place after them, in filing order)."""
        return [code for code in self.codes if code.decision != "rejected"]


_RECORD_COLUMNS = [getattr(FiledEncounter, field.name) for field in fields(FiledRecord) if field.name != "codes"]
# The evidence as the stored JSON text, decoded here: most codes have none ("[]"), which then costs no decoding.
_CODE_COLUMNS = [FiledCode.filed_id, FiledCode.code, FiledCode.decision, FiledCode.sequence, FiledCode.poa]
_EVIDENCE_TEXT = cast(FiledCode.evidence, Text)


def _places(stored: str) -> list[dict[str, Any]]:
    return [] if stored == "[]" else json.loads(stored)


def load_filed(session: Session, filed_ids: Sequence[str], *, evidence: bool = True) -> list[FiledRecord]:
    """The filed versions ``filed_ids``, in that order, each with its codes (reported in reporting order first).

    Read through the session's connection with SQLAlchemy core (no ORM objects); ``evidence=False`` leaves each
    code's evidence places out (empty), which the CSV and JSONL exports do not need.
    """
    if not filed_ids:
        return []
    connection = session.connection()
    columns = [*_CODE_COLUMNS, _EVIDENCE_TEXT] if evidence else _CODE_COLUMNS
    codes: dict[str, list[FiledCodeRecord]] = {filed_id: [] for filed_id in filed_ids}
    ordered = connection.execute(
        select(*columns)
        .where(FiledCode.filed_id.in_(filed_ids))
        .order_by(FiledCode.filed_id, FiledCode.sequence.is_(None), FiledCode.sequence, FiledCode.id)
    ).all()  # one fetch of every row: iterating the result would fetch them one call at a time
    for filed_id, code, decision, sequence, poa, *stored in ordered:
        places = _places(stored[0]) if stored else []
        codes[filed_id].append(FiledCodeRecord(code, decision, sequence, poa, places))
    rows = {
        row[0]: row
        for row in connection.execute(select(*_RECORD_COLUMNS).where(FiledEncounter.id.in_(filed_ids))).all()
    }
    return [FiledRecord(*rows[filed_id], tuple(codes[filed_id])) for filed_id in filed_ids if filed_id in rows]  # type: ignore[call-arg]


@dataclass(frozen=True, slots=True)
class FiledSearchPage:
    items: list[FiledRecord]
    total: int  # every match, or ``COUNT_CAP`` when ``total_capped`` (more match than that)
    total_capped: bool = False


# Above this many matches, a page of a code search walks the encounters newest first and checks each one's codes
# (about page x encounters / matches index probes: a few thousand at most); at or below it, the matches are read
# from the code index and sorted (at most this many). Either way a page costs a bounded number of index reads.
WALK_BY_DATE_ABOVE = 1000
# Totals are exact up to this many matches; a search matching more says "more than 10,000" (``total_capped``).
COUNT_CAP = 10_000


def _reported(search: FiledSearch, *, narrowed: bool = True) -> list[ColumnElement[bool]]:
    """The code rows a code search matches: current, reported, the code criteria, and unless not ``narrowed``
    (copied onto each code row) the service dates and the categories the codes lie in, so that either code index
    can narrow the rows."""
    # The literal (not a bound parameter) lets the planners see that the query implies the partial index.
    conditions = [FiledCode.current.expression, FiledCode.decision != literal_column("'rejected'")]
    conditions += search.code_conditions()
    if not narrowed:
        return conditions
    if search.service_from is not None:
        conditions.append(FiledCode.service_start >= search.service_from)
    if search.service_to is not None:
        conditions.append(FiledCode.service_start <= search.service_to)
    low, high = _category_bounds(search)
    if search.code is None and low == high:
        conditions.append(FiledCode.category == low)
    elif search.code is None:
        conditions += [FiledCode.category >= low, FiledCode.category <= high]
    return conditions


def _category_bounds(search: FiledSearch) -> tuple[str, str]:
    """The first and last category a prefix or range can reach: a code's category is its first three characters,
    and bounds cut to three characters keep every code between them."""
    lows = [bound for bound in (search.code_prefix, search.code_from) if bound is not None]
    highs = [bound + CODE_RANGE_END for bound in (search.code_prefix, search.code_to) if bound is not None]
    return max(lows, default="")[:3], min(highs, default="~~~")[:3]


def _matching_ids(search: FiledSearch, *, walk_by_date: bool = False, probe_each: bool = False) -> Select[Any]:
    """The ids of the current encounters that match: the code criteria read from the code index (``IN``), or
    checked encounter by encounter through the (encounter, code) index as the encounters are walked (``EXISTS``),
    or (``probe_each``) one probe of that index per encounter the encounter criteria select: a subquery with a
    LIMIT, which no planner turns into a join over every matching code."""
    query = select(FiledEncounter.id).where(*search.encounter_conditions())
    if search.code_conditions():
        if probe_each:
            probe = select(FiledCode.id).where(
                FiledCode.filed_id == FiledEncounter.id, *_reported(search, narrowed=False)
            )
            query = query.where(probe.limit(1).scalar_subquery().is_not(None))
        elif walk_by_date:
            query = query.where(
                select(FiledCode.id).where(FiledCode.filed_id == FiledEncounter.id, *_reported(search)).exists()
            )
        else:
            query = query.where(FiledEncounter.id.in_(select(FiledCode.filed_id).where(*_reported(search))))
    return query


def _count(session: Session, search: FiledSearch, cap: int) -> int:
    """How many current encounters match, counting no further than ``cap + 1`` (so that a code in half the
    encounters costs no more to count than one in ten thousand). An exact code alone is counted in the code index
    only (an encounter has a code once, so its rows are its encounters)."""
    if search.code is not None and len(search.encounter_conditions()) == 1 and len(search.code_conditions()) == 1:
        limited = select(FiledCode.id).where(*_reported(search)).limit(cap + 1)
    else:
        limited = _matching_ids(search).limit(cap + 1)
    return session.scalar(select(func.count()).select_from(limited.subquery())) or 0


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(FiledEncounter.service_start.desc(), FiledEncounter.id.desc())


# A prefix or range spanning more categories than this is searched through the encounters (see search_filed).
MAX_CATEGORY_WALKS = 30


def _categories(session: Session, low: str, high: str) -> list[str] | None:
    """The categories of current reported codes from ``low`` through ``high``, in order, or None when more than
    :data:`MAX_CATEGORY_WALKS`: one statement, which probes the category index once per category (a skip scan)."""
    if low == high:
        return [low]
    reported = [FiledCode.current.expression, FiledCode.decision != literal_column("'rejected'")]
    first = select(func.min(FiledCode.category).label("category")).where(
        *reported, FiledCode.category >= low, FiledCode.category <= high
    )
    found = first.cte("categories", recursive=True)
    following = select(func.min(FiledCode.category)).where(
        *reported, FiledCode.category > found.c.category, FiledCode.category <= high
    )
    found = found.union_all(select(following.scalar_subquery()).where(found.c.category.is_not(None)))
    query = select(found.c.category).where(found.c.category.is_not(None)).limit(MAX_CATEGORY_WALKS + 1)
    categories = list(session.scalars(query))
    return categories if len(categories) <= MAX_CATEGORY_WALKS else None


def _code_walks(session: Session, search: FiledSearch) -> list[ColumnElement[bool]] | None:
    """How a code search reads the code indexes in page order: one walk per condition returned (an exact code, or
    one category of a prefix or a range), or None when the search needs the encounters' own columns (patient,
    coder, status) or spans more than :data:`MAX_CATEGORY_WALKS` categories."""
    if not search.code_conditions() or {search.patient_id, search.coder, search.status} != {None}:
        return None
    if search.code is not None:
        return [FiledCode.code == search.code]
    categories = _categories(session, *_category_bounds(search))
    if categories is None:
        return None
    return [FiledCode.category == category for category in categories]


def _walk(search: FiledSearch, walk: ColumnElement[bool], limit: int) -> Select[date, str]:
    """The distinct current encounters (service date, filed id) one walk finds, newest first, at most ``limit``."""
    query = select(FiledCode.service_start, FiledCode.filed_id).where(*_reported(search), walk)
    if search.code is None:  # a category may hold several of an encounter's codes; an exact code only one
        query = query.distinct()
    return query.order_by(FiledCode.service_start.desc(), FiledCode.filed_id.desc()).limit(limit)


def _walked(search: FiledSearch, walks: list[ColumnElement[bool]], limit: int) -> Select[date, str]:
    """The first ``limit`` distinct encounters of all the walks together, newest first."""
    if len(walks) == 1:
        return _walk(search, walks[0], limit)
    merged = union_all(*(select(_walk(search, walk, limit).subquery()) for walk in walks)).subquery()
    return (
        select(merged.c.service_start, merged.c.filed_id)
        .distinct()
        .order_by(merged.c.service_start.desc(), merged.c.filed_id.desc())
        .limit(limit)
    )


def search_filed(
    session: Session, search: FiledSearch, *, limit: int = 50, offset: int = 0, count_cap: int | None = None
) -> FiledSearchPage:
    """One page of the current filed encounters matching ``search``, newest service date first, and the total.

    The total is exact up to ``count_cap`` (default :data:`COUNT_CAP`); beyond it the page says so
    (``total_capped``, ``total`` = the cap) instead of counting every match, and pages past the cap still work.
    """
    cap = COUNT_CAP if count_cap is None else count_cap
    walks = _code_walks(session, search)
    if walks is not None:
        return _search_by_walks(session, search, walks, limit=limit, offset=offset, cap=cap)
    if (search.patient_id is not None or search.coder is not None) and _common_codes(session, search):
        # A patient's or a coder's encounters are few (at most thousands): check each one's codes, rather than
        # read every encounter holding the codes (tens of thousands for a common one). Rare codes are read from
        # the code index below (a probe per encounter would then be planned on the code index: a walk per probe).
        return _search_by_probes(session, search, limit=limit, offset=offset, cap=cap)
    counted = _count(session, search, cap)
    total, capped = min(counted, cap), counted > cap
    if total == 0 or (offset >= total and not capped):
        return FiledSearchPage(items=[], total=total, total_capped=capped)
    matching = _matching_ids(search, walk_by_date=counted > WALK_BY_DATE_ABOVE)
    ids = list(session.scalars(_newest_first(matching).limit(limit).offset(offset)))
    return FiledSearchPage(items=load_filed(session, ids), total=total, total_capped=capped)


# Above this many current reported codes matching (within the service dates), a code search narrowed to a patient
# or a coder probes their encounters' codes one encounter at a time.
PROBE_ABOVE = 2000


def _common_codes(session: Session, search: FiledSearch) -> bool:
    """Whether more than :data:`PROBE_ABOVE` code rows match the code criteria: one bounded index-only count."""
    if not search.code_conditions():
        return False
    rows = select(FiledCode.id).where(*_reported(search)).limit(PROBE_ABOVE + 1).subquery()
    return (session.scalar(select(func.count()).select_from(rows)) or 0) > PROBE_ABOVE


def _search_by_probes(session: Session, search: FiledSearch, *, limit: int, offset: int, cap: int) -> FiledSearchPage:
    """A code search narrowed to a patient or a coder: their encounters walked newest first, each one's codes
    probed once; the count stops at ``cap + 1``."""
    matching = _matching_ids(search, probe_each=True)
    counted = session.scalar(select(func.count()).select_from(matching.limit(cap + 1).subquery())) or 0
    total, capped = min(counted, cap), counted > cap
    if total == 0 or (offset >= total and not capped):
        return FiledSearchPage(items=[], total=total, total_capped=capped)
    ids = list(session.scalars(_newest_first(matching).limit(limit).offset(offset)))
    return FiledSearchPage(items=load_filed(session, ids), total=total, total_capped=capped)


def _search_by_walks(
    session: Session, search: FiledSearch, walks: list[ColumnElement[bool]], *, limit: int, offset: int, cap: int
) -> FiledSearchPage:
    """A code search (with or without service dates) read from the code indexes alone, each walk in page order:
    the count stops at ``cap + 1`` encounters, the page reads ``offset + limit`` entries of each walk."""
    if not walks:  # no current reported code lies in any category the criteria reach
        return FiledSearchPage(items=[], total=0)
    counted = session.scalar(select(func.count()).select_from(_walked(search, walks, cap + 1).subquery())) or 0
    total, capped = min(counted, cap), counted > cap
    if total == 0 or (offset >= total and not capped):
        return FiledSearchPage(items=[], total=total, total_capped=capped)
    page = _walked(search, walks, offset + limit).limit(limit).offset(offset)
    ids = [filed_id for _day, filed_id in session.execute(page)]
    return FiledSearchPage(items=load_filed(session, ids), total=total, total_capped=capped)


def iter_filed(
    session: Session, search: FiledSearch, *, batch: int = 1000, evidence: bool = True
) -> Iterator[FiledRecord]:
    """Every current filed encounter matching ``search``, oldest service date first, streamed in batches.

    Keyset pagination (service date, id): each batch is a fresh, bounded query, so memory does not grow with the
    number of rows and no cursor stays open between batches (the caller may write as it reads).
    """
    after: tuple[date, str] | None = None
    while True:
        query = _matching_ids(search)
        if after is not None:
            query = query.where(
                and_(
                    FiledEncounter.service_start >= after[0],
                    (FiledEncounter.service_start > after[0]) | (FiledEncounter.id > after[1]),
                )
            )
        ids = list(session.scalars(query.order_by(FiledEncounter.service_start, FiledEncounter.id).limit(batch)))
        rows = load_filed(session, ids, evidence=evidence)
        yield from rows
        if len(ids) < batch:
            return
        after = (rows[-1].service_start, rows[-1].id)
