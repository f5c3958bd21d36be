"""The FastAPI application: :func:`create_app` wires settings, routers and middleware; the lifespan loads.

Start-up (the lifespan, once per process): open the database and migrate it to head, load the vocabulary
and the engine into ``app.state``, purge expired note text when a retention period is set (then again
every ``purge_interval_s``), and follow the model registry's champion (:mod:`service.model_reload`).
Nothing happens at import.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from models.registry import ModelRegistry
from service.authentication import AuthenticateFirstMiddleware
from service.connections import ConnectionGuardMiddleware
from service.deps import get_current_key
from service.engine_runner import EngineRunner
from service.handlers import install_exception_handlers
from service.limits import BodyLimitMiddleware
from service.logs import install_access_log_filter
from service.metrics import Metrics, MetricsMiddleware
from service.model_reload import ZERO_SHOT_PREFIX, ChampionFollower, close_engine, unfit_champion
from service.page import install_review_page
from service.releases import ServiceReleases
from service.routers import ROUTERS
from service.routing import refuse_unknown_query_parameters
from service.schemas import ServiceInfo
from service.settings import Settings, get_settings
from service.store.database import Database, open_database
from service.store.encounter_repository import EncounterRepository
from service.store.migrate import upgrade_to_head
from service.store.queries import QueryRepository
from service.store.repositories import NoteRepository, cutoff
from suggest.engine_protocol import ReloadableEngine
from vocab.file_modes import HomeModes, apply_umask, create_home, loose_entries
from vocab.vocabulary import Vocabulary, ensure_vocabulary

__all__ = ["create_app"]

log = logging.getLogger(__name__)

# With engine processes: threads that hand notes to the pool (waiting there costs a thread, not a process), and
# how much longer than the pool's deadline the runner waits (the pool's own answer, which stops the work, wins).
POOL_WAITING_THREADS = 32
POOL_REPLY_GRACE_S = 2.0

DESCRIPTION = """Computer-assisted ICD-10-CM coding: chart notes in, ranked codes with evidence out;
a review queue whose decisions are stored for statistics and retraining.

Every route but /healthz, /readyz and /metrics needs `Authorization: Bearer <key>`
(`chartcoder keys create --role coder|admin --name NAME`)."""


def _package_version() -> str:
    try:
        return version("chartcoder")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(
    settings: Settings | None = None, *, vocabulary: Vocabulary | None = None, engine: ReloadableEngine | None = None
) -> FastAPI:
    """The app for ``settings`` (default: :func:`service.settings.get_settings`).

    ``vocabulary`` and ``engine``, when given, are used instead of loading them at start-up (tests share
    one engine among many apps this way).
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="chartcoder",
        version=_package_version(),
        description=DESCRIPTION,
        lifespan=_lifespan,
        dependencies=[Depends(refuse_unknown_query_parameters)],
    )
    app.state.settings = settings
    app.state.preloaded = (vocabulary, engine)
    app.state.metrics = Metrics()
    install_exception_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_api_route("/v1/info", _service_info, methods=["GET"], include_in_schema=False)
    install_review_page(app)  # "/": the coder review page, and its files under /static
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # the key is checked at the body's first read (a body over the cap by Content-Length is refused before that)
    app.add_middleware(AuthenticateFirstMiddleware, key_dependency=get_current_key)
    app.add_middleware(
        ConnectionGuardMiddleware, body_timeout_s=settings.body_timeout_s, max_url_bytes=settings.max_url_bytes
    )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)  # outermost but CORS: counts every answer
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    return app


async def _service_info() -> ServiceInfo:
    """``/v1/info``: name, version and where the API documentation is (``/`` is the review page)."""
    return ServiceInfo(service="chartcoder", version=_package_version(), docs="/docs", openapi="/openapi.json")


def _load_engine(vocabulary: Vocabulary, settings: Settings, *, zero_shot: bool = False) -> ReloadableEngine:
    """The engine serving ``settings.model``, else the champion (the zero-shot heuristic when ``zero_shot``)."""
    model = settings.model or (ZERO_SHOT_PREFIX if zero_shot else None)
    if settings.engine_processes:
        from service.engine_pool import PooledEngine

        # One explicit model for every process, even if the champion changes while they load.
        model = model or ModelRegistry.for_home(settings.home).champion() or ZERO_SHOT_PREFIX
        return PooledEngine.start(
            settings.home, model, settings.engine_processes, note_timeout_s=settings.request_timeout_s
        )
    from suggest.pipeline import load_engine  # the engine imports spaCy: only when a server starts

    return load_engine(vocabulary, home=settings.home, model=model)


