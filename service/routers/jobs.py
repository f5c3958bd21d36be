"""GET /v1/jobs and /v1/jobs/{id}: model jobs (retraining, the bootstrap build) and how they went (admin keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from service.deps import SessionDep, SettingsDep, require_role
from service.errors import JobNotFoundError
from service.routers._responses import errors
from service.schemas import ID_PATTERN, JobOut, JobProgress
from service.store.jobs import JobRepository
from service.store.models import Job

__all__ = ["job_out", "router"]

router = APIRouter(
    prefix="/v1/jobs",
    tags=["models"],
    dependencies=[Depends(require_role("admin"))],
    responses=errors(401, 403, 422),
)


def job_out(job: Job) -> JobOut:
    progress = job.progress if job.status == "running" else None
    return JobOut(
        id=job.id,
        kind=job.kind,  # type: ignore[arg-type]
        status=job.status,  # type: ignore[arg-type]
        requested_by=job.actor,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        options=job.options or {},
        progress=JobProgress.model_validate(progress) if progress else None,
        model=job.model_id,
        promoted=job.promoted,
        metrics=job.metrics,
        error=job.error,
    )


@router.get("", summary="Model jobs, newest first")
def list_jobs(
    session: SessionDep, settings: SettingsDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[JobOut]:
    return [job_out(job) for job in JobRepository(session).recent(limit, stale_after_s=settings.job_stale_s)]


@router.get("/{job_id}", summary="A model job's state", responses=errors(404))
def get_job(
    job_id: Annotated[str, Path(pattern=ID_PATTERN, description="The id POST /v1/models/retrain returned.")],
    session: SessionDep,
    settings: SettingsDep,
) -> JobOut:
    """Queued, running (with the stage reached), succeeded (the new model, whether it was promoted, its
    validation figures beside the champion's) or failed (why)."""
    job = JobRepository(session).get(job_id, stale_after_s=settings.job_stale_s)
    if job is None:
        raise JobNotFoundError("No job has this id.")
    return job_out(job)
