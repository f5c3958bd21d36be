"""The service's tables, as typed SQLAlchemy 2 ORM classes.

Reviews and the audit log are append-only: no code path updates or deletes them, and the migration adds
triggers that refuse UPDATE and DELETE on both (SQLite and PostgreSQL). A note's status is derived (it is
"reviewed" once any review of it exists), so nothing needs to change a note when it is reviewed; the only
update a note ever gets is the retention purge blanking its text.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, get_args

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ANSWER_KINDS",
    "DECISIONS",
    "JOB_KINDS",
    "JOB_STATUSES",
    "MODEL_JOB_SLOT",
    "POA_VALUES",
    "QUERY_STATUSES",
    "ROLES",
    "AnswerKind",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Job",
    "JobKind",
    "JobStatus",
    "Note",
    "ProviderQuery",
    "QueryStatus",
    "Review",
    "ReviewCode",
    "new_id",
    "utcnow",
]

ROLES = ("coder", "admin")
DECISIONS = ("accepted", "rejected", "added")
# Present-on-admission indicators (ICD-10-CM Official Guidelines, Appendix I): 1 marks a code exempt from reporting.
POA_VALUES = ("Y", "N", "U", "W", "1")
JobKind = Literal["retrain", "bootstrap"]
JobStatus = Literal["queued", "running", "succeeded", "failed"]
JOB_KINDS: tuple[JobKind, ...] = get_args(JobKind)
JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
MODEL_JOB_SLOT = "models"  # retraining and bootstrapping both write the registry: one of them at a time


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone: it is added back on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: chartcoder stores UTC datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    setting: Mapped[str] = mapped_column(String(16))
    encounter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text)  # None once purged by the retention setting
    text_purged_at: Mapped[datetime | None] = mapped_column(default=None)
    model_id: Mapped[str] = mapped_column(String(200))
    suggestions: Mapped[dict[str, Any]] = mapped_column(JSON)
    suggestion_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    reviews: Mapped[list[Review]] = relationship(
        back_populates="note", order_by="Review.version", lazy="selectin", viewonly=True
    )


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("note_id", "version", name="uq_reviews_note_version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    coder_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    coder_name: Mapped[str] = mapped_column(String(100))
    model_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    note: Mapped[Note] = relationship(back_populates="reviews", viewonly=True)
    codes: Mapped[list[ReviewCode]] = relationship(order_by="ReviewCode.id", lazy="selectin")

    def codes_with(self, decision: str) -> list[str]:
        return [row.code for row in self.codes if row.decision == decision]

    @property
    def sequence(self) -> list[str]:
        """The coder's reporting order of the accepted and added codes (empty for reviews stored without one)."""
        ordered = sorted((row.position, row.code) for row in self.codes if row.position is not None)
        return [code for _position, code in ordered]

    @property
    def poa(self) -> list[tuple[str, str]]:
        """(code, present-on-admission indicator) for each code the coder gave one (inpatient notes)."""
        return [(row.code, row.poa) for row in self.codes if row.poa is not None]


class ReviewCode(Base):
    """One decision of a review on one code: the rows the statistics count."""

    __tablename__ = "review_codes"
    __table_args__ = (Index("ix_review_codes_code_decision", "code", "decision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    # 1-based place in the coder's reporting order (rank 1 the principal / first-listed); NULL for rejected
    # codes and for reviews stored before the order was kept (migration 0003).
    position: Mapped[int | None] = mapped_column(Integer, default=None)
    poa: Mapped[str | None] = mapped_column(String(1), default=None)  # one of POA_VALUES, inpatient notes only


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_key_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    model_id: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Job(Base):
    """A model job (retraining from the stored reviews, or building the bootstrap model) run by a worker process.

    ``active_slot`` holds :data:`MODEL_JOB_SLOT` while the job is queued or running and NULL afterwards; its
    unique constraint lets the database itself refuse a second active model job, whichever server process or
    host asks (several NULLs are allowed on SQLite and PostgreSQL alike). The worker reports through
    ``heartbeat_at`` every few seconds: an active job whose heartbeat stops counts as failed. Never note text.
    """

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    active_slot: Mapped[str | None] = mapped_column(String(32), unique=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_key_id: Mapped[str | None] = mapped_column(String(32))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    worker_pid: Mapped[int | None] = mapped_column(Integer, default=None)
    worker_host: Mapped[str | None] = mapped_column(String(255), default=None)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    model_id: Mapped[str | None] = mapped_column(String(200), default=None)
    promoted: Mapped[bool | None] = mapped_column(Boolean, default=None)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")


QueryStatus = Literal["open", "answered", "withdrawn"]
QUERY_STATUSES: tuple[QueryStatus, ...] = get_args(QueryStatus)
# How a provider answered: one of the query's clinical options, "other" (their own words) or "undetermined".
AnswerKind = Literal["clinical", "other", "undetermined"]
ANSWER_KINDS: tuple[AnswerKind, ...] = get_args(AnswerKind)


class ProviderQuery(Base):
    """A provider query a coder raised from a documentation finding, sent (by the coder, outside chartcoder) and
    tracked to its answer or withdrawal.

    The text columns quote the note (PHI): ``question``, ``indicators``, ``options``, ``finding``, ``answer_text``
    and ``withdraw_reason`` are blanked by the retention purge (``text_purged_at``); kinds, statuses, times and the
    answer's kind stay for statistics. Status moves once: ``open`` to ``answered`` or ``withdrawn``.
    """

    __tablename__ = "provider_queries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id"), index=True)
    encounter_id: Mapped[str | None] = mapped_column(String(200), index=True)  # the note's, for the queue filter
    finding_kind: Mapped[str] = mapped_column(String(100), index=True)
    finding: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    question: Mapped[str | None] = mapped_column(Text)
    indicators: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    options: Mapped[list[str] | None] = mapped_column(JSON)
    option_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    created_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # when the coder marked it sent
    closed_at: Mapped[datetime | None] = mapped_column(default=None)  # answered or withdrawn
    closed_by_name: Mapped[str | None] = mapped_column(String(100), default=None)
    answer_kind: Mapped[str | None] = mapped_column(String(16), default=None)  # one of ANSWER_KINDS
    answer_option: Mapped[int | None] = mapped_column(Integer, default=None)  # index into options
    answer_text: Mapped[str | None] = mapped_column(Text, default=None)
    withdraw_reason: Mapped[str | None] = mapped_column(Text, default=None)
    text_purged_at: Mapped[datetime | None] = mapped_column(default=None)
