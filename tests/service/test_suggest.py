"""POST /v1/suggest and /v1/suggest/batch: the engine's JSON, and a clear 4xx for every bad input."""

from __future__ import annotations

import pytest

from tests.service.conftest import DIABETES_NOTE


def test_suggest_returns_the_engine_json(client, keys, engine):
    response = client.post(
        "/v1/suggest",
        json={"text": DIABETES_NOTE, "setting": "outpatient", "note_id": "n-1", "encounter": {"patient_age": 61}},
        headers=keys.coder,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # the documentation list (findings) reads [] where the engine reports none
    assert body == {"documentation": [], **engine.suggest(DIABETES_NOTE, setting="outpatient", note_id="n-1").to_dict()}
    assert body["note_id"] == "n-1"
    assert body["model"] == engine.model_id
    assert "E11.22" in [item["code"] for item in body["suggestions"]]
    # documentation findings beside the codes (issue 16): the example note carries no signature
    assert "completeness.signature_missing" in [item["kind"] for item in body["documentation"]]


def test_suggest_top_limits_the_suggestions(client, keys):
    response = client.post("/v1/suggest", json={"text": DIABETES_NOTE, "top": 1}, headers=keys.coder)
    assert response.status_code == 200
    assert len(response.json()["suggestions"]) == 1


def test_batch_codes_each_note_and_reports_bad_ones_alone(client, keys):
    notes = [{"text": DIABETES_NOTE, "note_id": "a"}, {"text": "   ", "note_id": "b"}, {"text": "Hypertension."}]
    response = client.post("/v1/suggest/batch", json={"notes": notes}, headers=keys.coder)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [item["index"] for item in results] == [0, 1, 2]
    assert results[0]["result"]["note_id"] == "a" and results[0]["error"] is None
    assert results[1]["result"] is None and results[1]["error"]["error"] == "EmptyNoteError"
    assert results[2]["result"] is not None


@pytest.mark.parametrize("settings_overrides", [{"max_batch": 2}])
def test_a_batch_over_the_limit_is_refused_with_413(client, keys):
    notes = [{"text": "Hypertension."}] * 3
    response = client.post("/v1/suggest/batch", json={"notes": notes}, headers=keys.coder)
    assert response.status_code == 413
    assert "limit is 2" in response.json()["detail"]


def test_an_empty_batch_is_refused(client, keys):
    assert client.post("/v1/suggest/batch", json={"notes": []}, headers=keys.coder).status_code == 422


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": ""}, "E001"),
        ({"text": " \n\t "}, "E001"),
        ({"text": "Hypertension.\x00\x01"}, "NUL"),
        ({"text": "x" + "\x01\x02\x03" * 50}, "E003"),
        ({"text": "Hypertension.", "setting": "emergency"}, "outpatient"),
        ({"text": 42}, "string"),
        ({}, "Field required"),
        ({"text": "Hypertension.", "colour": "blue"}, "Extra inputs"),
        ({"text": "Hypertension.", "top": 0}, "greater than or equal"),
    ],
)
def test_bad_notes_get_422_with_a_message(client, keys, body, message):
    response = client.post("/v1/suggest", json=body, headers=keys.coder)
    assert response.status_code == 422, response.text
    assert message in response.text


def test_a_note_over_the_size_limit_gets_413(client, keys):
    text = "Patient with hypertension. " * 10_000  # 270 kB
    response = client.post("/v1/suggest", json={"text": text}, headers=keys.coder)
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "limit is 200,000" in detail
    assert "hypertension" not in detail


def test_the_size_limit_counts_utf8_bytes(client, keys):
    text = "é" * 150_000  # 150,000 characters, 300,000 bytes
    assert client.post("/v1/suggest", json={"text": text}, headers=keys.coder).status_code == 413


def test_a_body_over_the_request_limit_gets_413_before_parsing(client, keys, settings):
    body = b'{"text": "' + b"a" * (settings.max_body_bytes + 10) + b'"}'
    response = client.post("/v1/suggest", content=body, headers={**keys.coder, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert "larger than the service accepts" in response.json()["detail"]


def test_non_utf8_bytes_get_422(client, keys):
    response = client.post(
        "/v1/suggest",
        content=b'{"text": "caf\xe9 au lait"}',
        headers={**keys.coder, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "not UTF-8" in response.text


def test_lone_surrogates_get_422_not_500(client, keys):
    response = client.post(
        "/v1/suggest",
        content=b'{"text": "bad \\ud800 surrogate", "note_id": "\\udfff"}',
        headers={**keys.coder, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "surrogate" in response.text


@pytest.mark.parametrize("body", [b'{"text": ', b"not json at all", b'{"text": "a",}'])
def test_malformed_json_gets_422(client, keys, body):
    response = client.post("/v1/suggest", content=body, headers={**keys.coder, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("Malformed JSON")


def test_validation_errors_never_echo_the_note(client, keys):
    marker = "Zebrafinch-marker-sentence"
    response = client.post("/v1/suggest", json={"text": marker, "setting": "nowhere"}, headers=keys.coder)
    assert response.status_code == 422
    assert marker not in response.text
    for issue in response.json()["detail"]:
        assert set(issue) == {"loc", "msg", "type"}


@pytest.mark.parametrize("settings_overrides", [{"request_timeout_s": 0.01}])
def test_a_slow_engine_answers_503(client, keys, app):
    import time

    class SlowEngine:
        model_id = "slow"

        def suggest(self, *args, **kwargs):
            time.sleep(0.5)
            raise AssertionError("never reached in time")

    app.state.engine = SlowEngine()
    response = client.post("/v1/suggest", json={"text": "Hypertension."}, headers=keys.coder)
    assert response.status_code == 503
    assert "did not finish" in response.json()["detail"]
