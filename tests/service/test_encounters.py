"""POST /v1/encounters and its queue and review: one code set per encounter (issue 17, points 1 and 2)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.conftest import FIXTURES_DIR


def _encounter_body(name: str) -> dict[str, Any]:
    """A fixture chart as the request body: its documents, and the encounter's fields from its records."""
    records = [json.loads(line) for line in (FIXTURES_DIR / "encounters" / name).read_text().splitlines()]
    fields = ("encounter_id", "patient_id", "age", "sex", "admission_date", "discharge_date", "setting")
    body: dict[str, Any] = {field: records[0][field] for field in fields if field in records[0]}
    body["documents"] = [
        {"document_id": record["document_id"], "type": record["type"], "date": record["date"], "text": record["text"]}
        for record in records
    ]
    return body


@pytest.fixture
def admission(client, keys) -> dict[str, Any]:
    response = client.post("/v1/encounters", json=_encounter_body("admission.jsonl"), headers=keys.coder)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_encounter_is_coded_stored_and_queued(client, keys, admission) -> None:
    suggestions = admission["suggestions"]
    assert admission["status"] == "pending" and admission["setting"] == "inpatient"
    assert admission["service_date"] == "2026-03-05" == suggestions["service_date"]
    assert [document["document_id"] for document in admission["documents"]] == ["hp-1", "pn-1", "pn-2", "ds-1"]
    roles = [item["role"] for item in suggestions["suggestions"]]
    assert roles.count("principal") == 1 and roles[0] == "principal"
    codes = [item["code"] for item in suggestions["suggestions"]]
    assert len(codes) == len(set(codes))
    texts = {document["document_id"]: document["text"] for document in admission["documents"]}
    documents_with_evidence = set()
    for item in suggestions["suggestions"]:
        for piece in item["evidence"]:
            assert texts[piece["document_id"]][piece["start"] : piece["end"]] == piece["text"]
            documents_with_evidence.add(piece["document_id"])
    assert len(documents_with_evidence) > 1
    page = client.get("/v1/encounters?status=pending", headers=keys.coder).json()
    assert page["total"] == 1 and page["items"][0]["id"] == admission["id"]
    assert page["items"][0]["document_count"] == 4
    listing = json.dumps(page).lower()
    assert "pneumonia" not in listing and "P-0001".lower() not in listing  # no text, no patient id in lists


def test_reading_an_encounter_is_audited_without_its_text(client, keys, admission) -> None:
    read = client.get(f"/v1/encounters/{admission['id']}", headers=keys.coder)
    assert read.status_code == 200 and read.json()["patient_id"] == "P-0001"
    trail = client.get("/v1/audit?action=encounter.read", headers=keys.admin).json()
    assert trail["total"] == 1 and trail["items"][0]["target"] == admission["id"]
    created = client.get("/v1/audit?action=encounter.created", headers=keys.admin).json()
    assert created["total"] == 1
    assert "pneumonia" not in json.dumps(trail).lower() + json.dumps(created).lower()


def test_one_review_of_the_whole_code_set_keeps_order_poa_and_time_to_submit(client, keys, admission) -> None:
    client.get(f"/v1/encounters/{admission['id']}", headers=keys.coder)  # the coder opens it
    suggested = [item["code"] for item in admission["suggestions"]["suggestions"]]
    accepted, rejected = suggested[:2], suggested[2:]
    body = {
        "accepted": accepted,
        "rejected": rejected,
        "added": ["I48.91"],
        "sequence": [accepted[1], accepted[0], "I48.91"],
        "poa": [{"code": accepted[0], "poa": "Y"}, {"code": "I48.91", "poa": "N"}],
    }
    response = client.post(
        f"/v1/encounters/{admission['id']}/review", json=body, headers={**keys.coder, "Idempotency-Key": "enc-rev-0001"}
    )
    assert response.status_code == 201, response.text
    review = response.json()
    assert review["version"] == 1 and review["sequence"] == body["sequence"]
    assert review["opened_at"] is not None and review["seconds_to_submit"] >= 0
    retry = client.post(
        f"/v1/encounters/{admission['id']}/review", json=body, headers={**keys.coder, "Idempotency-Key": "enc-rev-0001"}
    )
    assert retry.status_code == 200 and retry.json()["id"] == review["id"]
    detail = client.get(f"/v1/encounters/{admission['id']}", headers=keys.coder).json()
    assert detail["status"] == "reviewed" and len(detail["reviews"]) == 1
    assert client.get("/v1/encounters?status=pending", headers=keys.coder).json()["total"] == 0


