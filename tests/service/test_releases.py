"""Issue 15 over HTTP: the encounter's date of service picks the ICD-10-CM release (the discharge date for an
inpatient stay), the answer names it, and a coder's code not valid on that date is refused with 422."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

NOTE = "Type 1 diabetes mellitus with ketoacidosis with coma. Essential hypertension."


@pytest.fixture(scope="module")
def dated_vocabulary(two_release_home: Path):
    from vocab.vocabulary import load_vocabulary

    return load_vocabulary(two_release_home)  # the release in force today: FY2027 (from 2026-10-01)


@pytest.fixture(scope="module")
def dated_engine(dated_vocabulary):
    from suggest.pipeline import load_engine

    return load_engine(dated_vocabulary, model="zero-shot")


@pytest.fixture
def service_home(tmp_path: Path, two_release_home: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "codeset").symlink_to(two_release_home / "codeset", target_is_directory=True)
    return home


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"model": "zero-shot"}


@pytest.fixture
def app(settings, dated_vocabulary, dated_engine):
    from service.app import create_app

    return create_app(settings, vocabulary=dated_vocabulary, engine=dated_engine)


def _codes(answer: dict) -> set[str]:
    return {item["code"] for item in answer["suggestions"]}


def test_the_encounter_date_picks_the_release(client, keys) -> None:
    november = client.post(
        "/v1/suggest", json={"text": NOTE, "encounter": {"encounter_date": "2026-11-15"}}, headers=keys.coder
    )
    september = client.post(
        "/v1/suggest", json={"text": NOTE, "encounter": {"encounter_date": "2026-09-15"}}, headers=keys.coder
    )
    assert november.status_code == september.status_code == 200, september.text
    assert november.json()["code_set"] == "ICD-10-CM FY2027" and "E10.12" in _codes(november.json())
    assert september.json()["code_set"] == "ICD-10-CM FY2026" and "E10.11" in _codes(september.json())
    undated = client.post("/v1/suggest", json={"text": NOTE}, headers=keys.coder).json()
    assert undated["code_set"] == "ICD-10-CM FY2027" and undated["release_before_date"] is False


def test_the_discharge_date_picks_the_release_of_an_inpatient_stay(client, keys) -> None:
    stay = {"encounter_date": "2026-09-20", "discharge_date": "2026-10-03"}
    answer = client.post(
        "/v1/suggest", json={"text": NOTE, "setting": "inpatient", "encounter": stay}, headers=keys.coder
    ).json()
    assert answer["code_set"] == "ICD-10-CM FY2027"


def test_a_batch_codes_each_note_with_its_release(client, keys) -> None:
    notes = [
        {"text": NOTE, "encounter": {"encounter_date": "2026-09-15"}},
        {"text": NOTE, "encounter": {"encounter_date": "2026-11-15"}},
        {"text": NOTE, "encounter": {"encounter_date": "2019-01-01"}},
    ]
    results = client.post("/v1/suggest/batch", json={"notes": notes}, headers=keys.coder).json()["results"]
    assert [item["result"]["code_set"] for item in results] == [
        "ICD-10-CM FY2026",
        "ICD-10-CM FY2027",
        "ICD-10-CM FY2026",
    ]
    assert [item["result"]["release_before_date"] for item in results] == [False, False, True]


def test_a_bad_date_is_a_422_not_a_500(client, keys) -> None:
    response = client.post(
        "/v1/suggest", json={"text": NOTE, "encounter": {"encounter_date": "2026-02-30"}}, headers=keys.coder
    )
    assert response.status_code == 422


def test_a_coders_code_not_valid_on_the_date_of_service_is_refused(client, keys) -> None:
    note = client.post(
        "/v1/notes", json={"text": NOTE, "encounter": {"encounter_date": "2026-09-15"}}, headers=keys.coder
    ).json()
    assert note["suggestions"]["code_set"] == "ICD-10-CM FY2026"
    refused = client.post(f"/v1/notes/{note['id']}/review", json={"added": ["E10.12"]}, headers=keys.coder)
    assert refused.status_code == 422 and "E10.12 is not a code in ICD-10-CM FY2026" in refused.text
    accepted = client.post(f"/v1/notes/{note['id']}/review", json={"accepted": ["E10.11"]}, headers=keys.coder)
    assert accepted.status_code == 201, accepted.text
