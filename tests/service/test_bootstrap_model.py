"""A fresh install gets a learned champion: `chartcoder serve` builds the bootstrap model in the background."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import httpx
import pytest

from models.manifest import code_set_ref
from models.registry import ModelRegistry
from service.store.jobs import JobRepository
from service.store.models import Job
from tests.models.helpers import CODE_SET, FixedRanker, manifest
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


# --- a code set rebuilt under the champion (an upgrade that bundles the Alphabetic Index) ---------------------
REFUSAL = "cannot be served here"


def _refusals(log: str) -> int:
    return log.count(REFUSAL)


def test_an_outdated_bootstrap_champion_gets_a_new_bootstrap_job(
    app, client, settings, service_home, quick_worker, capsys
) -> None:
    registry = ModelRegistry.for_home(service_home)
    registry.add(manifest("bootstrap-old", kind="bootstrap", code_set=CODE_SET), {"ranker": FixedRanker()})
    registry.promote("bootstrap-old")  # it was the champion before the code set was rebuilt
    assert _start(app, settings)
    [job] = _jobs(app)
    assert job.kind == "bootstrap"
    assert "The champion bootstrap-old was built for another code set" in capsys.readouterr().out


def test_a_trained_champion_for_another_code_set_is_left_to_the_operator(
    app, client, settings, service_home, quick_worker
) -> None:
    registry = ModelRegistry.for_home(service_home)
    registry.add(manifest("trained-old", code_set=CODE_SET), {"ranker": FixedRanker()})
    registry.promote("trained-old")
    assert not _start(app, settings)
    assert _jobs(app) == []


@pytest.mark.parametrize("settings_overrides", [{"model_poll_s": 0.1}])
def test_a_champion_for_another_code_set_is_refused_once_and_zero_shot_serves_until_one_fits(
    settings, service_home, mini_vocabulary, caplog: pytest.LogCaptureFixture
) -> None:
    """The server starts (it refused to before): zero-shot, the refusal logged once, then the promoted pack."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from tests.service.conftest import make_key

    registry = ModelRegistry.for_home(service_home)
    registry.add(manifest("trained-old", code_set=CODE_SET), {"ranker": FixedRanker()})
    registry.promote("trained-old")
    registry.add(manifest("trained-new", code_set=code_set_ref(mini_vocabulary)), {"ranker": FixedRanker(0.9)})
    caplog.set_level(logging.INFO, logger="service")
    app = create_app(settings, vocabulary=mini_vocabulary)  # the engine is loaded by the lifespan, as in `serve`
    with TestClient(app) as client:
        _, token = make_key(app, "admin-test", "admin")
        headers = {"Authorization": f"Bearer {token}"}
        assert app.state.engine.model_id.startswith("zero-shot")
        time.sleep(0.5)  # the follower polls the registry several times meanwhile
        refusals = [record.getMessage() for record in caplog.records if REFUSAL in record.getMessage()]
        assert len(refusals) == 1, refusals
        assert "trained-old" in refusals[0] and "another code-set artifact" in refusals[0]
        serving = client.get("/v1/models", headers=headers).json()["serving"]
        assert serving["id"].startswith("zero-shot") and "another code-set artifact" in serving["reload_error"]
        answer = client.post("/v1/suggest", json={"text": "Essential hypertension."}, headers=headers)
        assert answer.status_code == 200 and answer.json()["model"].startswith("zero-shot")

        registry.promote("trained-new")  # a pack for this code set
        deadline = time.monotonic() + 10
        while app.state.engine.model_id != "trained-new":
            assert time.monotonic() < deadline, "the promoted pack was not served"
            time.sleep(0.05)
        assert client.get("/v1/models", headers=headers).json()["serving"]["reload_error"] is None


@pytest.mark.slow  # builds the mini code set with the bundled Index, then a server and a bootstrap worker
def test_upgrading_a_home_built_without_the_index(tmp_path: Path, mini_codeset) -> None:
    """A home built before the Index was bundled, with a bootstrap champion for that code set; `vocab build` after
    the upgrade changes the lexicon under the pack: the server starts zero-shot, says so once, rebuilds the
    bootstrap model for the new code set and switches to it."""
    from vocab.vocabulary import build_vocabulary

    home = tmp_path / "home"
    before = build_vocabulary(home, codeset=mini_codeset, bundled_index=False)
    registry = ModelRegistry.for_home(home)
    old_pack = manifest("bootstrap-before", kind="bootstrap", code_set=code_set_ref(before))
    registry.add(old_pack, {"ranker": FixedRanker()})
    registry.promote("bootstrap-before", code_set=code_set_ref(before))
    after = build_vocabulary(home, codeset=mini_codeset, bundled_index=True)  # what `vocab build` does now
    assert after.index_sources() == ["index", "eindex", "drug", "neoplasm"]
    assert code_set_ref(after).lexicon_sha256 != code_set_ref(before).lexicon_sha256

    environment = {"CHARTCODER_MODEL_POLL_S": "0.5", "CHARTCODER_BOOTSTRAP_NOTES": "200"}
    server = ServerProcess(home, bootstrap=True, extra_environment=environment)
    try:
        server.wait_ready()
        assert "The champion bootstrap-before was built for another code set" in server.log
        assert _refusals(server.log) == 1, server.log[-3000:]
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as api:
            assert api.get("/v1/models").json()["serving"]["id"].startswith("zero-shot")
            [job] = api.get("/v1/jobs").json()
            assert job["kind"] == "bootstrap"
            deadline = time.monotonic() + 400
            while not api.get("/v1/models").json()["serving"]["id"].startswith("bootstrap-fy2026"):
                assert time.monotonic() < deadline, f"no switch to the new bootstrap model:\n...{server.log[-3000:]}"
                time.sleep(1)
            done = api.get(f"/v1/jobs/{job['id']}").json()
            assert done["status"] == "succeeded" and done["promoted"], done
            assert registry.champion() == done["model"] != "bootstrap-before"
            registry.verify(done["model"], code_set=code_set_ref(after))
        assert _refusals(server.log) == 1  # logged once, not at every poll
    finally:
        server.stop()