def test_a_review_naming_codes_the_encounter_does_not_have_is_refused(client, keys, admission) -> None:
    url = f"/v1/encounters/{admission['id']}/review"
    suggested = admission["suggestions"]["suggestions"][0]["code"]
    not_suggested = client.post(url, json={"accepted": ["I48.91"]}, headers=keys.coder)
    assert not_suggested.status_code == 422 and not_suggested.json()["field"] == "accepted"
    unordered = client.post(url, json={"accepted": [suggested], "sequence": ["I48.91"]}, headers=keys.coder)
    assert unordered.status_code == 422 and unordered.json()["field"] == "sequence"
    assert client.post("/v1/encounters/nope/review", json={}, headers=keys.coder).status_code == 404


def test_an_office_visit_gets_no_poa(client, keys) -> None:
    response = client.post("/v1/encounters", json=_encounter_body("office_visit.jsonl"), headers=keys.coder)
    assert response.status_code == 201, response.text
    encounter = response.json()
    assert encounter["setting"] == "outpatient"
    assert all(item["poa"] is None for item in encounter["suggestions"]["suggestions"])
    refused = client.post(
        f"/v1/encounters/{encounter['id']}/review",
        json={"added": ["I10"], "poa": [{"code": "I10", "poa": "Y"}]},
        headers=keys.coder,
    )
    assert refused.status_code == 422 and "outpatient" in refused.text


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"documents": []}, 422, "at least 1"),
        ({"documents": [{"document_id": "a", "type": "letter", "text": "Asthma."}]}, 422, "type"),
        ({"admission_date": "2026-03-05", "discharge_date": "2026-03-01"}, 422, "E032"),
        ({"documents": [{"document_id": "a", "type": "progress_note", "text": "  "}]}, 422, "E001"),
        (
            {
                "documents": [
                    {"document_id": "a", "type": "progress_note", "text": "Asthma."},
                    {"document_id": "a", "type": "consult_note", "text": "Gout."},
                ]
            },
            422,
            "E035",
        ),
        ({"documents": [{"document_id": str(i), "type": "progress_note", "text": "x"} for i in range(40)]}, 413, "40"),
        ({"documents": [{"document_id": "a", "type": "progress_note", "text": "x" * 200_001}]}, 413, "bytes"),
        (
            {"documents": [{"document_id": "a", "type": "progress_note", "text": "Asthma.", "date": "05/03/2026"}]},
            422,
            "date",
        ),
        ({"surprise": 1}, 422, "surprise"),
    ],
)
def test_bad_encounters_get_a_clear_4xx(client, keys, change, status, words) -> None:
    body = {"documents": [{"document_id": "a", "type": "progress_note", "text": "Asthma."}], **change}
    response = client.post("/v1/encounters", json=body, headers=keys.coder)
    assert response.status_code == status, response.text
    assert words in response.text


def test_encounters_need_a_key(client) -> None:
    assert client.post("/v1/encounters", json=_encounter_body("office_visit.jsonl")).status_code == 401
    assert client.get("/v1/encounters").status_code == 401


