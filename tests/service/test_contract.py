"""schemathesis over every route of the OpenAPI schema, with a coder key and an admin key, with requests that
fit the schema and requests that do not: the schema states what the handlers accept and answer, so its default
checks find no mismatch (no 500, no undocumented status, no response off its schema, no accepted request the
schema forbids, no refused request it allows).

schemathesis's pytest fixture loader does not run under pytest 9, so each route and mode is one pytest case that
draws its requests from the operation's hypothesis strategy. Marked slow (about two minutes on two cores); CI runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.slow

# Routes with rules across fields that a JSON schema cannot state (POST /v1/encounters: admission before
# discharge, documents dated within the stay, unique document ids, documents within max_batch): a schema-valid
# body may break one and get its 4xx, which must then be the named error of that rule, never a validation list.
CROSS_FIELD_RULES = {("POST", "/v1/encounters"): {422: {"EncounterError"}, 413: {"BatchTooLargeError"}}}
EXAMPLES_PER_ROUTE = 20  # per route, mode and key: 1,280 requests, about two minutes on two cores


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Each route with requests that fit the schema, and, where it takes any input, requests that do not."""
    from service.app import create_app
    from service.settings import Settings

    paths = create_app(Settings(home=Path("unused"), database_url="sqlite://")).openapi()["paths"]
    cases = []
    for path, operations in paths.items():
        for method, operation in operations.items():
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the schema is the same on PostgreSQL, and the fuzzing is the expensive part."""
    return f"sqlite:///{tmp_path / 'chartcoder.db'}"


@pytest.mark.parametrize(("method", "path", "mode"), _cases())
def test_the_api_matches_its_schema(app, client, keys, monkeypatch, method: str, path: str, mode) -> None:
    import service.jobs

    # a retraining job the fuzzer starts gets a worker that exits at once (its failure is recorded, as in life)
    monkeypatch.setattr(service.jobs, "worker_command", lambda job_id: [sys.executable, "-c", "raise SystemExit(0)"])
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]
    for key in (keys.coder, keys.admin):
        # the key goes into the strategy, so that no case counts a key of its own making as the schema violation

        @given(case=operation.as_strategy(generation_mode=mode, headers=key))
        @settings(
            max_examples=EXAMPLES_PER_ROUTE,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def responses_match_the_schema(case) -> None:
            rules = CROSS_FIELD_RULES.get((method, path)) if mode == GenerationMode.POSITIVE else None
            if rules is None:
                case.call_and_validate()
                return
            response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
            if response.status_code in rules:
                assert response.json()["error"] in rules[response.status_code], response.text
            else:
                assert response.status_code < 400 or response.status_code in (401, 403, 404, 409), response.text

        responses_match_the_schema()
