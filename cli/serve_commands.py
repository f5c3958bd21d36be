"""``chartcoder serve``: the HTTP service (uvicorn), with its database migrated, a first key made, and, on a
registry that never had a champion (or whose bootstrap champion was built for another code set), the bootstrap
model built in the background (``CHARTCODER_BOOTSTRAP_MODEL``).
"""

from __future__ import annotations

import copy
import shutil
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._common import HomeOption, console, error_console, labelled, user_errors

if TYPE_CHECKING:
    from service.settings import Settings
    from service.store.database import Database
    from vocab.vocabulary import Vocabulary

__all__ = ["serve"]

WORKER_HEALTHCHECK_S = 120


def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (default: the host setting, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port to listen on (default: the port setting, 8000)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: the workers setting, 1).")
    ] = None,
    engine_processes: Annotated[
        int | None,
        typer.Option(
            "--engine-processes",
            min=0,
            help="Engine processes fed from one queue (0: the engine runs in the server process); "
            "one per core with --workers 1 gives the lowest latency under load.",
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="critical, error, warning, info, debug (never shows note text).")
    ] = "info",
    home: HomeOption = None,
) -> None:
    """Serve the HTTP API (docs at /docs). The first start prints an admin API key, once."""
    import uvicorn

    from service.bootstrap import create_first_admin_key
    from service.connections import guarded_protocol
    from service.settings import load_settings
    from service.store.migrate import open_migrated
    from vocab.file_modes import apply_umask, create_home

    with user_errors():
        settings = load_settings(home=home, engine_processes=engine_processes, host=host, port=port, workers=workers)
        apply_umask(settings.home_modes)  # the server and its worker processes create files by this policy
        create_home(settings.home, settings.home_modes)
        database = open_migrated(settings.resolved_database_url, file_mode=settings.home_modes.file)
        token = create_first_admin_key(database)
    if token is not None:
        _show_first_key(token)
    with user_errors():
        if not _start_bootstrap(database, settings):
            database.dispose()  # otherwise the bootstrap job's reaper records through it
    common = {
        "host": settings.host,
        "port": settings.port,
        "log_level": log_level,
        "timeout_graceful_shutdown": 10,
        "log_config": _log_config(log_level),
        # deadlines for slow clients: the header one in the protocol, the body one in the app (service.connections)
        "http": guarded_protocol(),
        "timeout_keep_alive": settings.keep_alive_timeout_s,
        # h11 refuses (JSON 400) a request line or headers over this; the app answers 414 for long URLs first
        "h11_max_incomplete_event_size": settings.max_url_bytes + 64 * 1024,
    }
    if settings.workers == 1:
        from service.app import create_app

        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
    else:
        from vocab.settings import hand_on_settings

        # uvicorn's worker processes build their app from a factory without arguments: they read these
        # settings (flags included) from the file whose path they inherit (see vocab.settings).
        settings_file = hand_on_settings(settings)
        try:
            uvicorn.run(
                "service.app:create_app",
                factory=True,
                workers=settings.workers,
                # loading the engine holds the GIL for seconds: the default 5 s health check would kill the worker
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
                **common,  # type: ignore[arg-type]
            )
        finally:
            shutil.rmtree(settings_file.parent, ignore_errors=True)


def _log_config(log_level: str) -> dict[str, Any]:
    """uvicorn's logging, plus the service's own messages (model switches, jobs) on the same console."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["service"] = {"handlers": ["default"], "level": log_level.upper(), "propagate": False}
    return config


def _start_bootstrap(database: Database, settings: Settings) -> bool:
    """Build the bootstrap model in a worker process when the registry never had a champion, or when its champion
    is a bootstrap model built from another code set (the code set was rebuilt, e.g. with the bundled Alphabetic
    Index after an upgrade); True if started.

    It takes minutes on the full code set (2.5 min measured on two busy cores), so the server starts at once,
    serves the zero-shot heuristic meanwhile, and switches to the bootstrap model when the worker promotes it.
    A trained champion, or none after `models demote`, is the operator's choice: it stands.
    """
    from models.errors import ModelError
    from models.registry import ModelRegistry
    from service.errors import ModelJobConflictError
    from service.jobs import start_model_job
    from service.model_reload import is_outdated_bootstrap

    if not settings.bootstrap_model or settings.model is not None:
        return False
    registry = ModelRegistry.for_home(settings.home)
    try:
        state = registry.state()
    except ModelError as error:
        error_console.print(labelled("model registry:", "yellow", str(error)))
        return False
    if state.champion is None and state.history:
        return False  # `models demote`: the operator chose the zero-shot heuristic
    vocabulary = _built_vocabulary(settings)
    if state.champion is not None and not is_outdated_bootstrap(registry, state.champion, vocabulary):
        return False
    try:
        options: dict[str, Any] = {"seed": 0}
        if settings.bootstrap_notes is not None:
            options["notes"] = settings.bootstrap_notes
        job = start_model_job(database, settings, "bootstrap", actor="system:first-start", options=options)
    except ModelJobConflictError as error:
        console.print(f"Not building the bootstrap model now: {error}")
        return False
    reason = (
        "No champion model yet"
        if state.champion is None
        else f"The champion {state.champion} was built for another code set (the code set was rebuilt)"
    )
    console.print(
        f"{reason}: building the bootstrap model from the code set in a background worker (job {job.id}; a few "
        "minutes). The zero-shot heuristic answers meanwhile; the server switches to the bootstrap model by itself "
        "when it is ready. CHARTCODER_BOOTSTRAP_MODEL=false skips this.",
        highlight=False,
    )
    return True


def _built_vocabulary(settings: Settings) -> Vocabulary:
    """The code set, built here first when there is none: the worker and the server would both build it."""
    from vocab.artifact import codeset_folder, read_manifest
    from vocab.errors import CodeSetNotBuiltError
    from vocab.vocabulary import build_vocabulary, load_vocabulary

    try:
        read_manifest(codeset_folder(settings.home))
    except CodeSetNotBuiltError:
        console.print("Building the ICD-10-CM code set with its Alphabetic Index (the first start only, about 30 s)...")
        return build_vocabulary(settings.home)
    return load_vocabulary(settings.home)


def _show_first_key(token: str) -> None:
    """On the console only (never the log): the operator copies it now; only its hash is stored."""
    console.print("No API key existed: created the admin key 'admin'. It is shown this once; store it now:")
    typer.echo(token)
    console.print("Make keys for coders with `chartcoder keys create --role coder --name NAME`.")
