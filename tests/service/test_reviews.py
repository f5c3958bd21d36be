"""POST /v1/notes/{id}/review: validated codes, coder from the key, idempotent retries, versions."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest


def _suggested(note) -> list[str]:
    return [item["code"] for item in note["suggestions"]["suggestions"]]


def _review_url(note) -> str:
    return f"/v1/notes/{note['id']}/review"


def test_a_review_is_stored_with_coder_and_model(client, keys, queued_note):
    codes = _suggested(queued_note)
    response = client.post(
        _review_url(queued_note),
        json={"accepted": codes[:1], "rejected": codes[1:], "added": ["i10"]},
        headers=keys.coder,
    )
    assert response.status_code == 201, response.text
    review = response.json()
    assert review["coder"] == "coder-test"
    assert review["model"] == queued_note["model"]
    assert review["version"] == 1
    assert review["accepted"] == codes[:1]
    assert review["rejected"] == codes[1:]
    assert review["added"] == ["I10"]  # canonical spelling
    note = client.get(f"/v1/notes/{queued_note['id']}", headers=keys.coder).json()
    assert note["status"] == "reviewed"
    assert note["reviews"] == [review]


def test_a_retry_with_the_same_idempotency_key_stores_one_review(client, keys, queued_note, app):
    from sqlalchemy import func, select

    from service.store.models import Review

    body = {"accepted": _suggested(queued_note)[:1]}
    headers = {**keys.coder, "Idempotency-Key": f"retry-{uuid.uuid4()}"}
    first = client.post(_review_url(queued_note), json=body, headers=headers)
    second = client.post(_review_url(queued_note), json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    with app.state.database.session() as session:
        assert session.scalar(select(func.count(Review.id))) == 1


def test_concurrent_retries_store_one_review(client, keys, queued_note, app):
    from sqlalchemy import func, select

    from service.store.models import Review

    body = {"accepted": _suggested(queued_note)[:1], "review_id": f"client-{uuid.uuid4().hex}"}
    with ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(lambda _: client.post(_review_url(queued_note), json=body, headers=keys.coder), range(8))
        )
    assert sorted(response.status_code for response in responses) == [200] * 7 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert responses[0].json()["id"] == body["review_id"]
    with app.state.database.session() as session:
        assert session.scalar(select(func.count(Review.id))) == 1


def test_reusing_a_key_for_a_different_review_is_409(client, keys, queued_note):
    headers = {**keys.coder, "Idempotency-Key": "same-key-123"}
    codes = _suggested(queued_note)
    assert client.post(_review_url(queued_note), json={"accepted": codes[:1]}, headers=headers).status_code == 201
    response = client.post(_review_url(queued_note), json={"rejected": codes[:1]}, headers=headers)
    assert response.status_code == 409
    assert "different review" in response.json()["detail"]


def test_header_and_review_id_must_agree(client, keys, queued_note):
    response = client.post(
        _review_url(queued_note),
        json={"accepted": [], "review_id": "aaaaaaaa-1"},
        headers={**keys.coder, "Idempotency-Key": "bbbbbbbb-2"},
    )
    assert response.status_code == 422


def test_a_new_review_is_a_new_version_and_the_old_is_kept(client, keys, queued_note):
    codes = _suggested(queued_note)
    first = client.post(_review_url(queued_note), json={"accepted": codes[:1]}, headers=keys.coder).json()
    second = client.post(_review_url(queued_note), json={"rejected": codes[:1]}, headers=keys.admin).json()
    assert (first["version"], second["version"]) == (1, 2)
    assert second["coder"] == "admin-test"
    reviews = client.get(f"/v1/notes/{queued_note['id']}", headers=keys.coder).json()["reviews"]
    assert reviews == [first, second]


def test_concurrent_reviews_of_one_note_get_distinct_versions(client, keys, queued_note):
    codes = _suggested(queued_note)
    with ThreadPoolExecutor(6) as pool:
        responses = list(
            pool.map(
                lambda _: client.post(_review_url(queued_note), json={"accepted": codes[:1]}, headers=keys.coder),
                range(6),
            )
        )
    assert all(response.status_code == 201 for response in responses)
    assert sorted(response.json()["version"] for response in responses) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("field", "code", "status", "message"),
    [
        ("added", "Q99.9", 422, "not a code in ICD-10-CM"),
        ("accepted", "I10", 422, "was not suggested"),
        ("rejected", "I10", 422, "was not suggested"),
    ],
)
def test_bad_codes_are_refused_naming_the_code(client, keys, queued_note, field, code, status, message):
    response = client.post(_review_url(queued_note), json={field: [code]}, headers=keys.coder)
    assert response.status_code == status, response.text
    body = response.json()
    assert message in body["detail"]
    assert body["code"] == code
    assert body["field"] == field


def test_a_value_not_shaped_like_a_code_is_refused_by_the_schema_without_echo(client, keys, queued_note):
    response = client.post(_review_url(queued_note), json={"added": ["I10", "123-4 chest pain"]}, headers=keys.coder)
    assert response.status_code == 422, response.text
    [issue] = response.json()["detail"]
    assert issue["loc"] == ["body", "added", 1]
    assert "not shaped like an ICD-10-CM code" in issue["msg"]
    assert "chest pain" not in response.text and "123-4" not in response.text


def test_a_suggested_code_cannot_be_added_or_both_accepted_and_rejected(client, keys, queued_note):
    code = _suggested(queued_note)[0]
    added = client.post(_review_url(queued_note), json={"added": [code]}, headers=keys.coder)
    assert added.status_code == 422 and "accept it instead" in added.json()["detail"]
    both = client.post(_review_url(queued_note), json={"accepted": [code], "rejected": [code]}, headers=keys.coder)
    assert both.status_code == 422 and "both accepted and rejected" in both.json()["detail"]


def test_reviewing_an_unknown_note_is_404(client, keys):
    response = client.post("/v1/notes/nope/review", json={"added": ["I10"]}, headers=keys.coder)
    assert response.status_code == 404


def test_the_stored_rows_are_append_only(client, keys, queued_note, app):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    client.post(_review_url(queued_note), json={"added": ["I10"]}, headers=keys.coder)
    for statement in ("UPDATE reviews SET coder_name = 'x'", "DELETE FROM review_codes", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), app.state.database.engine.begin() as connection:
            connection.execute(text(statement))


def test_a_key_reused_on_another_note_is_409(client, keys, queued_note):
    other = client.post("/v1/notes", json={"text": "Atrial fibrillation."}, headers=keys.coder).json()
    headers = {**keys.coder, "Idempotency-Key": "cross-note-key-1"}
    assert client.post(_review_url(queued_note), json={"added": ["I10"]}, headers=headers).status_code == 201
    assert client.post(_review_url(other), json={"added": ["I10"]}, headers=headers).status_code == 409


def test_a_review_id_taken_by_another_review_is_409_not_500(client, keys, queued_note, app):
    from tests.service.conftest import bearer, make_key

    _, other_coder = make_key(app, "coder-two", "coder")
    review_id = f"taken-{uuid.uuid4().hex}"
    first = client.post(_review_url(queued_note), json={"added": ["I10"], "review_id": review_id}, headers=keys.coder)
    assert first.status_code == 201, first.text
    # ids are visible to every coder: another coder naming the same id gets a conflict, not a server error
    reused = client.post(
        _review_url(queued_note), json={"added": ["I10"], "review_id": review_id}, headers=bearer(other_coder)
    )
    assert reused.status_code == 409, reused.text
    assert reused.json()["error"] == "ReviewIdTakenError"
    assert reused.json()["review_id"] == review_id


def test_idempotency_keys_are_scoped_to_the_caller(client, keys, queued_note, app):
    from tests.service.conftest import bearer, make_key

    _, other_token = make_key(app, "coder-two", "coder")
    shared_key = f"shared-{uuid.uuid4().hex}"
    first = client.post(
        _review_url(queued_note), json={"added": ["I10"]}, headers={**keys.coder, "Idempotency-Key": shared_key}
    )
    assert first.status_code == 201
    other = {**bearer(other_token), "Idempotency-Key": shared_key}
    # the same body: a new review of coder two's, not coder one's review replayed
    same_body = client.post(_review_url(queued_note), json={"added": ["I10"]}, headers=other)
    assert same_body.status_code == 201, same_body.text
    assert same_body.json()["coder"] == "coder-two"
    assert same_body.json()["id"] != first.json()["id"]
    assert "Idempotent-Replayed" not in same_body.headers
    # coder two's own retry with that key is a replay of coder two's review
    retry = client.post(_review_url(queued_note), json={"added": ["I10"]}, headers=other)
    assert (retry.status_code, retry.json()["id"]) == (200, same_body.json()["id"])


def test_another_callers_key_with_a_different_body_reveals_nothing(client, keys, queued_note, app):
    from tests.service.conftest import bearer, make_key

    _, other_token = make_key(app, "coder-two", "coder")
    shared_key = f"probe-{uuid.uuid4().hex}"
    headers = {**keys.coder, "Idempotency-Key": shared_key}
    assert client.post(_review_url(queued_note), json={"added": ["I10"]}, headers=headers).status_code == 201
    probe = client.post(
        _review_url(queued_note),
        json={"added": ["E11.9"]},
        headers={**bearer(other_token), "Idempotency-Key": shared_key},
    )
    assert probe.status_code == 201, probe.text  # not 409: the key is coder two's own, unused


# --- Round 2: the coder's reporting order and POA indicators (issue 13, point 9) -------------------------------
@pytest.fixture
def inpatient_note(client, keys) -> dict:
    from tests.service.conftest import DIABETES_NOTE

    response = client.post(
        "/v1/notes", json={"text": DIABETES_NOTE, "note_id": "stay-1", "setting": "inpatient"}, headers=keys.coder
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert len(_suggested(note)) >= 2, "the fixture note should get two suggestions from the mini code set"
    return note


def test_sequence_and_poa_are_stored_and_read_back(client, keys, inpatient_note, app):
    first, second = _suggested(inpatient_note)[:2]
    body = {
        "accepted": [first, second],
        "added": ["i10"],
        "sequence": [second, "I10", first],  # the coder's order, not the engine's
        "poa": [{"code": second, "poa": "Y"}, {"code": "I10", "poa": "1"}, {"code": first, "poa": "N"}],
    }
    response = client.post(_review_url(inpatient_note), json=body, headers=keys.coder)
    assert response.status_code == 201, response.text
    review = response.json()
    assert review["sequence"] == [second, "I10", first]
    assert sorted((entry["code"], entry["poa"]) for entry in review["poa"]) == sorted(
        [(second, "Y"), ("I10", "1"), (first, "N")]
    )
    note = client.get(f"/v1/notes/{inpatient_note['id']}", headers=keys.coder).json()
    assert note["reviews"] == [review]
    audit = client.get("/v1/audit", params={"action": "review.created"}, headers=keys.admin).json()
    [entry] = [item for item in audit["items"] if item["target"] == inpatient_note["id"]]
    assert entry["details"]["sequence"] == [second, "I10", first]
    assert entry["details"]["poa"] == {second: "Y", "I10": "1", first: "N"}


def test_an_old_style_review_without_sequence_or_poa_is_still_201(client, keys, inpatient_note):
    response = client.post(
        _review_url(inpatient_note), json={"accepted": _suggested(inpatient_note)[:1]}, headers=keys.coder
    )
    assert response.status_code == 201, response.text
    assert response.json()["sequence"] == [] and response.json()["poa"] == []


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"sequence": ["I10"]}, "sequence", "neither accepted nor added"),
        ({"sequence": ["{first}", "{first}"]}, "sequence", "listed twice"),
        ({"poa": [{"code": "I10", "poa": "Y"}]}, "poa", "neither accepted nor added"),
        ({"poa": [{"code": "{first}", "poa": "Y"}, {"code": "{first}", "poa": "N"}]}, "poa", "listed twice"),
    ],
)
def test_sequence_and_poa_must_name_accepted_or_added_codes_once(client, keys, inpatient_note, extra, field, message):
    first = _suggested(inpatient_note)[0]
    filled = {
        key: [
            {**value, "code": value["code"].format(first=first)}
            if isinstance(value, dict)
            else value.format(first=first)
            for value in values
        ]
        for key, values in extra.items()
    }
    response = client.post(_review_url(inpatient_note), json={"accepted": [first], **filled}, headers=keys.coder)
    assert response.status_code == 422, response.text
    body = response.json()
    assert message in body["detail"]
    assert body["field"] == field


def test_a_bad_poa_value_is_422_without_echo(client, keys, inpatient_note):
    first = _suggested(inpatient_note)[0]
    response = client.post(
        _review_url(inpatient_note),
        json={"accepted": [first], "poa": [{"code": first, "poa": "present on admission, chest pain"}]},
        headers=keys.coder,
    )
    assert response.status_code == 422, response.text
    assert "chest pain" not in response.text
    assert response.json()["detail"][0]["loc"] == ["body", "poa", 0, "poa"]


def test_poa_is_refused_on_an_outpatient_note(client, keys, queued_note):
    first = _suggested(queued_note)[0]
    response = client.post(
        _review_url(queued_note), json={"accepted": [first], "poa": [{"code": first, "poa": "Y"}]}, headers=keys.coder
    )
    assert response.status_code == 422, response.text
    assert "inpatient notes only" in response.json()["detail"]


def test_a_retry_with_another_order_is_a_different_review(client, keys, inpatient_note):
    first, second = _suggested(inpatient_note)[:2]
    headers = {**keys.coder, "Idempotency-Key": f"order-{uuid.uuid4()}"}
    body = {"accepted": [first, second], "sequence": [first, second]}
    assert client.post(_review_url(inpatient_note), json=body, headers=headers).status_code == 201
    again = client.post(_review_url(inpatient_note), json=body, headers=headers)
    assert again.status_code == 200
    reordered = client.post(_review_url(inpatient_note), json={**body, "sequence": [second, first]}, headers=headers)
    assert reordered.status_code == 409, reordered.text


def test_an_unchanged_old_style_fingerprint_keeps_old_retries_working():
    """A review stored before sequence/POA existed keeps its fingerprint: the fields count only when sent."""
    from service.store.repositories import ReviewDecision, request_fingerprint

    old = ReviewDecision(accepted=("E11.9",), rejected=(), added=())
    assert request_fingerprint("n1", old) == request_fingerprint("n1", ReviewDecision(("E11.9",), (), (), (), ()))
    assert request_fingerprint("n1", old) != request_fingerprint(
        "n1", ReviewDecision(("E11.9",), (), (), ("E11.9",), ())
    )
