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
