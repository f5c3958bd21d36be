"""What the audit sent that the schema allowed and the handlers refused (or the reverse), one test each: strict
JSON types, text without control characters, searches without letters, code shapes, every method in Allow,
unknown query parameters, and error bodies that never quote the caller's free text back."""

from __future__ import annotations

import pytest

NOTE = "Type 2 diabetes mellitus. Essential hypertension."


@pytest.mark.parametrize("age", [False, True, "42", 42.5])
def test_patient_age_must_be_a_json_integer(client, keys, age):
    body = {"text": NOTE, "encounter": {"patient_age": age}}
    response = client.post("/v1/notes", json=body, headers=keys.coder)
    assert response.status_code == 422, response.text  # `false` was stored as 0
    assert response.json()["detail"][0]["loc"] == ["body", "encounter", "patient_age"]


def test_an_integral_float_is_an_integer(client, keys):
    response = client.post("/v1/notes", json={"text": NOTE, "encounter": {"patient_age": 42.0}}, headers=keys.coder)
    assert response.status_code == 201, response.text
    assert response.json()["encounter"]["patient_age"] == 42


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/notes"])
def test_a_control_character_in_a_note_is_refused_as_the_schema_says(client, keys, app, route):
    pattern = app.openapi()["components"]["schemas"]["NoteInput"]["properties"]["text"]["pattern"]
    assert "\\x1f" in pattern  # the schema states it ...
    response = client.post(route, json={"text": NOTE + "\x1b[0m"}, headers=keys.coder)
    assert response.status_code == 422, response.text  # ... and the handler refuses it (one stray one was coded)
    assert "U+001B" in response.text
    ok = client.post(route, json={"text": "Hypertension.\tStable.\r\nDiabetes."}, headers=keys.coder)
    assert ok.status_code in (200, 201)  # tabs and line breaks are text


@pytest.mark.parametrize("query", ["?!", "---", "   "])
def test_a_search_with_nothing_to_search_for_finds_nothing(client, keys, query):
    response = client.get("/v1/codes/search", params={"q": query}, headers=keys.coder)
    assert response.status_code == 200, response.text  # was 422 for a query the schema allows
    assert response.json()["results"] == []


def test_a_malformed_code_is_refused_by_its_schema_pattern_without_echo(client, keys, app):
    parameter = app.openapi()["paths"]["/v1/codes/{code}"]["get"]["parameters"][0]
    assert parameter["schema"]["pattern"].startswith("^[A-Za-z]")
    response = client.get("/v1/codes/chest pain here", headers=keys.coder)
    assert response.status_code == 422
    assert "chest pain" not in response.text
    assert client.get("/v1/codes/e119", headers=keys.coder).status_code == 200


def test_error_bodies_do_not_quote_path_ids_or_unknown_field_names(client, keys):
    missing = client.get("/v1/notes/patient-john-smith", headers=keys.coder)
    assert missing.status_code == 404 and "john" not in missing.text
    strange = client.post("/v1/suggest", json={"text": NOTE, "Mr Smith has HIV": 1}, headers=keys.coder)
    assert strange.status_code == 422 and "HIV" not in strange.text
    assert strange.json()["detail"][0]["loc"] == ["body", "<unknown field>"]
    named = client.post("/v1/suggest", json={"text": NOTE, "colour": "blue"}, headers=keys.coder)
    assert named.json()["detail"][0]["loc"] == ["body", "colour"]  # a field name may appear; its value never
    assert "blue" not in named.text


def test_an_unknown_query_parameter_is_refused(client, keys):
    response = client.get("/v1/notes", params={"limt": 5}, headers=keys.coder)
    assert response.status_code == 422, response.text  # was silently ignored
    assert response.json()["detail"][0]["loc"] == ["query", "limt"]
    assert client.get("/v1/notes", params={"limit": 5}, headers=keys.coder).status_code == 200


@pytest.mark.parametrize(("path", "methods"), [("/v1/notes", {"GET", "POST"}), ("/v1/suggest", {"POST"})])
def test_options_names_every_method_of_the_path(client, keys, path, methods):
    response = client.options(path, headers=keys.coder)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= methods  # GET was missing for /v1/notes
    assert response.json()["detail"] == "Method Not Allowed"
