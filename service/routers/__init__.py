"""One router per resource; :data:`ROUTERS` is the order the app includes them in."""

from __future__ import annotations

from service.routers import (
    audit,
    codes,
    encounters,
    filed,
    health,
    jobs,
    models,
    notes,
    queries,
    reviews,
    risk,
    stats,
    suggest,
)

__all__ = ["ROUTERS"]

ROUTERS = (
    health.router,
    suggest.router,
    notes.router,
    reviews.router,
    codes.router,
    stats.router,
    risk.router,
    audit.router,
    models.router,
    jobs.router,
    queries.router,
    filed.router,
    encounters.router,
)
