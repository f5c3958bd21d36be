"""The model-job table: the server queues a job, its worker process claims it, reports, and records the outcome.

One model job at a time, whoever asks: the ``active_slot`` column is unique and set only while a job is queued
or running, so the database refuses a second one even from another server process or host (SQLite also
serialises the check on its write lock). A job whose worker stops reporting for ``stale_after_s`` (killed,
out of memory, its host gone) is closed as failed the next time anyone looks, which frees the slot.
Every transition is audited in the same transaction. Nothing here ever stores note text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.errors import ModelJobConflictError
from service.store.database import write_transaction
from service.store.models import JOB_KINDS, MODEL_JOB_SLOT, Job, new_id, utcnow
from service.store.repositories import AuditRepository

__all__ = ["ERROR_LIMIT", "JobOutcome", "JobRepository"]

ERROR_LIMIT = 2000  # characters of an error message kept on the job


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What a worker reports when its job ends."""

    status: str  # "succeeded" or "failed"
    model_id: str | None = None
    promoted: bool | None = None
    metrics: dict[str, Any] | None = None
    error: str | None = None
    previous_champion: str | None = None  # when ``promoted``: the champion it replaced


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the server side ------------------------------------------------------------------------------------
    def start(
        self,
        kind: str,
        *,
        actor: str,
        actor_key_id: str | None,
        options: dict[str, Any],
        stale_after_s: float,
    ) -> Job:
        """Queue a job, or raise :class:`ModelJobConflictError` naming the model job that is active already."""
        if kind not in JOB_KINDS:
            raise ValueError(f"job kind must be one of {', '.join(JOB_KINDS)}, not {kind!r}")
        try:
            with write_transaction(self.session):
                self._expire_stale(stale_after_s)
                active = self.session.scalar(select(Job).where(Job.active_slot == MODEL_JOB_SLOT))
                if active is not None:
                    raise _conflict(active)
                job = Job(
                    id=new_id(),
                    kind=kind,
                    status="queued",
                    active_slot=MODEL_JOB_SLOT,
                    actor=actor,
                    actor_key_id=actor_key_id,
                    options=options,
                    created_at=utcnow(),
                )
                self.session.add(job)
                AuditRepository(self.session).record(
                    actor, f"{kind}.requested", actor_key_id=actor_key_id, target=job.id, details=dict(options)
                )
        except IntegrityError:  # another process queued one between our check and our insert (PostgreSQL)
            self.session.rollback()
            active = self.session.scalar(select(Job).where(Job.active_slot == MODEL_JOB_SLOT))
            if active is not None:
                raise _conflict(active) from None
            raise ModelJobConflictError("Another model job was started at the same moment; look again.") from None
        return job

    def get(self, job_id: str, *, stale_after_s: float) -> Job | None:
        """The job; an active one whose worker stopped reporting is closed as failed first."""
        job = self.session.get(Job, job_id)
        if job is not None and job.active and _is_stale(job, _limit(stale_after_s)):
            with write_transaction(self.session):
                self._expire_stale(stale_after_s)
            job = self.session.get(Job, job_id, populate_existing=True)
        return job

    def recent(self, limit: int, *, stale_after_s: float) -> list[Job]:
        """The newest jobs first (stale ones closed first)."""
        with write_transaction(self.session):
            self._expire_stale(stale_after_s)
        return list(self.session.scalars(select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)).all())

    def active(self, *, stale_after_s: float) -> Job | None:
        with write_transaction(self.session):
            self._expire_stale(stale_after_s)
            return self.session.scalar(select(Job).where(Job.active_slot == MODEL_JOB_SLOT))

    def fail_if_active(self, job_id: str, error: str) -> bool:
        """Close the job as failed unless its worker recorded an outcome (the server's reaper calls this)."""
        with write_transaction(self.session):
            job = self.session.scalar(select(Job).where(Job.id == job_id).with_for_update())
            if job is None or not job.active:
                return False
            self._close(job, JobOutcome(status="failed", error=error))
        return True

    def _expire_stale(self, stale_after_s: float) -> None:
        limit = _limit(stale_after_s)
        stale = self.session.scalars(
            select(Job).where(
                Job.active_slot.is_not(None),
                or_(
                    and_(Job.heartbeat_at.is_not(None), Job.heartbeat_at < limit),
                    and_(Job.heartbeat_at.is_(None), Job.created_at < limit),
                ),
            )
        ).all()
        for job in stale:
            seen = job.heartbeat_at or job.created_at
            self._close(
                job,
                JobOutcome(
                    status="failed",
                    error=f"The worker stopped reporting (last report {seen.isoformat(timespec='seconds')}): it was "
                    "probably killed or its server stopped. Start the job again.",
                ),
            )

    # --- the worker side ------------------------------------------------------------------------------------
    def claim(self, job_id: str, *, pid: int, host: str) -> Job | None:
        """Mark a queued job running in this worker; None when it is not queued (already claimed or closed)."""
        with write_transaction(self.session):
            job = self.session.scalar(select(Job).where(Job.id == job_id).with_for_update())
            if job is None or job.status != "queued":
                return None
            now = utcnow()
            job.status = "running"
            job.started_at = now
            job.heartbeat_at = now
            job.worker_pid = pid
            job.worker_host = host[:255]
        return job

    def heartbeat(self, job_id: str, progress: dict[str, Any] | None) -> bool:
        """The worker is alive (and how far it got); False when the job is no longer running."""
        with write_transaction(self.session):
            values: dict[str, Any] = {"heartbeat_at": utcnow()}
            if progress is not None:
                values["progress"] = progress
            result = self.session.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(**values))
        return bool(getattr(result, "rowcount", 0))

    def finish(self, job_id: str, outcome: JobOutcome) -> Job | None:
        """Record the worker's outcome (even over a stale-worker verdict: the worker knows what it did)."""
        with write_transaction(self.session):
            job = self.session.scalar(select(Job).where(Job.id == job_id).with_for_update())
            if job is None:
                return None
            self._close(job, outcome)
        return job

    def _close(self, job: Job, outcome: JobOutcome) -> None:
        if outcome.status not in ("succeeded", "failed"):
            raise ValueError(f"a job ends succeeded or failed, not {outcome.status!r}")
        job.status = outcome.status
        job.active_slot = None
        job.finished_at = utcnow()
        job.model_id = outcome.model_id
        job.promoted = outcome.promoted
        job.metrics = outcome.metrics
        job.error = outcome.error[:ERROR_LIMIT] if outcome.error else None
        audit = AuditRepository(self.session)
        details: dict[str, Any] = {"status": outcome.status, "promoted": outcome.promoted}
        if outcome.error:
            details["error"] = job.error
        audit.record(
            job.actor,
            f"{job.kind}.finished",
            actor_key_id=job.actor_key_id,
            target=job.id,
            model_id=outcome.model_id,
            details=details,
        )
        if outcome.promoted and outcome.model_id:
            audit.record(
                job.actor,
                "model.promoted",
                actor_key_id=job.actor_key_id,
                target=outcome.model_id,
                model_id=outcome.model_id,
                details={"previous": outcome.previous_champion, "job": job.id, "via": job.kind},
            )


def _limit(stale_after_s: float) -> datetime:
    return utcnow() - timedelta(seconds=stale_after_s)


def _is_stale(job: Job, limit: datetime) -> bool:
    return (job.heartbeat_at or job.created_at) < limit


def _conflict(active: Job) -> ModelJobConflictError:
    return ModelJobConflictError(
        f"A {active.kind} job ({active.id}) is {active.status} already; one model job runs at a time. "
        f"Follow it at GET /v1/jobs/{active.id}.",
        job_id=active.id,
    )
