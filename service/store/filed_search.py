"""Searching filed encounters: by code (exact, prefix, range), patient, service dates, coder, status.

Only current versions answer (a corrected encounter is found through its latest version) and only reported codes
(accepted or added) match a code search. A page is ordered newest service date first; the total counts every
matching encounter. Each kind of search is one walk of a partial index made for it (see
:mod:`service.store.filing`), so pages stay fast at millions of codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, select
from sqlalchemy.orm import Session

from service.store.filing import FiledCode, FiledEncounter

__all__ = ["CODE_RANGE_END", "FiledSearch", "FiledSearchPage", "iter_filed", "search_filed"]

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
        return [name for name in self.__slots__ if getattr(self, name) is not None]  # type: ignore[attr-defined]

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
        conditions: list[ColumnElement[bool]] = [FiledEncounter.current]
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
class FiledSearchPage:
    items: list[FiledEncounter]
    total: int


def _matching_ids(search: FiledSearch) -> Select[Any]:
    """The ids of the current encounters that match (the code criteria through the code index)."""
    query = select(FiledEncounter.id).where(*search.encounter_conditions())
    code_conditions = search.code_conditions()
    if code_conditions:
        # The literal (not a bound parameter) lets the planners see that the query implies the partial index.
        reported = select(FiledCode.filed_id).where(
            FiledCode.current, FiledCode.decision != literal_column("'rejected'"), *code_conditions
        )
        query = query.where(FiledEncounter.id.in_(reported))
    return query


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(FiledEncounter.service_start.desc(), FiledEncounter.id.desc())


def search_filed(session: Session, search: FiledSearch, *, limit: int = 50, offset: int = 0) -> FiledSearchPage:
    """One page of the current filed encounters matching ``search``, newest service date first, and the total."""
    matching = _matching_ids(search)
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    if total == 0 or offset >= total:
        return FiledSearchPage(items=[], total=total)
    ids = list(session.scalars(_newest_first(matching).limit(limit).offset(offset)))
    rows = {row.id: row for row in session.scalars(select(FiledEncounter).where(FiledEncounter.id.in_(ids)))}
    return FiledSearchPage(items=[rows[filed_id] for filed_id in ids if filed_id in rows], total=total)


def iter_filed(session: Session, search: FiledSearch, *, batch: int = 1000) -> Iterator[FiledEncounter]:
    """Every current filed encounter matching ``search``, oldest service date first, streamed in batches.

    Keyset pagination (service date, id): each batch is a fresh, bounded query, so memory does not grow with the
    number of rows and no cursor stays open between batches (the caller may write as it reads).
    """
    after: tuple[date, str] | None = None
    while True:
        query = select(FiledEncounter).where(FiledEncounter.id.in_(_matching_ids(search)))
        if after is not None:
            query = query.where(
                and_(
                    FiledEncounter.service_start >= after[0],
                    (FiledEncounter.service_start > after[0]) | (FiledEncounter.id > after[1]),
                )
            )
        rows = list(session.scalars(query.order_by(FiledEncounter.service_start, FiledEncounter.id).limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].service_start, rows[-1].id)
        session.expunge_all()  # the rows yielded are the caller's; the session keeps none of them
