"""The tables of encounters: the chart's documents, the encounter's one code set, and its reviews.

An encounter is stored with its documents (text kept until the retention purge blanks it) and the engine's
merged code set. Reviews of an encounter and their code rows are append-only like the notes' reviews (the
migration adds the triggers): a correction is a new version. Each review keeps when its coder opened the
encounter (the coder's latest read of it) and how many seconds passed until the review was submitted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.store.models import Base, new_id, utcnow

__all__ = ["EncounterDocumentRow", "EncounterRecord", "EncounterReview", "EncounterReviewCode"]


class EncounterRecord(Base):
    __tablename__ = "encounters"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    patient_id: Mapped[str | None] = mapped_column(String(200), index=True)
    setting: Mapped[str] = mapped_column(String(16))
    # age, sex, admission_date, discharge_date as sent (never note text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    service_date: Mapped[date | None] = mapped_column(Date, index=True)
    model_id: Mapped[str] = mapped_column(String(200))
    suggestions: Mapped[dict[str, Any]] = mapped_column(JSON)
    suggestion_count: Mapped[int] = mapped_column(Integer)
    document_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    documents: Mapped[list[EncounterDocumentRow]] = relationship(
        order_by="EncounterDocumentRow.position", lazy="selectin"
    )
    reviews: Mapped[list[EncounterReview]] = relationship(
        order_by="EncounterReview.version", lazy="selectin", viewonly=True
    )


class EncounterDocumentRow(Base):
    __tablename__ = "encounter_documents"
    __table_args__ = (UniqueConstraint("encounter_id", "document_id", name="uq_encounter_documents_document"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[str] = mapped_column(String(200))
    doc_type: Mapped[str] = mapped_column(String(32))
    written_on: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str | None] = mapped_column(Text)  # None once purged by the retention setting
    text_purged_at: Mapped[datetime | None] = mapped_column(default=None)


class EncounterReview(Base):
    __tablename__ = "encounter_reviews"
    __table_args__ = (UniqueConstraint("encounter_id", "version", name="uq_encounter_reviews_version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    coder_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    coder_name: Mapped[str] = mapped_column(String(100))
    model_id: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime | None] = mapped_column(default=None)  # the coder's latest read before submitting
    seconds_to_submit: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    codes: Mapped[list[EncounterReviewCode]] = relationship(order_by="EncounterReviewCode.id", lazy="selectin")

    def codes_with(self, decision: str) -> list[str]:
        return [row.code for row in self.codes if row.decision == decision]

    @property
    def sequence(self) -> list[str]:
        ordered = sorted((row.position, row.code) for row in self.codes if row.position is not None)
        return [code for _position, code in ordered]

    @property
    def poa(self) -> list[tuple[str, str]]:
        return [(row.code, row.poa) for row in self.codes if row.poa is not None]

    def final_codes(self) -> list[tuple[str, int | None, str | None]]:
        """The reported codes (accepted and added), in the coder's order where given: (code, position, poa)."""
        reported = [row for row in self.codes if row.decision in ("accepted", "added")]
        ordered = sorted(reported, key=lambda row: (row.position is None, row.position or 0, row.id))
        return [(row.code, row.position, row.poa) for row in ordered]


class EncounterReviewCode(Base):
    __tablename__ = "encounter_review_codes"
    __table_args__ = (Index("ix_encounter_review_codes_code_decision", "code", "decision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("encounter_reviews.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    position: Mapped[int | None] = mapped_column(Integer, default=None)
    poa: Mapped[str | None] = mapped_column(String(1), default=None)
