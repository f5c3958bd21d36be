"""``python -m service.worker JOB_ID``: the worker process of one model job, started by the service.

It claims the queued job, reports a heartbeat (with the training stage reached) every few seconds, runs the
job and records the outcome:

* ``retrain``: the service's confirmed reviews (each note's latest review) as labeled notes, a model trained
  with the champion's parameters when it is a learned model, validated beside the champion on a held-out
  share, registered, and promoted per the job's policy (``never``, ``if-better``: higher MAP, ``always``);
* ``bootstrap``: the bootstrap model built from the code set alone (deterministic, no network), promoted
  when the registry still has no champion, or when its champion is a bootstrap model built for another code set.

Running servers pick a promoted model up by themselves (they follow the registry's champion pointer).
``training`` is imported here, inside the functions, and only in this process. Note text is never logged
and never stored on the job: errors are the training code's own messages (which name note ids, not text),
or only an exception's type.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from models.promotion import DEFAULT_PROMOTE_POLICY
from models.registry import ModelRegistry
from service.settings import Settings, get_settings
from service.store.database import Database, open_database
from service.store.jobs import JobOutcome, JobRepository
from service.store.models import Job
from suggest.types import ZERO_SHOT_MODEL
from vocab.errors import ChartcoderError
from vocab.vocabulary import Vocabulary, ensure_vocabulary

__all__ = ["HEARTBEAT_S", "main", "run_job"]

log = logging.getLogger("service.worker")

HEARTBEAT_S = 5.0
VALIDATION_FRACTION = 0.2  # of the reviewed notes, held out to compare the new model with the champion
_HEADLINE = ("map", "p_at_5", "r_at_10", "precision", "recall", "f1", "candidate_recall")


class _Heartbeat:
    """A thread reporting that the worker lives, with the latest training stage, every ``HEARTBEAT_S``."""

    def __init__(self, database: Database, job_id: str) -> None:
        self.database = database
        self.job_id = job_id
        self.progress: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chartcoder-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=HEARTBEAT_S * 2)

    def update(self, stage: str, done: int, total: int) -> None:
        self.progress = {"stage": stage, "done": done, "total": total}

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                with self.database.session() as session:
                    JobRepository(session).heartbeat(self.job_id, self.progress)
            except Exception:  # a busy or briefly unreachable database: the next beat tries again
                log.warning("job %s: heartbeat failed", self.job_id, exc_info=False)


# --- the jobs ---------------------------------------------------------------------------------------------
def _retrain(
    settings: Settings, vocabulary: Vocabulary, registry: ModelRegistry, options: dict[str, Any], progress: Any
) -> JobOutcome:
    from training.reviews import ReviewReader

    reader = ReviewReader(settings.resolved_database_url, vocabulary.codeset)
    notes = list(reader)  # no reviews at all: a clear error before anything heavy is loaded

    from training.train import report_metrics, retrain

    previous = registry.champion()
    run = retrain(
        notes,
        vocabulary,
        registry,
        val_fraction=VALIDATION_FRACTION,
        promote=options.get("promote", DEFAULT_PROMOTE_POLICY),
        sources=[reader.report.source],
        description="retrained from the service's reviews",
        progress=progress,
        seed=int(options.get("seed", 0)),
    )
    assert run.manifest is not None
    metrics = {
        "reviews": {
            "notes": reader.report.notes,
            "skipped_notes": reader.report.skipped_notes,
            "skipped_codes": reader.report.skipped_codes,
        },
        "train_notes": run.train_notes,
        "validation_notes": run.validation_notes,
        "validation": {name: value for name, value in report_metrics(run.report).items() if name in _HEADLINE},
        "champion": {
            "id": run.baseline_id,
            **{name: value for name, value in report_metrics(run.baseline_report).items() if name in _HEADLINE},
        },
        "threshold": run.manifest.threshold,
        "classifier_skipped": run.fitted.classifier_skipped,
        "seconds": round(run.seconds, 1),
    }
    return JobOutcome(
        status="succeeded",
        model_id=run.manifest.id,
        promoted=run.promoted,
        metrics=metrics,
        previous_champion=previous if run.promoted else None,
    )


def _bootstrap(
    settings: Settings, vocabulary: Vocabulary, registry: ModelRegistry, options: dict[str, Any], progress: Any
) -> JobOutcome:
    from models.manifest import code_set_ref
    from service.model_reload import is_outdated_bootstrap
    from suggest.pipeline import load_engine
    from training.bootstrap import DEFAULT_NOTES, build_bootstrap

    base = load_engine(vocabulary, model=ZERO_SHOT_MODEL)
    notes = int(options.get("notes", DEFAULT_NOTES))
    result = build_bootstrap(
        base, registry, notes=notes, seed=int(options.get("seed", 0)), promote=False, progress=progress
    )
    promoted = False
    champion = registry.champion()
    # An admin may have promoted a model meanwhile: that one stays. A bootstrap champion built for another code set
    # (the code set was rebuilt under it) is replaced.
    if champion is None or is_outdated_bootstrap(registry, champion, vocabulary):
        registry.promote(result.manifest.id, code_set=code_set_ref(vocabulary))
        promoted = True
    metrics = {
        "validation": {name: value for name, value in result.manifest.metrics.items() if name in _HEADLINE},
        "threshold": result.manifest.threshold,
        "synthetic_notes": notes,
        "reused": result.fitted is None,
        "seconds": round(result.seconds, 1),
    }
    return JobOutcome(status="succeeded", model_id=result.manifest.id, promoted=promoted, metrics=metrics)


_JOBS: dict[str, Callable[..., JobOutcome]] = {"retrain": _retrain, "bootstrap": _bootstrap}


# --- running one --------------------------------------------------------------------------------------------
def run_job(database: Database, settings: Settings, job_id: str) -> int:
    """Claim, run and record the job; the process's exit status (0 also when the job failed cleanly)."""
    with database.session() as session:
        job: Job | None = JobRepository(session).claim(job_id, pid=os.getpid(), host=socket.gethostname())
    if job is None:
        log.error("job %s is not queued (unknown, or claimed already): nothing to do", job_id)
        return 1
    log.info("%s job %s started", job.kind, job.id)
    with _Heartbeat(database, job.id) as heartbeat:
        try:
            vocabulary = ensure_vocabulary(settings.home)
            registry = ModelRegistry.for_home(settings.home)
            outcome = _JOBS[job.kind](settings, vocabulary, registry, dict(job.options), heartbeat.update)
        except ChartcoderError as error:  # our own messages: they say what to do and never quote note text
            outcome = JobOutcome(status="failed", error=str(error))
        except BaseException as error:
            outcome = JobOutcome(status="failed", error=f"{type(error).__name__} in the worker (see the server log).")
            # The stack, not the message: a foreign exception's message might quote its input.
            log.error(
                "%s job %s failed: %s\n%s",
                job.kind,
                job.id,
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),
            )
    with database.session() as session:
        JobRepository(session).finish(job.id, outcome)
    if outcome.status == "succeeded":
        log.info(
            "%s job %s succeeded: model %s%s",
            job.kind,
            job.id,
            outcome.model_id,
            " (promoted)" if outcome.promoted else "",
        )
    else:
        log.warning("%s job %s failed: %s", job.kind, job.id, outcome.error)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 1:
        print("usage: python -m service.worker JOB_ID", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="chartcoder worker %(process)d: %(levelname)s %(message)s")
    settings = get_settings()  # the server's settings, from the file it handed on (see service.jobs)
    database = open_database(settings.resolved_database_url)
    try:
        return run_job(database, settings, arguments[0])
    finally:
        database.dispose()


if __name__ == "__main__":
    sys.exit(main())
