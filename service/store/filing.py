"""Filing: a reviewed encounter's final codes, in indexed tables that answer searches fast.

Each filing of an encounter is a version (``filed_encounters`` row, its codes in ``filed_codes``). A correction
after filing files the encounter again: a new version, audited, which becomes the ``current`` one; the versions
before it stay (``current`` false) and no longer answer searches. ``current`` is copied onto each code row so
that the partial indexes of the code searches hold only current, reported codes.

Evidence is kept as places (document id and offsets), never as words: the words stay in the note, whose text the
retention setting purges; an export reads them from there while they exist.

:func:`file_encounter` is the one way in: the review submission calls it (a reviewed note is an encounter of one
document), and so does the per-encounter review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from service.store.models import DECISIONS, POA_VALUES, Base, new_id, utcnow
from service.store.repositories import AuditRepository

__all__ = [
    "CATEGORY_COLUMN",
    "CODE_COLUMN",
    "FILING_STATUSES",
    "EvidenceRef",
    "FiledCode",
    "FiledCodeIn",
    "FiledEncounter",
    "FiledEncounterIn",
    "FilingStatus",
    "file_encounter",
]

FilingStatus = Literal["filed", "corrected"]  # the first filing of an encounter, or a later version of it
FILING_STATUSES: tuple[FilingStatus, ...] = get_args(FilingStatus)
# Codes compare byte by byte on PostgreSQL ("C" collation), as on SQLite, so that a prefix or a range of codes is
# one contiguous stretch of the index whatever the database's locale.
CODE_COLUMN = String(16).with_variant(String(16, collation="C"), "postgresql")
CATEGORY_COLUMN = String(3).with_variant(String(3, collation="C"), "postgresql")


class FiledEncounter(Base):
    """One version of a filed encounter: who coded it, when it happened, the model whose suggestions were reviewed."""

    __tablename__ = "filed_encounters"
    __table_args__ = (
        UniqueConstraint("encounter_id", "version", name="uq_filed_encounters_encounter_version"),
        # Every search pages the current versions newest service date first: one index per filter, in that order.
        Index(
            "ix_filed_encounters_current_service",
            "service_start",
            "id",
            postgresql_where=text("current"),
            sqlite_where=text("current = 1"),
        ),
        Index(
            "ix_filed_encounters_current_patient",
            "patient_id",
            "service_start",
            postgresql_where=text("current"),
            sqlite_where=text("current = 1"),
        ),
        Index(
            "ix_filed_encounters_current_coder",
            "coder_name",
            "service_start",
            postgresql_where=text("current"),
            sqlite_where=text("current = 1"),
        ),
        Index(
            "ix_filed_encounters_current_status",
            "status",
            "service_start",
            postgresql_where=text("current"),
            sqlite_where=text("current = 1"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    encounter_id: Mapped[str] = mapped_column(String(64))  # the service's id (a note's id for a one-document one)
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean)
    external_id: Mapped[str | None] = mapped_column(String(200))  # the caller's encounter id, when it gave one
    patient_id: Mapped[str | None] = mapped_column(String(200))  # PHI: never logged, never in a URL
    patient_age: Mapped[int | None] = mapped_column(Integer)
    patient_sex: Mapped[str | None] = mapped_column(String(16))
    service_start: Mapped[date] = mapped_column(Date)
    service_end: Mapped[date | None] = mapped_column(Date)
    setting: Mapped[str] = mapped_column(String(16))
    coder_name: Mapped[str] = mapped_column(String(100))
    coder_key_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    model_id: Mapped[str] = mapped_column(String(200))
    review_id: Mapped[str | None] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)

    codes: Mapped[list[FiledCode]] = relationship(
        order_by=lambda: [FiledCode.sequence.is_(None), FiledCode.sequence, FiledCode.id], lazy="selectin"
    )

    @property
    def reported(self) -> list[FiledCode]:
        """The accepted and added codes in reporting order (those without a place after, in filing order)."""
        return [code for code in self.codes if code.decision != "rejected"]


class FiledCode(Base):
    """One code of a filed encounter version: its decision, its place in the reporting order, its POA."""

    __tablename__ = "filed_codes"
    __table_args__ = (
        UniqueConstraint("filed_id", "code", name="uq_filed_codes_filed_code"),
        # Code searches read only current, reported codes, newest service date first: an exact code walks the first
        # index in page order, a prefix or a range the second one category at a time (index-only on PostgreSQL).
        Index(
            "ix_filed_codes_current_reported_code_date",
            "code",
            "service_start",
            "filed_id",
            postgresql_where=text("current AND decision != 'rejected'"),
            sqlite_where=text("current = 1 AND decision != 'rejected'"),
        ),
        Index(
            "ix_filed_codes_current_reported_category_date",
            "category",
            "service_start",
            "filed_id",
            "code",
            postgresql_where=text("current AND decision != 'rejected'"),
            sqlite_where=text("current = 1 AND decision != 'rejected'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filed_id: Mapped[str] = mapped_column(ForeignKey("filed_encounters.id"))
    code: Mapped[str] = mapped_column(CODE_COLUMN)
    decision: Mapped[str] = mapped_column(String(16))  # accepted, added or rejected
    sequence: Mapped[int | None] = mapped_column(Integer)  # 1 = principal / first-listed; NULL when rejected
    poa: Mapped[str | None] = mapped_column(String(1))  # Y N U W 1 (inpatient), else NULL
    current: Mapped[bool] = mapped_column(Boolean)
    # Copies of the encounter's service date and of the code's first three characters, so that a code search
    # pages from the code indexes alone (see revision 0007_filed_code_order).
    service_start: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(CATEGORY_COLUMN)
    # [{"document": id, "start": int, "end": int}]: places in the encounter's documents, never their words
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """Where a code's supporting words are: a document of the encounter and character offsets in it."""

    document: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"evidence offsets must satisfy 0 <= start <= end, not {self.start}..{self.end}")


