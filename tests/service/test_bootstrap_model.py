"""A fresh install gets a learned champion: `chartcoder serve` builds the bootstrap model in the background."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
import pytest

from models.manifest import code_set_ref
from models.registry import ModelRegistry
from service.store.jobs import JobRepository
from service.store.models import Job
from tests.models.helpers import FixedRanker, manifest
from tests.service.server_process import ServerProcess, prepare_home


@pytest.fixture
def quick_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers that exit at once: these tests are about when a job starts, not about what it does."""
    import service.jobs

    monkeypatch.setattr(service.jobs, "worker_command", lambda job_id: [sys.executable, "-c", "pass"])


def _start(app, settings) -> bool:
    from cli.serve_commands import _start_bootstrap

    return _start_bootstrap(app.state.database, settings)


def _jobs(app) -> list[Job]:
    with app.state.database.session() as session:
        return JobRepository(session).recent(10, stale_after_s=60)


def test_a_registry_that_never_had_a_champion_gets_a_bootstrap_job(app, client, settings, quick_worker) -> None:
    assert _start(app, settings)
    [job] = _jobs(app)
    assert job.kind == "bootstrap" and job.actor == "system:first-start"


@pytest.mark.parametrize(
    "settings_overrides", [{"bootstrap_model": False}, {"model": "zero-shot"}], ids=["disabled", "pinned"]
)
def test_no_bootstrap_when_disabled_or_a_model_is_pinned(app, client, settings, quick_worker) -> None:
    assert not _start(app, settings)
    assert _jobs(app) == []


def test_no_bootstrap_over_a_champion_or_a_demoted_one(app, client, settings, service_home, mini_vocabulary) -> None:
    registry = ModelRegistry.for_home(service_home)
    registry.add(manifest("model-a", code_set=code_set_ref(mini_vocabulary)), {"ranker": FixedRanker()})
    registry.promote("model-a")
    assert not _start(app, settings)
    registry.demote()  # the operator chose the zero-shot heuristic: it stays
    assert not _start(app, settings)
    assert _jobs(app) == []


@pytest.mark.slow  # a server and a worker process; the worker builds a (small) bootstrap model
def test_serve_on_a_fresh_home_serves_at_once_then_switches_to_the_bootstrap_model(tmp_path: Path, mini_home) -> None:
    home = prepare_home(tmp_path / "home", mini_home)
    environment = {"CHARTCODER_MODEL_POLL_S": "0.5", "CHARTCODER_BOOTSTRAP_NOTES": "200"}
    server = ServerProcess(home, bootstrap=True, extra_environment=environment)
    try:
        server.wait_ready()
        assert "building the bootstrap model" in server.log
        assert server.admin_key is not None
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as api:
            first = api.get("/v1/models").json()
            assert first["serving"]["id"].startswith("zero-shot")  # served while the bootstrap is built
            [job] = api.get("/v1/jobs").json()
            assert job["kind"] == "bootstrap"
            deadline = time.monotonic() + 400
            while api.get("/v1/models").json()["serving"]["id"] != ModelRegistry.for_home(home).champion():
                assert time.monotonic() < deadline, f"no switch to the bootstrap model:\n...{server.log[-3000:]}"
                time.sleep(1)
            done = api.get(f"/v1/jobs/{job['id']}").json()
            assert done["status"] == "succeeded" and done["promoted"], done
            assert done["model"].startswith("bootstrap-") and done["metrics"]["synthetic_notes"] == 200
            answer = api.post("/v1/suggest", json={"text": "Essential hypertension."}).json()
            assert answer["model"] == done["model"]
            assert "now serving model bootstrap-" in server.log  # said so on the console
    finally:
        server.stop()
