"""Schemathesis against the app's own OpenAPI schema: no 5xx, and every answer matches the schema.

Driven through schemathesis's Python API (its pytest plugin does not run under pytest 9), bounded to 25
examples per operation and mode (valid and invalid data); marked slow.
"""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="the contract test needs schemathesis (pip install schemathesis)"
)
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.store.migrate import open_migrated  # noqa: E402
from service.store.repositories import KeyRepository, NoteRepository  # noqa: E402
from tests.service.conftest import DIABETES_NOTE  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture
def contract_app(settings, mini_vocabulary, engine, monkeypatch) -> tuple[Any, dict[str, str]]:
    """An app not yet started (schemathesis runs its lifespan), with an admin key and one queued note.

    Retraining workers exit at once (the job is then recorded as failed): the contract is about the answers.
    """
    import sys

    import service.jobs
    from service.app import create_app

    monkeypatch.setattr(service.jobs, "worker_command", lambda job_id: [sys.executable, "-c", "pass"])

    database = open_migrated(settings.resolved_database_url)
    with database.session() as session:
        key, token = KeyRepository(session).create("contract", "admin", actor="test")
        NoteRepository(session).add(
            text=DIABETES_NOTE,
            setting="outpatient",
            external_id="contract-note",
            encounter=None,
            suggestions=engine.suggest(DIABETES_NOTE).to_dict(),
            created_by=key.id,
        )
    database.dispose()
    return create_app(settings, vocabulary=mini_vocabulary, engine=engine), {"Authorization": f"Bearer {token}"}


def _check_operation(operation, headers: dict[str, str], mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(headers=dict(headers), checks=CHECKS)  # a copy: the call adds to it

    run()


def test_api_honours_its_schema(contract_app):
    """Every operation, positive and negative data: failures are collected and reported together."""
    app, headers = contract_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _check_operation(operation, headers, mode)
            except Unsatisfiable:  # no parameters to get wrong (GET /healthz): nothing negative to send
                continue
            except Exception as error:
                failures[f"{operation.method.upper()} {operation.path} ({mode})"] = str(error)[:2000]
    assert operations >= 10
    assert not failures, "\n\n".join(f"{name}:\n{message}" for name, message in failures.items())
