"""Reading and writing the service's tables; every write commits before it returns (acknowledged = durable)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.errors import IdempotencyConflictError, KeyNameTakenError, KeyNotFoundError, ReviewIdTakenError
from service.security import SHOWN_PREFIX_LENGTH, Principal, generate_token, hash_token, token_matches
from service.store.database import write_transaction
from service.store.models import ROLES, ApiKey, AuditEntry, Note, ProviderQuery, Review, ReviewCode, new_id, utcnow

__all__ = [
    "AuditRepository",
    "CodeCount",
    "KeyRepository",
    "NoteRef",
    "NoteRepository",
    "ReviewDecision",
    "ReviewRepository",
    "StatsRepository",
    "StatsSnapshot",
    "cutoff",
    "request_fingerprint",
    "scoped_idempotency_key",
]

_MAX_ATTEMPTS = 3


class AuditRepository:
    """The append-only trail: this class can add and read entries, nothing else."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        actor: str,
        action: str,
        *,
        actor_key_id: str | None = None,
        target: str | None = None,
        model_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Add an entry to the caller's open transaction (it commits with the change it describes)."""
        entry = AuditEntry(
            at=utcnow(),
            actor=actor,
            actor_key_id=actor_key_id,
            action=action,
            target=target,
            model_id=model_id,
            details=details or {},
        )
        self.session.add(entry)
        return entry

    def page(self, limit: int, offset: int, action: str | None = None) -> tuple[list[AuditEntry], int]:
        query = select(AuditEntry)
        if action:
            query = query.where(AuditEntry.action == action)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        entries = self.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
        return list(entries), total


class KeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, name: str, role: str, actor: str) -> tuple[ApiKey, str]:
        """Store a new key and return it with its token (the only time the token exists in clear)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        token = generate_token()
        key = ApiKey(
            id=new_id(), name=name, role=role, key_hash=hash_token(token), key_prefix=token[:SHOWN_PREFIX_LENGTH]
        )
        try:
            with write_transaction(self.session):
                if self.session.scalar(select(ApiKey.id).where(ApiKey.name == name)):
                    raise KeyNameTakenError(f"A key named {name!r} exists already; pick another name.")
                self.session.add(key)
                AuditRepository(self.session).record(
                    actor, "key.created", target=key.id, details={"name": name, "role": role}
                )
        except IntegrityError:  # a concurrent create took the name between our check and our insert
            raise KeyNameTakenError(f"A key named {name!r} exists already; pick another name.") from None
        return key, token

    def authenticate(self, token: str) -> Principal | None:
        """The active key whose hash matches ``token``, or None."""
        key = self.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(token)))
        if key is None or not key.active or not token_matches(token, key.key_hash):
            return None
        return Principal(key_id=key.id, name=key.name, role=key.role)

    def revoke(self, name_or_id: str, actor: str) -> ApiKey:
        with write_transaction(self.session):
            key = self.session.scalar(select(ApiKey).where(or_(ApiKey.name == name_or_id, ApiKey.id == name_or_id)))
            if key is None:
                raise KeyNotFoundError(f"No API key is named or has the id {name_or_id!r}.")
            if key.active:
                key.revoked_at = utcnow()
                AuditRepository(self.session).record(actor, "key.revoked", target=key.id, details={"name": key.name})
        return key

    def all(self) -> list[ApiKey]:
        return list(self.session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all())

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(ApiKey)) or 0


def _reviewed() -> Any:
    return exists().where(Review.note_id == Note.id)


def _open_queries() -> Select[Any]:
    return (
        select(ProviderQuery.id).where(ProviderQuery.note_id == Note.id, ProviderQuery.status == "open").correlate(Note)
    )


class NoteRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        text: str,
        setting: str,
        external_id: str | None,
        encounter: dict[str, Any] | None,
        suggestions: dict[str, Any],
        created_by: str,
        actor: str | None = None,
    ) -> Note:
        """Store a note and audit its creation (who, when, which note: never its text) in one transaction.

        ``created_by`` is the creating API key's id; ``actor`` its name for the audit trail (default: the id).
        """
        note = Note(
            id=new_id(),
            external_id=external_id,
            setting=setting,
            encounter=encounter,
            text=text,
            model_id=suggestions["model"],
            suggestions=suggestions,
            suggestion_count=len(suggestions["suggestions"]),
            created_by=created_by,
            created_at=utcnow(),
        )
        with write_transaction(self.session):
            self.session.add(note)
            AuditRepository(self.session).record(
                actor or created_by,
                "note.created",
                actor_key_id=created_by,
                target=note.id,
                model_id=note.model_id,
                details={"setting": setting, "suggestions": note.suggestion_count},
            )
        return note

    def get(self, note_id: str) -> Note | None:
        """A note without auditing: for checks that never show its text (use :meth:`read` to show it)."""
        return self.session.get(Note, note_id)

    def read(self, note_id: str, reader: Principal) -> Note | None:
        """A note whose text is about to be shown to ``reader``: the read is audited (never the text itself)."""
        with write_transaction(self.session):
            note = self.session.get(Note, note_id)
            if note is None:
                return None
            AuditRepository(self.session).record(
                reader.name,
                "note.read",
                actor_key_id=reader.key_id,
                target=note.id,
                details={"text": note.text is not None},  # whether any text was shown (purged notes have none)
            )
        return note

    def page(self, status: str | None, limit: int, offset: int) -> tuple[list[tuple[Note, int, int]], int]:
        """Notes newest first, each with its number of reviews and of open provider queries; how many match in all.

        ``query_open``: not reviewed yet, with a query open (a note shows so until the coder submits its review);
        ``pending``: not reviewed, no query open.
        """
        review_count = select(func.count(Review.id)).where(Review.note_id == Note.id).correlate(Note).scalar_subquery()
        open_queries = _open_queries()
        query: Select[Any] = select(Note, review_count, open_queries.with_only_columns(func.count()).scalar_subquery())
        if status == "reviewed":
            query = query.where(_reviewed())
        elif status == "pending":
            query = query.where(~_reviewed(), ~open_queries.exists())
        elif status == "query_open":
            query = query.where(~_reviewed(), open_queries.exists())
        total = self.session.scalar(select(func.count()).select_from(query.with_only_columns(Note.id).subquery()))
        rows = self.session.execute(query.order_by(Note.created_at.desc(), Note.id).limit(limit).offset(offset))
        return [(note, count, queries) for note, count, queries in rows], total or 0

    def purge_text(self, older_than: datetime, actor: str, *, audit_when_empty: bool = True) -> int:
        """Blank the text (and the evidence words quoted from it) of notes created before ``older_than``.

        The server's periodic purge passes ``audit_when_empty=False`` so that hourly runs purging nothing
        do not flood the audit log; a purge someone asked for is always recorded.
        """
        with write_transaction(self.session):
            notes = self.session.scalars(select(Note).where(Note.created_at < older_than, Note.text.is_not(None))).all()
            now = utcnow()
            for note in notes:
                note.text = None
                note.text_purged_at = now
                note.suggestions = _without_evidence_text(note.suggestions)
            # provider queries quote their note: purged with it (queries.py imports this module, hence here)
            from service.store.queries import blank_queries_of_notes

            queries = blank_queries_of_notes(self.session, [note.id for note in notes])
            if notes or audit_when_empty:
                AuditRepository(self.session).record(
                    actor,
                    "notes.purged",
                    details={"notes": len(notes), "queries": queries, "older_than": older_than.isoformat()},
                )
        return len(notes)


def _without_evidence_text(suggestions: dict[str, Any]) -> dict[str, Any]:
    """The stored engine JSON with every quoted piece of the note replaced by null; offsets are kept."""

    def scrub(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**item, "evidence": [{**piece, "text": None} for piece in item.get("evidence", [])]} for item in items]

    scrubbed = {
        **suggestions,
        "suggestions": scrub(suggestions.get("suggestions", [])),
        "excluded": scrub(suggestions.get("excluded", [])),
    }
    if "documentation" in suggestions:  # findings quote the note too: evidence and the indicators queries cite
        scrubbed["documentation"] = [
            {**finding, "indicators": [{**piece, "text": None} for piece in finding.get("indicators", [])]}
            for finding in scrub(suggestions["documentation"])
        ]
    return scrubbed


@dataclass(frozen=True, slots=True)
class NoteRef:
    """The two facts a review needs about its note, as plain values (they outlive the read transaction)."""

    id: str
    model_id: str


@dataclass(frozen=True, slots=True)
class ReviewDecision:
    """A review as the coder sent it, codes already checked and in canonical form."""

    accepted: tuple[str, ...]
    rejected: tuple[str, ...]
    added: tuple[str, ...]
    sequence: tuple[str, ...] = ()  # reporting order of (some of) the accepted and added codes
    poa: tuple[tuple[str, str], ...] = ()  # (code, present-on-admission indicator), accepted/added codes only

    def audit_details(self) -> dict[str, Any]:
        """The decision as the audit trail records it (a note's review and an encounter's alike)."""
        return {
            "accepted": list(self.accepted),
            "rejected": list(self.rejected),
            "added": list(self.added),
            "sequence": list(self.sequence),
            "poa": dict(self.poa),
        }

    def rows(self) -> list[tuple[str, str]]:
        return [
            *((code, "accepted") for code in self.accepted),
            *((code, "rejected") for code in self.rejected),
            *((code, "added") for code in self.added),
        ]

    def review_codes(self) -> list[ReviewCode]:
        """One row per decision, with its place in the reporting order and its POA where the coder gave them."""
        position = {code: place for place, code in enumerate(self.sequence, start=1)}
        poa = dict(self.poa)
        return [
            ReviewCode(code=code, decision=kind, position=position.get(code), poa=poa.get(code))
            for code, kind in self.rows()
        ]


def request_fingerprint(note_id: str, decision: ReviewDecision) -> str:
    """What makes two review requests "the same" for idempotency (the codes as sets, per decision; the
    reporting order and POA indicators when sent)."""
    canonical: dict[str, Any] = {
        "note": note_id,
        "accepted": sorted(decision.accepted),
        "rejected": sorted(decision.rejected),
        "added": sorted(decision.added),
    }
    # Only when sent, so that the fingerprints of reviews stored before these fields existed stay the same.
    if decision.sequence:
        canonical["sequence"] = list(decision.sequence)
    if decision.poa:
        canonical["poa"] = sorted(decision.poa)
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode("utf-8")).hexdigest()


def scoped_idempotency_key(caller_key_id: str, key: str) -> str:
    """What the database stores for a caller's idempotency key: the key bound to the API key that sent it.

    Keys are the caller's own namespace: another caller sending the same key neither gets the stored review
    nor learns that the key was used (its request is simply a new one). A digest keeps the stored value
    within the column's 200 characters whatever the key's length; the prefix tells it from keys stored raw
    before keys were scoped (those no longer match anything: a retry spanning the upgrade stores a new version).
    """
    digest = hashlib.sha256(f"{caller_key_id}\n{key}".encode()).hexdigest()
    return f"scoped:{digest}"


class ReviewRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_idempotency_key(self, caller_key_id: str, key: str) -> Review | None:
        """The review that this caller stored with this idempotency key, if any."""
        scoped = scoped_idempotency_key(caller_key_id, key)
        return self.session.scalar(select(Review).where(Review.idempotency_key == scoped))

    def add(
        self,
        note: NoteRef,
        decision: ReviewDecision,
        coder: Principal,
        *,
        idempotency_key: str | None,
        review_id: str | None,
        on_stored: Callable[[Session, Review], object] | None = None,
    ) -> tuple[Review, bool]:
        """Store a new version of the note's review, or return the one this idempotency key stored before.

        ``on_stored`` runs in the review's transaction once a new review is added (filing it: both are stored or
        neither). Returns ``(review, created)``. Reviews of one note are serialised on the note's row lock (SQLite:
        the database write lock), so each reads the latest version and the stored idempotency keys after
        the previous one committed. A key reused on another note at the same moment hits the unique
        constraint instead: one more round then finds it and answers 409.
        """
        fingerprint = request_fingerprint(note.id, decision)
        for _attempt in range(_MAX_ATTEMPTS):
            try:
                return self._store(note, decision, coder, idempotency_key, review_id, fingerprint, on_stored)
            except IntegrityError:
                self.session.rollback()
        raise RuntimeError(f"could not store a review of note {note.id} after {_MAX_ATTEMPTS} attempts")

    def _replay(self, coder: Principal, idempotency_key: str, fingerprint: str) -> Review | None:
        stored = self.by_idempotency_key(coder.key_id, idempotency_key)
        if stored is not None and stored.request_hash != fingerprint:
            raise IdempotencyConflictError(
                "This idempotency key (Idempotency-Key header or review_id) was already used for a different "
                "review; use a new key for a new review."
            )
        return stored

    def _store(
        self,
        note: NoteRef,
        decision: ReviewDecision,
        coder: Principal,
        idempotency_key: str | None,
        review_id: str | None,
        fingerprint: str,
        on_stored: Callable[[Session, Review], object] | None = None,
    ) -> tuple[Review, bool]:
        with write_transaction(self.session):
            self.session.execute(select(Note.id).where(Note.id == note.id).with_for_update())
            if (
                idempotency_key is not None
                and (stored := self._replay(coder, idempotency_key, fingerprint)) is not None
            ):
                return stored, False
            if review_id is not None and self.session.get(Review, review_id) is not None:
                # not this caller's retry (that was answered above): the id belongs to another review
                raise ReviewIdTakenError(
                    "Another review has this review_id; choose a new id for a new review.", review_id=review_id
                )
            latest = self.session.scalar(select(func.max(Review.version)).where(Review.note_id == note.id))
            review = Review(
                id=review_id or new_id(),
                note_id=note.id,
                version=(latest or 0) + 1,
                idempotency_key=None
                if idempotency_key is None
                else scoped_idempotency_key(coder.key_id, idempotency_key),
                request_hash=fingerprint,
                coder_key_id=coder.key_id,
                coder_name=coder.name,
                model_id=note.model_id,
                created_at=utcnow(),
                codes=decision.review_codes(),
            )
            self.session.add(review)
            AuditRepository(self.session).record(
                coder.name,
                "review.created",
                actor_key_id=coder.key_id,
                target=note.id,
                model_id=note.model_id,
                details={
                    "review_id": review.id,
                    "version": review.version,
                    **decision.audit_details(),
                },
            )
            if on_stored is not None:
                on_stored(self.session, review)
        return review, True


@dataclass(frozen=True, slots=True)
class CodeCount:
    code: str
    accepted: int = 0
    rejected: int = 0
    added: int = 0


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    reviews_total: int
    notes_reviewed: int
    reviews_per_day: list[tuple[str, int]]
    per_code: list[CodeCount]
    per_model: list[tuple[str, int, int, int]]  # model, reviews, accepted, rejected


class StatsRepository:
    """Aggregates over reviews. Decisions count once per note: only each note's latest review version."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def snapshot(self, since: datetime | None) -> StatsSnapshot:
        window = [Review.created_at >= since] if since is not None else []
        reviews_total = self.session.scalar(select(func.count(Review.id)).where(*window)) or 0
        day = func.date(Review.created_at)
        per_day = self.session.execute(select(day, func.count(Review.id)).where(*window).group_by(day).order_by(day))
        latest = self._latest_reviews(window)
        decisions = self.session.execute(
            select(ReviewCode.code, ReviewCode.decision, func.count())
            .join(latest, ReviewCode.review_id == latest.c.id)
            .group_by(ReviewCode.code, ReviewCode.decision)
        )
        per_model = self._per_model(latest)
        notes_reviewed = self.session.scalar(select(func.count()).select_from(latest)) or 0
        return StatsSnapshot(
            reviews_total=reviews_total,
            notes_reviewed=notes_reviewed,
            reviews_per_day=[(str(when), count) for when, count in per_day],
            per_code=_code_counts(decisions),
            per_model=per_model,
        )

    def _latest_reviews(self, window: Sequence[Any]) -> Any:
        newest = (
            select(Review.note_id, func.max(Review.version).label("version"))
            .where(*window)
            .group_by(Review.note_id)
            .subquery()
        )
        return (
            select(Review.id, Review.model_id)
            .join(newest, and_(Review.note_id == newest.c.note_id, Review.version == newest.c.version))
            .subquery()
        )

    def _per_model(self, latest: Any) -> list[tuple[str, int, int, int]]:
        decided = (
            select(
                latest.c.model_id,
                func.count(func.distinct(latest.c.id)),
                func.count(ReviewCode.id).filter(ReviewCode.decision == "accepted"),
                func.count(ReviewCode.id).filter(ReviewCode.decision == "rejected"),
            )
            .select_from(latest)
            .outerjoin(ReviewCode, ReviewCode.review_id == latest.c.id)
            .group_by(latest.c.model_id)
            .order_by(latest.c.model_id)
        )
        return [
            (model, reviews, accepted, rejected) for model, reviews, accepted, rejected in self.session.execute(decided)
        ]


def _code_counts(rows: Any) -> list[CodeCount]:
    counts: dict[str, dict[str, int]] = {}
    for code, decision, count in rows:
        counts.setdefault(code, {})[decision] = count
    return [CodeCount(code=code, **by_decision) for code, by_decision in counts.items()]


def cutoff(days: int) -> datetime:
    """The moment ``days`` days ago, for retention and statistics windows."""
    return utcnow() - timedelta(days=days)
