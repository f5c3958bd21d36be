"""Liveness, readiness and Prometheus metrics: the only routes that need no API key."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from service.schemas import HealthResponse, ReadyResponse

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: engine loaded and database reachable",
    response_model=ReadyResponse,
    responses={503: {"model": ReadyResponse, "description": "Not ready; checks say what is missing."}},
)
def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks = {"engine": "ok" if getattr(state, "engine", None) is not None else "not loaded"}
    try:
        state.database.ping()
        checks["database"] = "ok"
    except Exception as error:  # any failure means "not ready"; the class name says which
        checks["database"] = f"unreachable ({type(error).__name__})"
    ready = all(value == "ok" for value in checks.values())
    body = ReadyResponse(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics
    return Response(registry.render(), media_type=registry.content_type)