@dataclass(frozen=True, slots=True)
class FiledCodeIn:
    code: str  # canonical spelling (the code set's), checked by the caller
    decision: str  # accepted, added or rejected
    sequence: int | None = None
    poa: str | None = None
    evidence: tuple[EvidenceRef, ...] = ()

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {self.decision!r}")
        if self.poa is not None and self.poa not in POA_VALUES:
            raise ValueError(f"POA must be one of {', '.join(POA_VALUES)}, not {self.poa!r}")
        if self.decision == "rejected" and (self.sequence is not None or self.poa is not None):
            raise ValueError(f"{self.code} is rejected: a rejected code has no place in the order and no POA")
        if self.sequence is not None and self.sequence < 1:
            raise ValueError(f"sequence starts at 1, not {self.sequence}")


@dataclass(frozen=True, slots=True)
class FiledEncounterIn:
    """What filing needs to know about a reviewed encounter."""

    encounter_id: str
    service_start: date
    setting: str
    coder_name: str
    model_id: str
    codes: tuple[FiledCodeIn, ...]
    service_end: date | None = None
    patient_id: str | None = None
    patient_age: int | None = None
    patient_sex: str | None = None
    external_id: str | None = None
    coder_key_id: str | None = None
    review_id: str | None = None
    filed_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)  # extra, non-PHI facts for the audit entry

    def __post_init__(self) -> None:
        if self.service_end is not None and self.service_end < self.service_start:
            raise ValueError("the service end date is before its start")
        codes = [code.code for code in self.codes]
        if len(set(codes)) != len(codes):
            raise ValueError("a code is filed twice in one encounter")
        places = [code.sequence for code in self.codes if code.sequence is not None]
        if len(set(places)) != len(places):
            raise ValueError("two codes share one place in the reporting order")


def file_encounter(session: Session, filed: FiledEncounterIn) -> FiledEncounter:
    """File ``filed`` as the encounter's next version, in the caller's open write transaction, and audit it.

    The version before (if any) stops answering searches. The caller commits (with the review being filed, so
    the two are stored together or not at all) and serialises filings of one encounter (the review path holds
    the note's row lock; a race still fails on the unique (encounter, version) constraint rather than filing
    two current versions).
    """
    previous = session.scalar(
        select(FiledEncounter.version)
        .where(FiledEncounter.encounter_id == filed.encounter_id)
        .order_by(FiledEncounter.version.desc())
        .limit(1)
    )
    if previous is not None:
        session.execute(
            update(FiledCode)
            .where(
                FiledCode.filed_id.in_(
                    select(FiledEncounter.id).where(
                        FiledEncounter.encounter_id == filed.encounter_id, FiledEncounter.current
                    )
                )
            )
            .values(current=False)
        )
        session.execute(
            update(FiledEncounter)
            .where(FiledEncounter.encounter_id == filed.encounter_id, FiledEncounter.current)
            .values(current=False)
        )
    version = (previous or 0) + 1
    row = FiledEncounter(
        id=new_id(),
        encounter_id=filed.encounter_id,
        version=version,
        current=True,
        external_id=filed.external_id,
        patient_id=filed.patient_id,
        patient_age=filed.patient_age,
        patient_sex=filed.patient_sex,
        service_start=filed.service_start,
        service_end=filed.service_end,
        setting=filed.setting,
        coder_name=filed.coder_name,
        coder_key_id=filed.coder_key_id,
        status="filed" if version == 1 else "corrected",
        model_id=filed.model_id,
        review_id=filed.review_id,
        filed_at=filed.filed_at or utcnow(),
        codes=[
            FiledCode(
                code=code.code,
                decision=code.decision,
                sequence=code.sequence,
                poa=code.poa,
                current=True,
                service_start=filed.service_start,
                category=code.code[:3],
                evidence=[{"document": ref.document, "start": ref.start, "end": ref.end} for ref in code.evidence],
            )
            for code in filed.codes
        ],
    )
    session.add(row)
    session.flush()  # the unique (encounter, version) constraint speaks now, inside the caller's transaction
    AuditRepository(session).record(
        filed.coder_name,
        "encounter.filed" if version == 1 else "encounter.corrected",
        actor_key_id=filed.coder_key_id,
        target=filed.encounter_id,
        model_id=filed.model_id,
        details={  # never the patient id: the audit log is read by admins who need no PHI for it
            "filed_id": row.id,
            "version": version,
            "review_id": filed.review_id,
            "codes": {code.code: code.decision for code in filed.codes},
            **filed.details,
        },
    )
    return row
