"""``chartcoder serve``: the HTTP service (uvicorn), with its database migrated and a first key made."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cli._common import HomeOption, console, user_errors

__all__ = ["serve"]

WORKER_HEALTHCHECK_S = 120


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    log_level: Annotated[
        str, typer.Option("--log-level", help="critical, error, warning, info, debug (never shows note text).")
    ] = "info",
    home: HomeOption = None,
) -> None:
    """Serve the HTTP API (docs at /docs). The first start prints an admin API key, once."""
    import uvicorn

    from service.bootstrap import create_first_admin_key
    from service.settings import load_settings
    from service.store.migrate import open_migrated

    with user_errors():
        settings = load_settings(home=home)
        database = open_migrated(settings.resolved_database_url)
        token = create_first_admin_key(database)
        database.dispose()
    if token is not None:
        _show_first_key(token)
    common = {"host": host, "port": port, "log_level": log_level, "timeout_graceful_shutdown": 10}
    if workers == 1:
        from service.app import create_app

        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
    else:
        # Each worker process builds its own app from the environment: hand the data folder on.
        os.environ["CHARTCODER_HOME"] = str(settings.home)
        uvicorn.run(
            "service.app:create_app",
            factory=True,
            workers=workers,
            # loading the engine holds the GIL for seconds: the default 5 s health check would kill the worker
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
            **common,  # type: ignore[arg-type]
        )


def _show_first_key(token: str) -> None:
    """On the console only (never the log): the operator copies it now; only its hash is stored."""
    console.print("No API key existed: created the admin key 'admin'. It is shown this once; store it now:")
    typer.echo(token)
    console.print("Make keys for coders with `chartcoder keys create --role coder --name NAME`.")