def test_no_note_text_or_patient_id_is_logged(client, keys, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    body = _encounter_body("admission.jsonl")
    created = client.post("/v1/encounters", json=body, headers=keys.coder).json()
    client.get(f"/v1/encounters/{created['id']}", headers=keys.coder)
    logged = caplog.text.lower()
    assert "pneumonia" not in logged and "p-0001" not in logged


def test_what_runs_on_a_stored_review_shares_its_transaction(client, app, keys, admission) -> None:
    """The seam filing uses (issue 17.3): ``on_stored`` sees the review's final codes; if it fails, no review."""
    from service.security import Principal
    from service.store.encounter_repository import EncounterRef, EncounterReviewRepository
    from service.store.repositories import ReviewDecision

    code = admission["suggestions"]["suggestions"][0]["code"]
    seen = []

    def failing_filing(session, review) -> None:
        seen.append(review.final_codes())
        raise RuntimeError("filing failed")

    with app.state.database.session() as session, pytest.raises(RuntimeError, match="filing failed"):
        EncounterReviewRepository(session).add(
            EncounterRef(id=admission["id"], model_id=admission["model"]),
            ReviewDecision(accepted=(code,), rejected=(), added=(), sequence=(code,)),
            Principal(key_id=keys.coder_id, name="coder-test", role="coder"),
            idempotency_key=None,
            review_id=None,
            on_stored=failing_filing,
        )
    assert seen == [[(code, 1, None)]]
    assert client.get(f"/v1/encounters/{admission['id']}", headers=keys.coder).json()["reviews"] == []


def test_a_reviewed_encounter_is_filed_and_found_with_its_stay_order_poa_and_evidence(client, keys, admission) -> None:
    """Issue 17.3: the per-encounter review files the encounter (one version, its stay from admission to
    discharge, the coder's order and POA, evidence places in each document) and search finds it; FHIR exports it."""
    suggested = [item["code"] for item in admission["suggestions"]["suggestions"]]
    body = {"accepted": suggested[:2], "rejected": suggested[2:], "added": [], "sequence": [suggested[1], suggested[0]]}
    body["poa"] = [{"code": suggested[1], "poa": "Y"}, {"code": suggested[0], "poa": "N"}]
    assert client.post(f"/v1/encounters/{admission['id']}/review", json=body, headers=keys.coder).status_code == 201
    found = client.post("/v1/encounters/search", json={"patient_id": "P-0001"}, headers=keys.coder).json()
    assert found["total"] == 1
    filed = found["items"][0]
    assert filed["encounter_id"] == admission["id"] and filed["external_id"] == "adm-1"
    assert (filed["service_start"], filed["service_end"], filed["setting"]) == ("2026-03-01", "2026-03-05", "inpatient")
    reported = [code for code in filed["codes"] if code["decision"] != "rejected"]
    assert [(code["code"], code["sequence"], code["poa"]) for code in reported] == [
        (suggested[1], 1, "Y"),
        (suggested[0], 2, "N"),
    ]
    documents = {place["document"] for code in filed["codes"] for place in code["evidence"]}
    assert documents and documents <= {"hp-1", "pn-1", "pn-2", "ds-1"}
    response = client.get(f"/v1/encounters/{admission['id']}/fhir", headers=keys.coder)
    assert response.status_code == 200
    from fhir.resources.R4B.bundle import Bundle  # issue 20.1: the fixture encounter's export validates

    bundle = Bundle.model_validate(response.json())
    (claim,) = [entry.resource for entry in bundle.entry if entry.resource.__resource_type__ == "Claim"]
    claimed = [
        (d.sequence, d.diagnosisCodeableConcept.coding[0].code, d.onAdmission.coding[0].code if d.onAdmission else None)
        for d in claim.diagnosis
    ]
    assert claimed[:2] == [(1, suggested[1], "y"), (2, suggested[0], "n")]  # the filed review's order and POA


def test_a_patients_filed_encounters_over_a_date_range_get_their_hccs_and_risk_score(client, keys, admission) -> None:
    """Issue 20.3: a patient over a date range (filed encounters, latest versions) gets its CMS-HCC list with the
    hierarchies applied and hccinfhir's score; the patient id travels in the body and is not audited."""
    from suggest.risk_adjustment import risk_profile

    wanted = ["E11.22", "E11.9", "I50.9"]
    suggested = [item["code"] for item in admission["suggestions"]["suggestions"]]
    body = {
        "accepted": [code for code in suggested if code in wanted],
        "rejected": [code for code in suggested if code not in wanted],
        "added": [code for code in wanted if code not in suggested],
    }
    response = client.post(f"/v1/encounters/{admission['id']}/review", json=body, headers=keys.coder)
    assert response.status_code == 201, response.text
    ask = {"patient_id": "P-0001", "service_from": "2026-03-01", "service_to": "2026-03-31", "age": 72, "sex": "male"}
    scored = client.post("/v1/risk", json=ask, headers=keys.coder).json()
    expected = risk_profile(["E11.22", "E11.9", "I50.9"], age=72, sex="male")
    assert sorted(scored["codes"]) == ["E11.22", "E11.9", "I50.9"]
    assert [item["hcc"] for item in scored["hccs"]] == [item.hcc for item in expected.hccs]
    assert scored["risk_score"] == expected.risk_score
    assert "38" in {item["hcc"] for item in scored["superseded"]}  # diabetes without complications, under 37
    outside = client.post("/v1/risk", json={**ask, "service_from": "2026-04-01"}, headers=keys.coder).json()
    assert outside["codes"] == [] and outside["hccs"] == []
    audit = client.get("/v1/audit", params={"action": "risk.scored"}, headers=keys.admin).json()["items"]
    assert audit[0]["details"]["filed_encounters"] == 0 and audit[1]["details"]["filed_encounters"] == 1
    assert "P-0001" not in str(audit)


def test_an_encounter_reviews_time_counts_in_the_coders_throughput(client, keys, admission) -> None:
    """Issue 20.4: per-coder throughput comes from the review times encounters store (opened -> submitted)."""
    before = {row["coder"]: row for row in client.get("/v1/stats", headers=keys.coder).json()["per_coder"]}
    assert "coder-test" not in before
    client.get(f"/v1/encounters/{admission['id']}", headers=keys.coder)  # the coder opens it
    suggested = [item["code"] for item in admission["suggestions"]["suggestions"]]
    body = {"accepted": suggested[:2], "rejected": suggested[2:], "added": []}
    assert client.post(f"/v1/encounters/{admission['id']}/review", json=body, headers=keys.coder).status_code == 201
    row = {row["coder"]: row for row in client.get("/v1/stats", headers=keys.coder).json()["per_coder"]}["coder-test"]
    assert (row["reviews"], row["timed_reviews"], row["codes"]) == (1, 1, 2)
