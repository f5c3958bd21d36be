"""POST /v1/risk, the HCC on every suggestion, and the dashboard's HCC capture and throughput in /v1/stats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hccinfhir import calculate_raf

from service.store.coding_outcomes import MAX_REVIEW_SECONDS
from service.store.database import write_transaction
from service.store.models import AuditEntry, utcnow
from suggest.risk_adjustment import RISK_MODEL, hcc_for
from tests.service.test_stats import _note, _review


def test_suggestions_carry_their_hccs(client, keys) -> None:
    response = client.post(
        "/v1/suggest",
        json={"text": "ASSESSMENT AND PLAN:\n1. Type 2 diabetes mellitus with diabetic chronic kidney disease.\n"},
        headers=keys.coder,
    )
    assert response.status_code == 200, response.text
    suggestions = response.json()["suggestions"]
    assert suggestions
    for item in suggestions:
        assert item["hcc"] == [category.to_dict() for category in hcc_for(item["code"])], item["code"]
    assert any(item["hcc"] for item in suggestions), "a diabetes code with CKD maps to HCC 37"


def test_risk_scores_codes_with_hierarchies_as_hccinfhir(client, keys) -> None:
    body = {"codes": ["E11.9", "e1122", "I50.9", "I10"], "age": 72, "sex": "female"}
    response = client.post("/v1/risk", json=body, headers=keys.coder)
    assert response.status_code == 200, response.text
    risk = response.json()
    expected = calculate_raf(["E119", "E1122", "I509", "I10"], model_name=RISK_MODEL, age=72, sex="F")
    assert risk["risk_score"] == pytest.approx(expected.risk_score, abs=1e-12)
    assert [(hcc["hcc"], hcc["codes"]) for hcc in risk["hccs"]] == [("37", ["E11.22"]), ("226", ["I50.9"])]
    assert [(hcc["hcc"], hcc["by"]) for hcc in risk["superseded"]] == [("38", ["37"])]
    assert risk["unmapped"] == ["I10"]
    assert risk["codes"] == ["E11.22", "E11.9", "I10", "I50.9"]
    assert (risk["model"], risk["payment_year"], risk["demographic_cell"]) == (RISK_MODEL, 2026, "F70_74")


def test_risk_of_reviewed_notes_uses_their_final_codes_and_is_audited(client, app, keys) -> None:
    first = _note(app, keys.coder_id, "model-a", ["E11.9", "I10"])
    second = _note(app, keys.coder_id, "model-a", ["I50.9"])
    _review(client, keys.coder, first, accepted=["E11.9"], rejected=["I10"], added=["E11.22"])
    _review(client, keys.coder, second, rejected=["I50.9"])
    response = client.post("/v1/risk", json={"note_ids": [first, second], "age": 80, "sex": "male"}, headers=keys.coder)
    assert response.status_code == 200, response.text
    risk = response.json()
    assert risk["codes"] == ["E11.22", "E11.9"]  # the rejected I10 and I50.9 are not the patient's
    expected = calculate_raf(["E1122", "E119"], model_name=RISK_MODEL, age=80, sex="M")
    assert risk["risk_score"] == pytest.approx(expected.risk_score, abs=1e-12)
    audit = client.get("/v1/audit", params={"action": "risk.scored"}, headers=keys.admin).json()
    assert audit["items"][0]["details"] == {"notes": [first, second], "codes": 2, "payment_year": 2026}
    assert audit["items"][0]["actor"] == "coder-test"


def test_risk_refuses_what_it_cannot_score_and_names_codes_outside_the_code_set(client, app, keys) -> None:
    pending = _note(app, keys.coder_id, "model-a", ["E11.9"])
    unknown = client.post("/v1/risk", json={"note_ids": ["nope"], "age": 70, "sex": "male"}, headers=keys.coder)
    assert unknown.status_code == 404
    unreviewed = client.post("/v1/risk", json={"note_ids": [pending], "age": 70, "sex": "male"}, headers=keys.coder)
    assert unreviewed.status_code == 409 and unreviewed.json()["field"] == "note_ids"
    not_in_set = client.post(
        "/v1/risk", json={"codes": ["e1199", "I50.9"], "age": 70, "sex": "male"}, headers=keys.coder
    )
    assert not_in_set.status_code == 200  # scored, and named: another release's code, or a typo
    assert not_in_set.json()["not_in_code_set"] == ["E11.99"] and not_in_set.json()["unmapped"] == ["E11.99"]
    other_sex = {"codes": [], "age": 70, "sex": "other"}
    unknown_year = {"codes": [], "age": 70, "sex": "male", "payment_year": 2024}
    for bad in (other_sex, unknown_year):
        assert client.post("/v1/risk", json=bad, headers=keys.coder).status_code == 422
    assert client.post("/v1/risk", json={"codes": [], "age": 70, "sex": "male"}).status_code == 401


def _opened(app, note_id: str, key_id: str, minutes_ago: float) -> None:
    with app.state.database.session() as session, write_transaction(session):
        session.add(
            AuditEntry(
                at=utcnow() - timedelta(minutes=minutes_ago),
                actor="coder-test",
                actor_key_id=key_id,
                action="note.read",
                target=note_id,
                details={"text": True},
            )
        )


def test_stats_count_hcc_capture_chapters_and_throughput(client, app, keys) -> None:
    first = _note(app, keys.coder_id, "model-a", ["E11.22", "I10", "I50.9"])
    second = _note(app, keys.coder_id, "model-b", ["J18.9", "I48.0"])
    third = _note(app, keys.coder_id, "model-b", ["I10"])
    _opened(app, first, keys.coder_id, minutes_ago=10)
    _review(client, keys.coder, first, accepted=["E11.22", "I10"], rejected=["I50.9"], added=["N18.4"])
    _opened(app, second, keys.coder_id, minutes_ago=5)
    _review(client, keys.coder, second, accepted=["J18.9"], rejected=["I48.0"])
    _review(client, keys.coder, third, accepted=["I10"])  # never opened: no time
    stats = client.get("/v1/stats", headers=keys.coder).json()

    capture = stats["hcc_capture"]
    # E11.22 (HCC 37) kept, N18.4 (HCC 327) added, I50.9 (HCC 226) and I48.0 (HCC 238) rejected
    assert [hcc_for(code)[0].hcc for code in ("E11.22", "N18.4", "I50.9", "I48.0")] == ["37", "327", "226", "238"]
    assert not hcc_for("I10") and not hcc_for("J18.9")
    assert (capture["accepted"], capture["added"], capture["rejected"]) == (1, 1, 2)
    assert capture["capture_rate"] == 0.5
    per_hcc = {row["hcc"]: (row["accepted"], row["added"], row["rejected"]) for row in capture["per_hcc"]}
    assert per_hcc == {"37": (1, 0, 0), "327": (0, 1, 0), "226": (0, 0, 1), "238": (0, 0, 1)}

    chapters = {row["chapter"]: row for row in stats["per_chapter"]}
    assert (chapters["4"]["accepted"], chapters["4"]["added"]) == (1, 0)  # E11.22
    assert (chapters["9"]["accepted"], chapters["9"]["rejected"]) == (2, 2)  # I10 x2 / I50.9, I48.0
    assert chapters["10"]["accepted"] == 1 and chapters["14"]["added"] == 1
    assert [row["chapter"] for row in stats["per_chapter"]] == ["4", "9", "10", "14"]

    (coder,) = stats["per_coder"]
    assert (coder["coder"], coder["reviews"], coder["timed_reviews"], coder["codes"]) == ("coder-test", 3, 2, 4)
    assert coder["hours"] == pytest.approx(15 / 60, abs=0.01)  # 10 + 5 minutes
    assert coder["encounters_per_hour"] == pytest.approx(2 / 0.25, rel=0.05)
    assert coder["codes_per_hour"] == pytest.approx(4 / 0.25, rel=0.05)
    assert coder["median_review_seconds"] == pytest.approx(450, abs=30)


def test_a_note_left_open_counts_an_hour_at_most_and_an_old_read_belongs_to_the_old_review(client, app, keys) -> None:
    note = _note(app, keys.coder_id, "model-a", ["I10"])
    _opened(app, note, keys.coder_id, minutes_ago=300)
    _review(client, keys.coder, note, accepted=["I10"])
    _review(client, keys.coder, note, rejected=["I10"])  # version 2 without opening the note again
    (coder,) = client.get("/v1/stats", headers=keys.coder).json()["per_coder"]
    assert (coder["reviews"], coder["timed_reviews"]) == (2, 1)
    assert coder["hours"] == pytest.approx(MAX_REVIEW_SECONDS / 3600)