def _engine_runner(settings: Settings) -> EngineRunner:
    if not settings.engine_processes:
        return EngineRunner(settings.engine_threads, settings.request_timeout_s)
    # Every note is handed to the pool at once (a waiting thread each), where it waits for a free process under
    # its own deadline; the pool answers at that deadline and stops the work, the runner only a moment later.
    threads = max(settings.engine_threads, POOL_WAITING_THREADS, settings.engine_processes)
    return EngineRunner(threads, settings.request_timeout_s + POOL_REPLY_GRACE_S)


def _purge_expired_notes(database: Database, retention_days: int, actor: str, *, audit_when_empty: bool) -> int:
    """Blank the text of notes (and encounters' documents) older than the retention period; returns how many
    notes were purged."""
    with database.session() as session:
        EncounterRepository(session).purge_text(cutoff(retention_days), actor, audit_when_empty=audit_when_empty)
        return NoteRepository(session).purge_text(cutoff(retention_days), actor, audit_when_empty=audit_when_empty)


def _purge_closed_queries(database: Database, retention_days: int, actor: str) -> int:
    """Blank the words of provider queries closed longer ago than ``query_retention_days``."""
    with database.session() as session:
        return QueryRepository(session).purge_closed(cutoff(retention_days), actor, audit_when_empty=False)


async def _purge_periodically(database: Database, settings: Settings) -> None:
    while True:
        try:
            if settings.retention_days:
                purged = await run_in_threadpool(
                    _purge_expired_notes, database, settings.retention_days, "system:retention", audit_when_empty=False
                )
                if purged:
                    log.info(
                        "retention: purged the text of %d notes older than %d days", purged, settings.retention_days
                    )
            if settings.query_retention_days:
                purged = await run_in_threadpool(
                    _purge_closed_queries, database, settings.query_retention_days, "system:retention"
                )
                if purged:
                    log.info("retention: purged the words of %d closed provider queries", purged)
        except Exception:  # a failed purge must not stop the server; it is retried next round
            log.exception("retention: purge failed")
        await asyncio.sleep(settings.purge_interval_s)


def _warn_if_too_open(home: Path, modes: HomeModes) -> None:
    """A warning naming what under the data folder others can read (notes are PHI); nothing is changed."""
    loose = loose_entries(home, modes)
    if not loose:
        return
    shown = ", ".join(f"{path} ({mode:04o})" for path, mode in loose[:5])
    more = f" and {len(loose) - 5} more" if len(loose) > 5 else ""
    log.warning(
        "the data folder is more open than %s (folders %04o, files %04o): %s%s. Tighten it (chmod -R %s %s), or set "
        "CHARTCODER_GROUP_READABLE_HOME=true where a cluster's group must read it.",
        modes.name,
        modes.folder,
        modes.file,
        shown,
        more,
        "go-rwx" if modes.umask == 0o077 else "g-w,o-rwx",
        home,
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    install_access_log_filter()
    modes = settings.home_modes
    previous_umask = apply_umask(modes)
    create_home(settings.home, modes)
    _warn_if_too_open(settings.home, modes)
    database = open_database(settings.resolved_database_url, file_mode=modes.file)
    upgrade_to_head(database)
    vocabulary, engine = app.state.preloaded
    vocabulary = vocabulary or ensure_vocabulary(settings.home)
    # A champion trained on another code set (rebuilt under it) is refused, but the server still starts: it
    # serves the zero-shot heuristic until a model for this code set is promoted. A pinned model is not replaced.
    unfit = None
    if engine is None and not settings.model:
        unfit = unfit_champion(ModelRegistry.for_home(settings.home), vocabulary)
    engine = engine or _load_engine(vocabulary, settings, zero_shot=unfit is not None)
    vocabulary.code_search  # noqa: B018 - load the search lexicon now, not on the first type-ahead request
    app.state.database = database
    app.state.vocabulary = vocabulary
    app.state.engine = engine
    app.state.releases = ServiceReleases(settings.home, settings.model, vocabulary)  # other releases, by date
    app.state.runner = _engine_runner(settings)
    retention = settings.retention_days or settings.query_retention_days
    purger = asyncio.create_task(_purge_periodically(database, settings)) if retention else None
    # A promoted model is served without a restart (every process follows the registry itself); a model named
    # in the settings is served as it is.
    follower = ChampionFollower(app.state, settings.home, settings.model_poll_s, pinned=settings.model is not None)
    app.state.follower = follower
    if unfit is not None:
        follower.refused(*unfit)  # logged here, once; the follower's polls stay quiet until the champion changes
    following = None if follower.pinned else asyncio.create_task(follower.run())
    log.info("chartcoder service ready: model %s, database %s", getattr(engine, "model_id", "?"), database.url)
    try:
        yield
    finally:
        for task in (purger, following):
            if task is None:
                continue
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        app.state.runner.close()
        close_engine(getattr(app.state, "engine", None))
        database.dispose()
        os.umask(previous_umask)
