"""Provider queries in the database: raised, answered or withdrawn, listed, counted and purged.

Every write commits with its audit entry in one transaction (who, when, which query and note, the finding's kind
and the answer's kind: never the query's words, which quote the note). A query changes status once, from
``open``; the row is locked while it does, so two coders closing it at once get one success and one 409.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.errors import InvalidQueryError, QueryNotFoundError, QueryStateError
from service.security import Principal
from service.store.database import write_transaction
from service.store.models import Note, ProviderQuery, new_id, utcnow
from service.store.repositories import AuditRepository
from suggest.documentation.query import OTHER_OPTION, UNDETERMINED_OPTION

__all__ = [
    "KindCount",
    "NewQuery",
    "QueryFilter",
    "QueryRepository",
    "QueryStats",
    "blank_queries_of_notes",
]


@dataclass(frozen=True, slots=True)
class NewQuery:
    """A query as the coder sends it, already checked against its note (quotes, options, wording)."""

    finding: dict[str, Any]
    question: str
    indicators: list[dict[str, Any]]
    options: list[str]


@dataclass(frozen=True, slots=True)
class QueryFilter:
    status: str | None = None
    note_id: str | None = None
    encounter_id: str | None = None
    kind: str | None = None
    raised_before: datetime | None = None  # only queries at least this old (the queue's age filter)


@dataclass(frozen=True, slots=True)
class KindCount:
    kind: str
    raised: int = 0
    open: int = 0
    answered: int = 0
    withdrawn: int = 0


@dataclass(frozen=True, slots=True)
class QueryStats:
    raised: int
    open: int
    answered: int
    withdrawn: int
    median_hours_to_answer: float | None
    by_kind: list[KindCount]
    answers: dict[str, int] = field(default_factory=dict)  # answer kind -> count


def _answer_kind(option: str) -> str:
    if option == OTHER_OPTION:
        return "other"
    if option == UNDETERMINED_OPTION:
        return "undetermined"
    return "clinical"


class QueryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, note: Note, query: NewQuery, coder: Principal) -> ProviderQuery:
        """Store a query the coder marked sent (status ``open``), audited in the same transaction."""
        encounter_id = (note.encounter or {}).get("encounter_id")
        stored = ProviderQuery(
            id=new_id(),
            note_id=note.id,
            encounter_id=encounter_id,
            finding_kind=str(query.finding["kind"]),
            finding=query.finding,
            question=query.question,
            indicators=query.indicators,
            options=query.options,
            option_count=len(query.options),
            status="open",
            created_by=coder.key_id,
            created_by_name=coder.name,
            created_at=utcnow(),
        )
        with write_transaction(self.session):
            self.session.add(stored)
            AuditRepository(self.session).record(
                coder.name,
                "query.created",
                actor_key_id=coder.key_id,
                target=stored.id,
                details={"note_id": note.id, "kind": stored.finding_kind, "options": stored.option_count},
            )
        return stored

    def get(self, query_id: str) -> ProviderQuery | None:
        return self.session.get(ProviderQuery, query_id)

    def read(self, query_id: str, reader: Principal) -> ProviderQuery | None:
        """A query whose words are about to be shown: the read is audited (``query.read``), like a note's."""
        with write_transaction(self.session):
            stored = self.session.get(ProviderQuery, query_id)
            if stored is None:
                return None
            AuditRepository(self.session).record(
                reader.name,
                "query.read",
                actor_key_id=reader.key_id,
                target=stored.id,
                details={"note_id": stored.note_id, "text": stored.question is not None},
            )
        return stored

    def _open_for_update(self, query_id: str) -> ProviderQuery:
        stored = self.session.scalar(select(ProviderQuery).where(ProviderQuery.id == query_id).with_for_update())
        if stored is None:
            raise QueryNotFoundError("No provider query has this id.")
        if stored.status != "open":
            raise QueryStateError(f"This query is {stored.status} already: only an open query can change.")
        return stored

    def answer(self, query_id: str, option: int, text: str | None, coder: Principal) -> ProviderQuery:
        """Record the provider's answer: the option they chose (an index into the options) and their words."""
        with write_transaction(self.session):
            stored = self._open_for_update(query_id)
            options = stored.options or []
            if not 0 <= option < len(options):
                raise InvalidQueryError(
                    f"The query has {len(options)} options: option must be 0 to {len(options) - 1}.", field="option"
                )
            kind = _answer_kind(options[option])
            if kind == "other" and not (text and text.strip()):
                raise InvalidQueryError("An answer of 'other' needs the provider's words in text.", field="text")
            stored.status = "answered"
            stored.answer_option = option
            stored.answer_kind = kind
            stored.answer_text = text.strip() if text and text.strip() else None
            stored.closed_at = utcnow()
            stored.closed_by_name = coder.name
            AuditRepository(self.session).record(
                coder.name,
                "query.answered",
                actor_key_id=coder.key_id,
                target=stored.id,
                details={"note_id": stored.note_id, "kind": stored.finding_kind, "answer": kind, "option": option},
            )
        return stored

    def withdraw(self, query_id: str, reason: str | None, coder: Principal) -> ProviderQuery:
        with write_transaction(self.session):
            stored = self._open_for_update(query_id)
            stored.status = "withdrawn"
            stored.withdraw_reason = reason.strip() if reason and reason.strip() else None
            stored.closed_at = utcnow()
            stored.closed_by_name = coder.name
            AuditRepository(self.session).record(
                coder.name,
                "query.withdrawn",
                actor_key_id=coder.key_id,
                target=stored.id,
                details={"note_id": stored.note_id, "kind": stored.finding_kind},
            )
        return stored

    def page(self, where: QueryFilter, limit: int, offset: int) -> tuple[list[ProviderQuery], int]:
        """Queries oldest first (the longest waiting at the top), and how many match in all."""
        query: Select[Any] = select(ProviderQuery)
        if where.status:
            query = query.where(ProviderQuery.status == where.status)
        if where.note_id:
            query = query.where(ProviderQuery.note_id == where.note_id)
        if where.encounter_id:
            query = query.where(ProviderQuery.encounter_id == where.encounter_id)
        if where.kind:
            query = query.where(ProviderQuery.finding_kind == where.kind)
        if where.raised_before is not None:
            query = query.where(ProviderQuery.created_at <= where.raised_before)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(
            query.order_by(ProviderQuery.created_at, ProviderQuery.id).limit(limit).offset(offset)
        )
        return list(rows), total

    def open_counts(self, note_ids: list[str]) -> dict[str, int]:
        """Open queries per note, for the notes given (the work queue's "query open")."""
        if not note_ids:
            return {}
        rows = self.session.execute(
            select(ProviderQuery.note_id, func.count())
            .where(ProviderQuery.note_id.in_(note_ids), ProviderQuery.status == "open")
            .group_by(ProviderQuery.note_id)
        )
        return {note_id: count for note_id, count in rows}

    def stats(self, since: datetime | None) -> QueryStats:
        """Queries raised since ``since``: by status and kind, how they were answered, the median time to answer."""
        window = [ProviderQuery.created_at >= since] if since is not None else []
        by_kind: dict[str, dict[str, int]] = {}
        for kind, status, count in self.session.execute(
            select(ProviderQuery.finding_kind, ProviderQuery.status, func.count())
            .where(*window)
            .group_by(ProviderQuery.finding_kind, ProviderQuery.status)
        ):
            by_kind.setdefault(kind, {})[status] = count
        kinds = [
            KindCount(kind=kind, raised=sum(counts.values()), **counts) for kind, counts in sorted(by_kind.items())
        ]
        answers = dict(
            self.session.execute(
                select(ProviderQuery.answer_kind, func.count())
                .where(*window, ProviderQuery.status == "answered")
                .group_by(ProviderQuery.answer_kind)
            ).all()
        )
        # In Python: medians are not portable SQL; one row per answered query in the window.
        waits = [
            (closed - created).total_seconds() / 3600
            for created, closed in self.session.execute(
                select(ProviderQuery.created_at, ProviderQuery.closed_at).where(
                    *window, ProviderQuery.status == "answered"
                )
            )
            if closed is not None
        ]
        return QueryStats(
            raised=sum(row.raised for row in kinds),
            open=sum(row.open for row in kinds),
            answered=sum(row.answered for row in kinds),
            withdrawn=sum(row.withdrawn for row in kinds),
            median_hours_to_answer=round(statistics.median(waits), 4) if waits else None,
            by_kind=kinds,
            answers={kind: answers.get(kind, 0) for kind in ("clinical", "other", "undetermined")},
        )

    def purge_closed(self, closed_before: datetime, actor: str, *, audit_when_empty: bool = True) -> int:
        """Blank the words of answered and withdrawn queries closed before ``closed_before`` (kinds, statuses and
        times stay for statistics); open queries are kept whole: they are still in the provider's hands."""
        with write_transaction(self.session):
            stored = self.session.scalars(
                select(ProviderQuery).where(
                    ProviderQuery.status != "open",
                    ProviderQuery.closed_at < closed_before,
                    ProviderQuery.text_purged_at.is_(None),
                )
            ).all()
            _blank(stored)
            if stored or audit_when_empty:
                AuditRepository(self.session).record(
                    actor,
                    "queries.purged",
                    details={"queries": len(stored), "closed_before": closed_before.isoformat()},
                )
        return len(stored)


def _blank(queries: Any) -> None:
    now = utcnow()
    for stored in queries:
        stored.finding = None
        stored.question = None
        stored.indicators = None
        stored.options = None
        stored.answer_text = None
        stored.withdraw_reason = None
        stored.text_purged_at = now


def blank_queries_of_notes(session: Session, note_ids: list[str]) -> int:
    """Blank the words of every query on these notes (their text is being purged: the queries quote it), in the
    caller's transaction; returns how many queries were blanked."""
    if not note_ids:
        return 0
    stored = session.scalars(
        select(ProviderQuery).where(ProviderQuery.note_id.in_(note_ids), ProviderQuery.text_purged_at.is_(None))
    ).all()
    _blank(stored)
    return len(stored)
