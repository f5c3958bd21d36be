"""Reading and writing encounters and their reviews; every write commits before it returns, with its audit entry.

Never note text in the audit log: an encounter's creation records its setting and counts, a read of its
documents (``encounter.read``) who read which encounter, a review its decisions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.errors import IdempotencyConflictError, ReviewIdTakenError
from service.security import Principal
from service.store.database import write_transaction
from service.store.encounter_models import EncounterDocumentRow, EncounterRecord, EncounterReview, EncounterReviewCode
from service.store.models import AuditEntry, new_id, utcnow
from service.store.repositories import AuditRepository, ReviewDecision, scoped_idempotency_key

__all__ = ["EncounterRef", "EncounterRepository", "EncounterReviewRepository", "StoredDocument"]

_MAX_ATTEMPTS = 3
READ_ACTION = "encounter.read"


@dataclass(frozen=True, slots=True)
class StoredDocument:
    document_id: str
    doc_type: str
    written_on: date | None
    text: str


@dataclass(frozen=True, slots=True)
class EncounterRef:
    """The facts a review needs about its encounter, as plain values."""

    id: str
    model_id: str


def _reviewed() -> Any:
    return exists().where(EncounterReview.encounter_id == EncounterRecord.id)


class EncounterRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        documents: list[StoredDocument],
        setting: str,
        external_id: str | None,
        patient_id: str | None,
        details: dict[str, Any],
        service_date: date | None,
        suggestions: dict[str, Any],
        creator: Principal,
    ) -> EncounterRecord:
        """Store an encounter with its documents and audit its creation (never the text) in one transaction."""
        encounter = EncounterRecord(
            id=new_id(),
            external_id=external_id,
            patient_id=patient_id,
            setting=setting,
            details=details,
            service_date=service_date,
            model_id=suggestions["model"],
            suggestions=suggestions,
            suggestion_count=len(suggestions["suggestions"]),
            document_count=len(documents),
            created_by=creator.key_id,
            created_at=utcnow(),
            documents=[
                EncounterDocumentRow(
                    position=position,
                    document_id=document.document_id,
                    doc_type=document.doc_type,
                    written_on=document.written_on,
                    text=document.text,
                )
                for position, document in enumerate(documents)
            ],
        )
        with write_transaction(self.session):
            self.session.add(encounter)
            AuditRepository(self.session).record(
                creator.name,
                "encounter.created",
                actor_key_id=creator.key_id,
                target=encounter.id,
                model_id=encounter.model_id,
                details={
                    "setting": setting,
                    "documents": len(documents),
                    "suggestions": encounter.suggestion_count,
                },
            )
        return encounter

    def get(self, encounter_id: str) -> EncounterRecord | None:
        """An encounter without auditing: for checks that never show its text (use :meth:`read` to show it)."""
        return self.session.get(EncounterRecord, encounter_id)

    def read(self, encounter_id: str, reader: Principal) -> EncounterRecord | None:
        """An encounter whose documents are about to be shown to ``reader``: the read is audited (never the
        text); it is also when the reader opened the encounter, for the review's time to submit."""
        with write_transaction(self.session):
            encounter = self.session.get(EncounterRecord, encounter_id)
            if encounter is None:
                return None
            AuditRepository(self.session).record(
                reader.name,
                READ_ACTION,
                actor_key_id=reader.key_id,
                target=encounter.id,
                details={"documents": len(encounter.documents), "text": any(d.text for d in encounter.documents)},
            )
        return encounter

    def page(self, status: str | None, limit: int, offset: int) -> tuple[list[tuple[EncounterRecord, int]], int]:
        """Encounters newest first, each with its number of reviews; and how many match in all."""
        review_count = (
            select(func.count(EncounterReview.id))
            .where(EncounterReview.encounter_id == EncounterRecord.id)
            .correlate(EncounterRecord)
            .scalar_subquery()
        )
        query: Select[Any] = select(EncounterRecord, review_count)
        if status == "reviewed":
            query = query.where(_reviewed())
        elif status == "pending":
            query = query.where(~_reviewed())
        total = self.session.scalar(
            select(func.count()).select_from(query.with_only_columns(EncounterRecord.id).subquery())
        )
        rows = self.session.execute(
            query.order_by(EncounterRecord.created_at.desc(), EncounterRecord.id).limit(limit).offset(offset)
        )
        return [(encounter, count) for encounter, count in rows], total or 0

    def purge_text(self, older_than: datetime, actor: str, *, audit_when_empty: bool = True) -> int:
        """Blank the documents' text (and the evidence words quoted from it) of encounters created before
        ``older_than``; codes, offsets and reviews stay."""
        with write_transaction(self.session):
            encounters = self.session.scalars(
                select(EncounterRecord).where(
                    EncounterRecord.created_at < older_than,
                    exists().where(
                        EncounterDocumentRow.encounter_id == EncounterRecord.id, EncounterDocumentRow.text.is_not(None)
                    ),
                )
            ).all()
            now = utcnow()
            for encounter in encounters:
                for document in encounter.documents:
                    document.text = None
                    document.text_purged_at = now
                encounter.suggestions = _without_evidence_text(encounter.suggestions)
            if encounters or audit_when_empty:
                AuditRepository(self.session).record(
                    actor,
                    "encounters.purged",
                    details={"encounters": len(encounters), "older_than": older_than.isoformat()},
                )
        return len(encounters)


