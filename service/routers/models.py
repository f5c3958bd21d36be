"""The model registry over HTTP: list the packs, retrain from the stored reviews, promote a pack.

Retraining never runs here: ``POST /v1/models/retrain`` queues a job and starts a worker process
(:mod:`service.jobs`), answering 202 at once. A promotion takes effect in this process before the answer and
in every other server process within ``model_poll_s`` (:mod:`service.model_reload`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from models.errors import ModelError, ModelNotFoundError
from models.manifest import ModelManifest, code_set_ref
from models.registry import ModelRegistry
from service.deps import AdminKey, DatabaseDep, FollowerDep, SettingsDep, VocabularyDep, get_current_key
from service.errors import ModelUnusableError, UnknownModelError
from service.jobs import start_model_job
from service.routers._responses import errors
from service.routers.jobs import job_out
from service.routing import Utf8Route
from service.schemas import (
    ErrorResponse,
    JobOut,
    ModelOut,
    ModelsResponse,
    PromoteResponse,
    RetrainRequest,
    ServingOut,
)
from service.security import Principal
from service.store.database import Database, write_transaction
from service.store.repositories import AuditRepository
from vocab.vocabulary import Vocabulary

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/models",
    tags=["models"],
    route_class=Utf8Route,
    dependencies=[Depends(get_current_key)],
    responses=errors(401, 422),
)

ModelId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="A model id from GET /v1/models.",
    ),
]


def _model_out(
    manifest: ModelManifest, champion: str | None, registry: ModelRegistry, vocabulary: Vocabulary
) -> ModelOut:
    # Everything the engine would check before loading it: the manifest against its pinned hash, the format,
    # the part types and hashes, the library versions and the code set. An edited pack is incompatible.
    compatible = registry.problem(manifest.id, code_set=code_set_ref(vocabulary)) is None
    return ModelOut(
        id=manifest.id,
        kind=manifest.kind,
        created=manifest.created,
        parent=manifest.parent,
        description=manifest.description,
        code_set_release=manifest.code_set.release,
        training_notes=manifest.training_data.notes,
        metrics=manifest.metrics,
        validation=manifest.validation,
        threshold=manifest.threshold,
        champion=manifest.id == champion,
        compatible=compatible,
    )


@router.get("", summary="Registered models, the champion, and the model being served")
def list_models(request: Request, follower: FollowerDep, vocabulary: VocabularyDep) -> ModelsResponse:
    """Every readable pack of the registry (oldest first) with its validation metrics and threshold; which is
    the champion; and which model this server process answers with right now."""
    registry = follower.registry
    champion = registry.champion()
    models = [_model_out(manifest, champion, registry, vocabulary) for manifest in registry.manifests()]
    return ModelsResponse(champion=champion, serving=_serving(request, follower), models=models)


def _serving(request: Request, follower: Any) -> ServingOut:
    return ServingOut(
        id=str(getattr(request.app.state.engine, "model_id", "?")),
        follows_champion=not follower.pinned,
        reload_error=follower.reload_error,
        since=follower.swapped_at,
    )


@router.post(
    "/retrain",
    status_code=202,
    summary="Retrain from the stored reviews (in a worker process)",
    responses={
        **errors(403),
        409: {"model": ErrorResponse, "description": "A model job is queued or running already (its id in `job`)."},
        503: {"model": ErrorResponse, "description": "The worker process could not be started."},
    },
)
def retrain(
    key: AdminKey,
    database: DatabaseDep,
    settings: SettingsDep,
    response: Response,
    body: Annotated[RetrainRequest | None, Body()] = None,
) -> JobOut:
    """Queue a retraining job and start its worker; answers 202 with the job (follow it at ``GET /v1/jobs/{id}``).

    The worker trains on each reviewed note's latest review (accepted and added codes are right, rejected ones
    wrong), validates the new model beside the champion on a held-out share, registers it and promotes it
    per ``promote``. Too few reviews make the job fail with the reason. One model job at a time (409).
    """
    options = (body or RetrainRequest()).model_dump()
    job = start_model_job(database, settings, "retrain", actor=key.name, actor_key_id=key.key_id, options=options)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_out(job)


def _promote(registry: ModelRegistry, model_id: str, vocabulary: Vocabulary) -> str | None:
    """Promote after verifying the pack; the champion it replaced."""
    previous = registry.champion()
    try:
        registry.promote(model_id, code_set=code_set_ref(vocabulary))
    except ModelNotFoundError:
        raise UnknownModelError(f"No model {model_id!r} is registered; GET /v1/models lists them.") from None
    except ModelError as error:
        raise ModelUnusableError(f"Model {model_id!r} cannot be served here, so it was not promoted: {error}") from None
    return previous


def _audit_promotion(database: Database, key: Principal, model_id: str, previous: str | None) -> None:
    with database.session() as session, write_transaction(session):
        AuditRepository(session).record(
            key.name,
            "model.promoted",
            actor_key_id=key.key_id,
            target=model_id,
            model_id=model_id,
            details={"previous": previous, "changed": previous != model_id, "via": "api"},
        )


@router.post(
    "/{model_id}/promote",
    summary="Make a model the champion",
    responses={
        **errors(403, 404),
        409: {
            "model": ErrorResponse,
            "description": "The pack fails verification here (modified files, other library versions, another code "
            "set): not promoted.",
        },
    },
)
async def promote(
    model_id: ModelId,
    key: AdminKey,
    database: DatabaseDep,
    follower: FollowerDep,
    vocabulary: VocabularyDep,
    request: Request,
) -> PromoteResponse:
    """Verify the pack (file hashes, library versions, code set), make it the champion, audit it. This process
    serves it before answering; other server processes switch within ``model_poll_s`` seconds."""
    previous = await run_in_threadpool(_promote, follower.registry, model_id, vocabulary)
    await run_in_threadpool(_audit_promotion, database, key, model_id, previous)
    await follower.check(force=True)
    serving = _serving(request, follower)
    return PromoteResponse(champion=model_id, previous=previous, serving=serving.id, reload_error=serving.reload_error)
