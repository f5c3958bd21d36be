"""Model management over HTTP: list, promote (audited, served at once), follow the champion, retrain jobs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from models.manifest import code_set_ref
from models.registry import ModelRegistry
from service.errors import ModelJobConflictError
from service.store.jobs import JobRepository
from service.store.models import MODEL_JOB_SLOT, Job, utcnow
from tests.models.helpers import CODE_SET, FixedRanker, manifest
from tests.service.conftest import bearer, eventually, make_key

MARKER = "Thistledown-Vantablack retrain marker"
JOB_TIMEOUT_S = 240


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"model_poll_s": 0.1}


@pytest.fixture
def registry(service_home: Path, mini_vocabulary) -> ModelRegistry:
    """Two packs that fit the mini code set and one built for another code set, none of them champion."""
    registry = ModelRegistry.for_home(service_home)
    ref = code_set_ref(mini_vocabulary)
    registry.add(manifest("model-a", code_set=ref, threshold=0.25, metrics={"map": 0.31}), {"ranker": FixedRanker(0.6)})
    registry.add(manifest("model-b", code_set=ref, threshold=0.3), {"ranker": FixedRanker(0.9)})
    registry.add(manifest("model-foreign", code_set=CODE_SET), {"ranker": FixedRanker(0.5)})
    return registry


def _suggested_model(client, keys) -> str:
    response = client.post("/v1/suggest", json={"text": "Essential hypertension."}, headers=keys.coder)
    assert response.status_code == 200, response.text
    return response.json()["model"]


# --- listing ------------------------------------------------------------------------------------------------
def test_models_are_listed_with_the_champion_and_the_served_model(client, keys, registry) -> None:
    assert client.get("/v1/models").status_code == 401
    empty = client.get("/v1/models", headers=keys.coder)
    assert empty.status_code == 200
    body = empty.json()
    assert body["champion"] is None
    assert body["serving"]["id"].startswith("zero-shot") and body["serving"]["follows_champion"]
    listed = {model["id"]: model for model in body["models"]}
    assert set(listed) == {"model-a", "model-b", "model-foreign"}
    first = listed["model-a"]
    assert first["kind"] == "learned" and first["threshold"] == 0.25 and first["metrics"] == {"map": 0.31}
    assert first["code_set_release"] == code_set_ref(client.app.state.vocabulary).release
    assert first["training_notes"] == 3 and first["parent"] is None and not first["champion"]
    assert first["compatible"] and not listed["model-foreign"]["compatible"]

    registry.promote("model-b")
    after = client.get("/v1/models", headers=keys.admin).json()
    assert after["champion"] == "model-b"
    assert [model["id"] for model in after["models"] if model["champion"]] == ["model-b"]


def test_a_pack_whose_manifest_was_edited_is_listed_as_incompatible_and_not_promoted(client, keys, registry) -> None:
    """Issue 19 finding 7: an edited threshold loaded silently and /v1/models listed the pack as compatible."""
    path = registry.folder / "model-a" / "manifest.json"
    path.write_text(path.read_text().replace('"threshold": 0.25', '"threshold": 0.01'))
    listed = {model["id"]: model for model in client.get("/v1/models", headers=keys.coder).json()["models"]}
    assert not listed["model-a"]["compatible"] and listed["model-b"]["compatible"]
    refused = client.post("/v1/models/model-a/promote", headers=keys.admin)
    assert refused.status_code in (409, 422), refused.text
    assert "E103" in refused.text


# --- promoting ----------------------------------------------------------------------------------------------
def test_promote_is_for_admins_verified_audited_and_served_at_once(client, keys, registry) -> None:
    assert client.post("/v1/models/model-a/promote", headers=keys.coder).status_code == 403
    assert client.post("/v1/models/model-a/promote").status_code == 401
    unknown = client.post("/v1/models/model-zzz/promote", headers=keys.admin)
    assert unknown.status_code == 404 and "model-zzz" in unknown.json()["detail"]
    assert client.post("/v1/models/bad%20id!/promote", headers=keys.admin).status_code == 422
    foreign = client.post("/v1/models/model-foreign/promote", headers=keys.admin)
    assert foreign.status_code == 409
    assert foreign.json()["error"] == "ModelUnusableError" and "code-set" in foreign.json()["detail"]
    assert registry.champion() is None

    promoted = client.post("/v1/models/model-a/promote", headers=keys.admin)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json() == {"champion": "model-a", "previous": None, "serving": "model-a", "reload_error": None}
    assert registry.champion() == "model-a"
    assert _suggested_model(client, keys) == "model-a"  # this process serves it before answering
    again = client.post("/v1/models/model-b/promote", headers=keys.admin).json()
    assert again["previous"] == "model-a" and again["serving"] == "model-b"

    trail = client.get("/v1/audit?action=model.promoted", headers=keys.admin).json()["items"]
    assert [(entry["model"], entry["details"]["previous"]) for entry in trail] == [
        ("model-b", "model-a"),
        ("model-a", None),
    ]
    assert all(entry["actor"] == "admin-test" and entry["actor_key_id"] == keys.admin_id for entry in trail)


def test_a_pack_modified_after_writing_is_not_promoted(client, keys, registry) -> None:
    (registry.folder / "model-a" / "ranker.json").write_bytes(b"tampered")
    refused = client.post("/v1/models/model-a/promote", headers=keys.admin)
    assert refused.status_code == 409 and "sha256" in refused.json()["detail"]
    assert registry.champion() is None


# --- following the champion ---------------------------------------------------------------------------------
def test_a_champion_promoted_elsewhere_is_served_without_a_restart(client, keys, registry) -> None:
    before = client.app.state.engine
    registry.promote("model-b")  # as `chartcoder models promote` or another server process would
    assert eventually(lambda: _suggested_model(client, keys) == "model-b")
    assert client.app.state.engine.nlp is before.nlp  # only the pack was loaded: the pipeline is shared
    assert before.model_id.startswith("zero-shot")  # a request holding the old engine still has it, unchanged
    assert before.suggest("Essential hypertension.").model == before.model_id
    serving = client.get("/v1/models", headers=keys.coder).json()["serving"]
    assert serving["id"] == "model-b" and serving["since"] is not None

    registry.demote()
    assert eventually(lambda: _suggested_model(client, keys).startswith("zero-shot"))


def test_a_champion_that_does_not_load_here_keeps_the_old_model_serving(client, keys, registry) -> None:
    registry.promote("model-a")
    assert eventually(lambda: _suggested_model(client, keys) == "model-a")
    registry.promote("model-b")
    (registry.folder / "model-b" / "ranker.json").write_bytes(b"tampered after promotion")
    error = eventually(lambda: client.get("/v1/models", headers=keys.coder).json()["serving"]["reload_error"])
    assert error and "model-b" in error and "sha256" in error
    assert _suggested_model(client, keys) == "model-a"


@pytest.mark.parametrize("settings_overrides", [{"model": "zero-shot", "model_poll_s": 0.1}])
def test_a_model_pinned_in_the_settings_is_not_replaced(client, keys, registry) -> None:
    registry.promote("model-b")
    time.sleep(0.5)
    assert _suggested_model(client, keys).startswith("zero-shot")
    serving = client.get("/v1/models", headers=keys.coder).json()["serving"]
    assert not serving["follows_champion"]


# --- jobs: the table and its rules ----------------------------------------------------------------------------
def test_one_model_job_at_a_time_is_enforced_by_the_database(app, client) -> None:
    with app.state.database.session() as session:
        jobs = JobRepository(session)
        first = jobs.start("retrain", actor="a", actor_key_id=None, options={}, stale_after_s=60)
        with pytest.raises(ModelJobConflictError) as conflict:
            jobs.start("bootstrap", actor="b", actor_key_id=None, options={}, stale_after_s=60)
        assert conflict.value.job_id == first.id
    with app.state.database.session() as session:  # even a writer that skips the check is refused
        session.add(Job(kind="retrain", status="queued", active_slot=MODEL_JOB_SLOT, actor="x", options={}))
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_job_whose_worker_stopped_reporting_is_failed_and_frees_the_slot(app, client, keys) -> None:
    with app.state.database.session() as session:
        jobs = JobRepository(session)
        job = jobs.start("retrain", actor="admin-test", actor_key_id=None, options={}, stale_after_s=60)
        session.execute(update(Job).where(Job.id == job.id).values(created_at=utcnow() - timedelta(hours=1)))
        session.commit()
    shown = client.get(f"/v1/jobs/{job.id}", headers=keys.admin).json()
    assert shown["status"] == "failed" and "stopped reporting" in shown["error"]
    with app.state.database.session() as session:
        JobRepository(session).start("retrain", actor="admin-test", actor_key_id=None, options={}, stale_after_s=60)


def test_a_worker_that_dies_without_a_result_fails_its_job(app, client, keys, monkeypatch) -> None:
    import service.jobs

    monkeypatch.setattr(service.jobs, "worker_command", lambda job_id: [sys.executable, "-c", "raise SystemExit(3)"])
    started = client.post("/v1/models/retrain", headers=keys.admin)
    assert started.status_code == 202
    job_id = started.json()["id"]
    job = eventually(lambda: _finished(client, keys, job_id), timeout_s=30)
    assert job["status"] == "failed" and "exited with code 3" in job["error"]


def test_job_routes_refuse_bad_input_with_4xx(client, keys) -> None:
    json_headers = {**keys.admin, "Content-Type": "application/json"}
    answers = {
        "bad policy": client.post("/v1/models/retrain", json={"promote": "sometimes"}, headers=keys.admin),
        "negative seed": client.post("/v1/models/retrain", json={"seed": -1}, headers=keys.admin),
        "huge seed": client.post("/v1/models/retrain", json={"seed": 2**40}, headers=keys.admin),
        "unknown field": client.post("/v1/models/retrain", json={"epochs": 3}, headers=keys.admin),
        "a list": client.post("/v1/models/retrain", json=[1], headers=keys.admin),
        "malformed": client.post("/v1/models/retrain", content=b'{"seed": ', headers=json_headers),
        "not UTF-8": client.post("/v1/models/retrain", content='{"seed": "é"}'.encode("latin-1"), headers=json_headers),
        "long job id": client.get("/v1/jobs/" + "a" * 65, headers=keys.admin),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 422)
    assert client.get("/v1/jobs/" + "0" * 32, headers=keys.admin).status_code == 404
    assert client.post("/v1/models/retrain", headers=keys.coder).status_code == 403
    assert client.get("/v1/jobs", headers=keys.coder).status_code == 403
    assert client.post("/v1/models/retrain").status_code == 401
    assert client.get("/v1/jobs", headers=keys.admin).json() == []  # no refused request queued a job


# --- retraining end to end ------------------------------------------------------------------------------------
NOTES = (
    "ASSESSMENT AND PLAN:\n1. Type 2 diabetes mellitus without complications.\n2. Essential hypertension.",
    "Atrial fibrillation, rate controlled. Denies chest pain.",
    "Community acquired pneumonia. Type 1 diabetes mellitus.",
    "Chronic kidney disease stage 3. Essential hypertension.",
    "Heart failure. Paroxysmal atrial fibrillation.",
    "Aspiration pneumonia. Hypertension.",
    "Type 2 diabetes mellitus with diabetic chronic kidney disease. Atrial flutter.",
    "Pneumonia, unspecified organism. Congestive heart failure.",
    "Essential hypertension. Type 2 diabetes mellitus with hyperglycemia.",
    "Persistent atrial fibrillation. Chronic kidney disease, stage 4.",
)


def _review_notes(client, keys, texts) -> None:
    """Queue each note and review it: its top suggestion right, the others wrong."""
    for index, text in enumerate(texts):
        stored = client.post("/v1/notes", json={"text": f"{text}\n{MARKER} {index}."}, headers=keys.coder)
        assert stored.status_code == 201, stored.text
        codes = [item["code"] for item in stored.json()["suggestions"]["suggestions"]]
        assert codes, text
        review = {"accepted": codes[:1], "rejected": codes[1:]}
        answer = client.post(f"/v1/notes/{stored.json()['id']}/review", json=review, headers=keys.coder)
        assert answer.status_code == 201, answer.text


def _finished(client, keys, job_id: str) -> dict[str, Any] | None:
    job = client.get(f"/v1/jobs/{job_id}", headers=keys.admin).json()
    return job if job["status"] in ("succeeded", "failed") else None


@pytest.fixture
def term_table_cache(service_home: Path, mini_home: Path, engine) -> None:
    """The worker builds its engine from the service home: hand it the term table the session engine built."""
    shutil.copytree(mini_home / "cache", service_home / "cache", dirs_exist_ok=True)


@pytest.mark.slow  # a worker process imports the engine and trains (~30 s on two busy cores)
def test_retrain_runs_in_a_worker_process_and_the_new_champion_is_served(
    client, keys, term_table_cache, service_home
) -> None:
    _review_notes(client, keys, NOTES)
    started = client.post("/v1/models/retrain", json={"promote": "always", "seed": 1}, headers=keys.admin)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] == "queued" and job["requested_by"] == "admin-test"
    assert job["options"] == {"promote": "always", "seed": 1}
    assert started.headers["Location"] == f"/v1/jobs/{job['id']}"

    second = client.post("/v1/models/retrain", headers=keys.admin)
    assert second.status_code == 409 and second.json()["job"] == job["id"]

    done = eventually(lambda: _finished(client, keys, job["id"]), timeout_s=JOB_TIMEOUT_S)
    assert done is not None, "the retrain job did not finish in time"
    assert done["status"] == "succeeded", done["error"]
    model = done["model"]
    assert model.startswith("model-") and done["promoted"] is True
    metrics = done["metrics"]
    assert metrics["reviews"]["notes"] == len(NOTES)
    assert metrics["train_notes"] + metrics["validation_notes"] == len(NOTES)
    assert 0.0 <= metrics["validation"]["map"] <= 1.0 and metrics["champion"]["id"].startswith("zero-shot")
    assert done["started_at"] and done["finished_at"] and done["error"] is None

    assert ModelRegistry.for_home(service_home).champion() == model
    assert eventually(lambda: _suggested_model(client, keys) == model)  # picked up without a restart
    listed = client.get("/v1/models", headers=keys.coder).json()
    assert listed["champion"] == model and listed["serving"]["id"] == model
    assert [entry["kind"] for entry in listed["models"] if entry["id"] == model] == ["learned"]

    trail = client.get("/v1/audit", headers=keys.admin).json()["items"]
    actions = {entry["action"]: entry for entry in trail}
    assert actions["retrain.requested"]["actor"] == "admin-test"
    assert actions["retrain.finished"]["model"] == model
    assert actions["model.promoted"]["details"]["job"] == job["id"]
    for text in (client.get(f"/v1/jobs/{job['id']}", headers=keys.admin).text, str(trail)):
        assert MARKER not in text


@pytest.mark.slow  # a worker process imports the training stack (~25 s on two busy cores)
def test_retrain_with_too_few_reviews_fails_with_the_reason(client, keys, term_table_cache) -> None:
    _review_notes(client, keys, NOTES[:1])
    started = client.post("/v1/models/retrain", json={}, headers=keys.admin)
    assert started.status_code == 202, started.text
    done = eventually(lambda: _finished(client, keys, started.json()["id"]), timeout_s=JOB_TIMEOUT_S)
    assert done is not None and done["status"] == "failed"
    assert "at least two" in done["error"] and MARKER not in done["error"]
    assert done["model"] is None
    assert client.get("/v1/models", headers=keys.admin).json()["models"] == []


# --- imports ----------------------------------------------------------------------------------------------------
def test_the_service_does_not_import_training() -> None:
    """Training runs in worker processes only: importing the app (every router) must not load it."""
    code = (
        "import sys, service.app, service.jobs, service.worker, service.model_reload; "
        "assert 'training' not in sys.modules, sorted(m for m in sys.modules if m.startswith('training'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_other_keys_can_read_models(app, client, keys) -> None:
    _key_id, token = make_key(app, "another-coder", "coder")
    assert client.get("/v1/models", headers=bearer(token)).status_code == 200
