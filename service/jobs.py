"""Starting model jobs: queue the job, start its worker process (``python -m service.worker JOB``), reap it.

Training never runs in a server process: the worker imports ``training`` and does the work; it records its
own progress and outcome in the jobs table (see :mod:`service.store.jobs`), so the server only has to start
it and, when it exits without having recorded anything (it crashed, or was killed), close the job as failed.
The worker outlives a server that is stopped with SIGTERM and still records its outcome; it is in the
server's process group, so Ctrl-C at a console stops both (the job is then recorded as failed).

The worker reads the server's settings (home, database URL, ...) from a file only this user can read, whose
path it finds in its environment (:func:`vocab.settings.settings_environment`); never from its command line
(``ps`` shows that: the database URL may hold a password). The reaper removes the file when the worker exits.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from service.errors import WorkerStartError
from service.settings import Settings
from service.store.database import Database
from service.store.jobs import JobRepository
from service.store.models import Job
from vocab.settings import settings_environment, write_settings_file

__all__ = ["WORKER_MODULE", "start_model_job", "worker_command"]

log = logging.getLogger(__name__)

WORKER_MODULE = "service.worker"
_SOURCE_ROOT = Path(__file__).resolve().parents[1]


def worker_command(job_id: str) -> list[str]:
    return [sys.executable, "-m", WORKER_MODULE, job_id]


def _worker_environment(settings_file: Path) -> dict[str, str]:
    environment = settings_environment(settings_file)
    # the same code as this server, installed or not
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_SOURCE_ROOT), environment.get("PYTHONPATH")]))
    return environment


def start_model_job(
    database: Database,
    settings: Settings,
    kind: str,
    *,
    actor: str,
    actor_key_id: str | None = None,
    options: dict[str, Any] | None = None,
) -> Job:
    """Queue a ``kind`` job and start its worker; the queued job is returned at once (the worker runs on).

    Raises :class:`service.errors.ModelJobConflictError` when a model job is active already.
    """
    with database.session() as session:
        job = JobRepository(session).start(
            kind, actor=actor, actor_key_id=actor_key_id, options=options or {}, stale_after_s=settings.job_stale_s
        )
    settings_folder = Path(tempfile.mkdtemp(prefix="chartcoder-job-"))
    settings_file = settings_folder / "settings.json"
    try:
        write_settings_file(settings, settings_folder)
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, a job id as the argument
            worker_command(job.id),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=_worker_environment(settings_file),  # and the server's working folder: relative paths mean the same
        )
    except OSError as error:
        shutil.rmtree(settings_folder, ignore_errors=True)
        message = f"The worker process could not be started: {error.strerror or type(error).__name__}."
        with database.session() as session:
            JobRepository(session).fail_if_active(job.id, message)
        raise WorkerStartError(message + " See the server log; the job is recorded as failed.") from None
    log.info("%s job %s: worker process %d started", kind, job.id, process.pid)
    threading.Thread(
        target=_reap,
        args=(database, job.id, kind, process, settings_file),
        name=f"chartcoder-reaper-{job.id[:8]}",
        daemon=True,
    ).start()
    return job


def _reap(database: Database, job_id: str, kind: str, process: subprocess.Popen[bytes], settings_file: Path) -> None:
    """Wait for the worker; if it exits without having recorded an outcome, close the job as failed."""
    code = process.wait()
    shutil.rmtree(settings_file.parent, ignore_errors=True)
    try:
        with database.session() as session:
            closed = JobRepository(session).fail_if_active(
                job_id, f"The worker process exited with code {code} without recording a result (see the server log)."
            )
    except Exception:  # the database is gone (server shutting down): the stale-job check closes it later
        log.exception("%s job %s: could not record the worker's exit", kind, job_id)
        return
    if closed:
        log.error("%s job %s: the worker exited with code %d without recording a result", kind, job_id, code)
    else:
        log.info("%s job %s: worker process %d finished", kind, job_id, process.pid)