def _without_evidence_text(suggestions: dict[str, Any]) -> dict[str, Any]:
    def scrub(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**item, "evidence": [{**piece, "text": None} for piece in item.get("evidence", [])]} for item in items]

    return {
        **suggestions,
        "suggestions": scrub(suggestions.get("suggestions", [])),
        "excluded": scrub(suggestions.get("excluded", [])),
    }


def request_fingerprint(encounter_id: str, decision: ReviewDecision) -> str:
    canonical = {
        "encounter": encounter_id,
        "accepted": sorted(decision.accepted),
        "rejected": sorted(decision.rejected),
        "added": sorted(decision.added),
        "sequence": list(decision.sequence),
        "poa": sorted(decision.poa),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode("utf-8")).hexdigest()


class EncounterReviewRepository:
    """Reviews of encounters: each submission a new version, a retry with its idempotency key the stored one."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        encounter: EncounterRef,
        decision: ReviewDecision,
        coder: Principal,
        *,
        idempotency_key: str | None,
        review_id: str | None,
        on_stored: Callable[[Session, EncounterReview], object] | None = None,
    ) -> tuple[EncounterReview, bool]:
        """Store the encounter's next review version (``(review, True)``), or the one this idempotency key
        stored before (``(review, False)``). Reviews of one encounter are serialised on its row lock.

        ``on_stored`` runs in the review's transaction once a new review is added (filing it, issue 17.3: both
        are stored or neither); ``review.final_codes()`` gives its reported codes in order with their POA."""
        fingerprint = request_fingerprint(encounter.id, decision)
        for _attempt in range(_MAX_ATTEMPTS):
            try:
                return self._store(encounter, decision, coder, idempotency_key, review_id, fingerprint, on_stored)
            except IntegrityError:
                self.session.rollback()
        raise RuntimeError(f"could not store a review of encounter {encounter.id} after {_MAX_ATTEMPTS} attempts")

    def _opened_at(self, encounter_id: str, coder: Principal) -> datetime | None:
        """When this coder last opened the encounter (its latest audited read)."""
        return self.session.scalar(
            select(func.max(AuditEntry.at)).where(
                AuditEntry.action == READ_ACTION,
                AuditEntry.target == encounter_id,
                AuditEntry.actor_key_id == coder.key_id,
            )
        )

    def _store(
        self,
        encounter: EncounterRef,
        decision: ReviewDecision,
        coder: Principal,
        idempotency_key: str | None,
        review_id: str | None,
        fingerprint: str,
        on_stored: Callable[[Session, EncounterReview], object] | None = None,
    ) -> tuple[EncounterReview, bool]:
        with write_transaction(self.session):
            self.session.execute(select(EncounterRecord.id).where(EncounterRecord.id == encounter.id).with_for_update())
            if idempotency_key is not None:
                scoped = scoped_idempotency_key(coder.key_id, idempotency_key)
                stored = self.session.scalar(select(EncounterReview).where(EncounterReview.idempotency_key == scoped))
                if stored is not None:
                    if stored.request_hash != fingerprint:
                        raise IdempotencyConflictError(
                            "This idempotency key (Idempotency-Key header or review_id) was already used for a "
                            "different review; use a new key for a new review."
                        )
                    return stored, False
            if review_id is not None and self.session.get(EncounterReview, review_id) is not None:
                raise ReviewIdTakenError(
                    "Another review has this review_id; choose a new id for a new review.", review_id=review_id
                )
            latest = self.session.scalar(
                select(func.max(EncounterReview.version)).where(EncounterReview.encounter_id == encounter.id)
            )
            now = utcnow()
            opened_at = self._opened_at(encounter.id, coder)
            review = EncounterReview(
                id=review_id or new_id(),
                encounter_id=encounter.id,
                version=(latest or 0) + 1,
                idempotency_key=None
                if idempotency_key is None
                else scoped_idempotency_key(coder.key_id, idempotency_key),
                request_hash=fingerprint,
                coder_key_id=coder.key_id,
                coder_name=coder.name,
                model_id=encounter.model_id,
                opened_at=opened_at,
                seconds_to_submit=None if opened_at is None else round((now - opened_at).total_seconds(), 3),
                created_at=now,
                codes=[
                    EncounterReviewCode(code=row.code, decision=row.decision, position=row.position, poa=row.poa)
                    for row in decision.review_codes()
                ],
            )
            self.session.add(review)
            AuditRepository(self.session).record(
                coder.name,
                "encounter.reviewed",
                actor_key_id=coder.key_id,
                target=encounter.id,
                model_id=encounter.model_id,
                details={
                    "review_id": review.id,
                    "version": review.version,
                    **decision.audit_details(),
                    "seconds_to_submit": review.seconds_to_submit,
                },
            )
            if on_stored is not None:
                self.session.flush()  # the review and its code rows exist for what files them
                on_stored(self.session, review)
        return review, True
