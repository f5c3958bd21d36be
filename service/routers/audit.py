"""GET /v1/audit: the append-only trail of reviews and admin actions (admin keys only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.deps import SessionDep, require_role
from service.routers._responses import errors
from service.schemas import AuditEntryOut, AuditPage
from service.store.repositories import AuditRepository

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/audit",
    tags=["audit"],
    dependencies=[Depends(require_role("admin"))],
    responses=errors(401, 403, 422),
)


@router.get("", summary="Audit trail, newest first")
def audit_trail(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    action: Annotated[
        str | None, Query(max_length=64, description="e.g. review.created, key.created, key.revoked, notes.purged")
    ] = None,
) -> AuditPage:
    entries, total = AuditRepository(session).page(limit, offset, action)
    items = [
        AuditEntryOut(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            actor_key_id=entry.actor_key_id,
            action=entry.action,
            target=entry.target,
            model=entry.model_id,
            details=entry.details,
        )
        for entry in entries
    ]
    return AuditPage(items=items, total=total, limit=limit, offset=offset)
