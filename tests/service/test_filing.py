"""Filing (issue 17, points 3-4): a review files the note as an encounter; corrections are versions; search by
code (exact, prefix, range), patient, service dates, coder, status; FHIR export (issue 20, point 1)."""

from __future__ import annotations

from datetime import date

import pytest

INPATIENT_NOTE = (
    "DISCHARGE DIAGNOSES:\n"
    "1. Type 2 diabetes mellitus with diabetic chronic kidney disease.\n"
    "2. Atrial fibrillation, rate controlled.\n"
)


def _suggested(note) -> list[str]:
    return [item["code"] for item in note["suggestions"]["suggestions"]]


def _queue(client, keys, text: str, *, setting: str = "outpatient", day: str = "2026-03-04", encounter_id=None):
    body = {"text": text, "setting": setting, "encounter": {"encounter_date": day}}
    if encounter_id:
        body["encounter"]["encounter_id"] = encounter_id
    response = client.post("/v1/notes", json=body, headers=keys.coder)
    assert response.status_code == 201, response.text
    return response.json()


def _search(client, keys, **criteria):
    response = client.post("/v1/encounters/search", json=criteria, headers=keys.coder)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_review_files_the_note_as_an_encounter_and_a_correction_files_a_new_version(client, keys, queued_note):
    codes = _suggested(queued_note)
    url = f"/v1/notes/{queued_note['id']}/review"
    first = client.post(url, json={"accepted": codes[:1], "rejected": codes[1:], "added": ["I10"]}, headers=keys.coder)
    assert first.status_code == 201, first.text
    found = _search(client, keys, code=codes[0])
    assert found["total"] == 1
    filed = found["items"][0]
    assert (filed["encounter_id"], filed["version"], filed["status"]) == (queued_note["id"], 1, "filed")
    assert filed["coder"] == "coder-test" and filed["model"] == queued_note["model"]
    by_code = {code["code"]: code for code in filed["codes"]}
    assert by_code["I10"]["decision"] == "added" and by_code[codes[0]]["decision"] == "accepted"
    assert by_code[codes[0]]["evidence"] and by_code[codes[0]]["evidence"][0]["document"] == queued_note["id"]
    assert _search(client, keys, code="I10")["total"] == 1
    if codes[1:]:  # a rejected code is filed but never answers a code search
        assert by_code[codes[1]]["decision"] == "rejected"
        assert _search(client, keys, code=codes[1])["total"] == 0

    second = client.post(url, json={"accepted": codes[:1], "rejected": codes[1:]}, headers=keys.coder)
    assert second.status_code == 201
    assert _search(client, keys, code="I10")["total"] == 0  # the correction dropped it: the latest version answers
    latest = _search(client, keys, code=codes[0])["items"]
    assert [(item["version"], item["status"]) for item in latest] == [(2, "corrected")]
    assert _search(client, keys, status="corrected")["total"] == 1
    assert _search(client, keys, status="filed")["total"] == 0
    audit = client.get("/v1/audit", params={"action": "encounter.corrected"}, headers=keys.admin).json()
    assert [entry["target"] for entry in audit["items"]] == [queued_note["id"]]


def test_searches_by_code_prefix_range_dates_and_coder(client, keys, app):
    notes = [
        _queue(client, keys, "Type 2 diabetes mellitus with diabetic chronic kidney disease.", day="2026-01-10"),
        _queue(client, keys, "Atrial fibrillation, rate controlled.", day="2026-02-20"),
    ]
    for note in notes:
        assert (
            client.post(
                f"/v1/notes/{note['id']}/review", json={"accepted": _suggested(note)}, headers=keys.coder
            ).status_code
            == 201
        )
    diabetic = [code for code in _suggested(notes[0]) if code.startswith("E11")]
    assert diabetic, "the mini code set should suggest an E11 code for the diabetes note"
    prefix = _search(client, keys, code_prefix="E11.")
    assert [item["encounter_id"] for item in prefix["items"]] == [notes[0]["id"]]
    assert _search(client, keys, code_prefix="e11")["total"] == 1
    assert _search(client, keys, code_range="E10-E13.9")["total"] == 1
    assert _search(client, keys, code_from="E10", code_to="E13")["total"] == 1
    assert _search(client, keys, code_range="E00-E09")["total"] == 0
    assert _search(client, keys, code=diabetic[0].replace(".", "").lower())["total"] == 1
    both = _search(client, keys)
    assert [item["encounter_id"] for item in both["items"]] == [notes[1]["id"], notes[0]["id"]]  # newest first
    assert _search(client, keys, service_from="2026-02-01")["total"] == 1
    assert (
        _search(client, keys, service_from="2026-01-01", service_to="2026-01-31")["items"][0]["encounter_id"]
        == (notes[0]["id"])
    )
    assert _search(client, keys, coder="coder-test")["total"] == 2
    assert _search(client, keys, coder="someone-else")["total"] == 0
    page = _search(client, keys, limit=1, offset=1)
    assert page["total"] == 2 and [item["encounter_id"] for item in page["items"]] == [notes[0]["id"]]
    audit = client.get("/v1/audit", params={"action": "encounters.searched"}, headers=keys.admin).json()
    assert audit["total"] >= 10
    assert "coder" in audit["items"][-1]["details"]["criteria"] or audit["items"][0]["details"]["criteria"] == []


def test_patient_search_finds_only_that_patients_encounters(client, keys, app, queued_note):
    from service.store.database import write_transaction
    from service.store.filing import FiledCodeIn, FiledEncounterIn, file_encounter

    with app.state.database.session() as session, write_transaction(session):
        for number, patient in enumerate(["P-1", "P-2", "P-1"]):
            file_encounter(
                session,
                FiledEncounterIn(
                    encounter_id=f"enc-{number}",
                    patient_id=patient,
                    service_start=date(2026, 5, number + 1),
                    setting="outpatient",
                    coder_name="coder-test",
                    model_id="m1",
                    codes=(FiledCodeIn(code="I10", decision="accepted", sequence=1),),
                ),
            )
    found = _search(client, keys, patient_id="P-1")
    assert found["total"] == 2
    assert [item["encounter_id"] for item in found["items"]] == ["enc-2", "enc-0"]
    assert {item["patient_id"] for item in found["items"]} == {"P-1"}


@pytest.mark.parametrize(
    "body",
    [
        {"code": "diabetes"},
        {"code_prefix": "E1.2"},
        {"limit": 0},
        {"patient": "P-1"},
    ],
)
def test_malformed_criteria_get_a_422_without_echoing_them(client, keys, body):
    response = client.post("/v1/encounters/search", json=body, headers=keys.coder)
    assert response.status_code == 422, response.text
    for value in body.values():
        assert str(value) not in str(response.json()["detail"]) or str(value) in {"0"}


@pytest.mark.parametrize(
    "body",
    [
        {"code_range": "E13-E10"},
        {"code_from": "E13", "code_to": "E10.9"},
        {"code_range": "E10-E11.9", "code_from": "E12"},  # both ways: their intersection, empty
        {"service_from": "2026-02-01", "service_to": "2026-01-01"},
    ],
)
def test_criteria_that_exclude_each_other_answer_an_empty_page_saying_why(client, keys, queued_note, body):
    client.post(f"/v1/notes/{queued_note['id']}/review", json={"accepted": _suggested(queued_note)}, headers=keys.coder)
    found = _search(client, keys, **body)
    assert found["total"] == 0 and found["items"] == []
    assert found["warnings"] and "before" in found["warnings"][0]


def test_a_range_given_both_ways_is_their_intersection(client, keys, queued_note):
    client.post(f"/v1/notes/{queued_note['id']}/review", json={"accepted": _suggested(queued_note)}, headers=keys.coder)
    assert _search(client, keys, code_range="E00-E99", code_from="E11")["total"] == 1
    assert _search(client, keys, code_range="E00-E99", code_to="E10.9")["total"] == 0


def test_search_needs_a_key_and_no_patient_id_reaches_the_logs(client, keys, caplog):
    import logging

    assert client.post("/v1/encounters/search", json={}).status_code == 401
    with caplog.at_level(logging.DEBUG):
        _search(client, keys, patient_id="PATIENT-SECRET-42", code_prefix="E11.")
    assert "PATIENT-SECRET-42" not in caplog.text


def test_fhir_export_of_a_filed_inpatient_encounter_validates_and_keeps_order_and_poa(client, keys, app):
    from fhir.resources.R4B.bundle import Bundle

    from service.export.fhir import ICD10CM_SYSTEM, ON_ADMISSION_SYSTEM

    note = _queue(client, keys, INPATIENT_NOTE, setting="inpatient", day="2026-04-01")
    codes = _suggested(note)
    assert len(codes) >= 2
    sequence = [codes[1], codes[0], "Z79.4"]
    poa = [{"code": codes[1], "poa": "Y"}, {"code": codes[0], "poa": "N"}, {"code": "Z79.4", "poa": "1"}]
    review = client.post(
        f"/v1/notes/{note['id']}/review",
        json={"accepted": codes[:2], "rejected": codes[2:], "added": ["Z79.4"], "sequence": sequence, "poa": poa},
        headers=keys.coder,
    )
    assert review.status_code == 201, review.text
    response = client.get(f"/v1/encounters/{note['id']}/fhir", headers=keys.coder)
    assert response.status_code == 200, response.text
    bundle = Bundle.model_validate(response.json())  # fhir.resources' R4B models accept it
    resources = {}
    for entry in bundle.entry:
        resources.setdefault(entry.resource.get_resource_type(), []).append((entry.fullUrl, entry.resource))
    ((_url, encounter),) = resources["Encounter"]
    conditions = {url: condition for url, condition in resources["Condition"]}
    ranked = sorted(encounter.diagnosis, key=lambda entry: entry.rank)
    assert [conditions[entry.condition.reference].code.coding[0].code for entry in ranked] == sequence
    assert all(c.code.coding[0].system == ICD10CM_SYSTEM for c in conditions.values())
    status = {c.code.coding[0].code: c.verificationStatus.coding[0].code for c in conditions.values()}
    assert status == {
        **{code: "refuted" for code in codes[2:]},
        codes[0]: "confirmed",
        codes[1]: "confirmed",
        "Z79.4": "confirmed",
    }
    principal = conditions[ranked[0].condition.reference]
    assert any(note_text.text.startswith("Evidence: ") for note_text in principal.note)  # the note's words
    ((_url, claim),) = resources["Claim"]
    claimed = [
        (d.sequence, d.diagnosisCodeableConcept.coding[0].code, d.onAdmission.coding[0].code if d.onAdmission else None)
        for d in claim.diagnosis
    ]
    assert claimed == [(1, codes[1], "y"), (2, codes[0], "n"), (3, "Z79.4", None)]  # exempt: no onAdmission
    assert all(d.onAdmission.coding[0].system == ON_ADMISSION_SYSTEM for d in claim.diagnosis if d.onAdmission)
    audit = client.get("/v1/audit", params={"action": "encounter.exported"}, headers=keys.admin).json()
    assert audit["items"][0]["target"] == note["id"] and audit["items"][0]["details"]["evidence_read"] == 1


def test_fhir_of_an_unfiled_encounter_is_404_and_a_search_answers_a_searchset(client, keys, queued_note):
    from fhir.resources.R4B.bundle import Bundle

    assert client.get(f"/v1/encounters/{queued_note['id']}/fhir", headers=keys.coder).status_code == 404
    client.post(f"/v1/notes/{queued_note['id']}/review", json={"accepted": _suggested(queued_note)}, headers=keys.coder)
    response = client.post("/v1/encounters/search/fhir", json={"coder": "coder-test"}, headers=keys.coder)
    assert response.status_code == 200, response.text
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset" and bundle.total == 1
    matches = [entry for entry in bundle.entry if entry.search.mode == "match"]
    assert [entry.resource.get_resource_type() for entry in matches] == ["Encounter"]


# Every page plan: the code indexes walked in page order (exact code, categories merged), or, for searches the
# walks do not serve, the encounters walked by date or the matches read from the code index and sorted.
# (a coder's encounters probed one by one when its codes are common: PROBE_ABOVE 0 makes every code common)
@pytest.mark.parametrize(("category_walks", "walk_above", "probe_above"), [(30, 0, 0), (0, 0, 2000), (0, 10_000, 2000)])
def test_search_pages_match_a_plain_reading_of_the_filings(
    database_url, monkeypatch, category_walks, walk_above, probe_above
):
    import random

    import service.store.filed_search as filed_search
    from service.store.database import write_transaction
    from service.store.filed_search import FiledSearch, search_filed
    from service.store.filing import FiledCodeIn, FiledEncounterIn, file_encounter
    from service.store.migrate import open_migrated

    monkeypatch.setattr(filed_search, "WALK_BY_DATE_ABOVE", walk_above)
    monkeypatch.setattr(filed_search, "MAX_CATEGORY_WALKS", category_walks)
    monkeypatch.setattr(filed_search, "PROBE_ABOVE", probe_above)
    rng = random.Random(3)
    pool = ["E10.9", "E11.22", "E11.9", "E13.8", "E13.9", "E14", "I10", "I48.91", "J45.909", "Z79.4"]
    filings = {}
    database = open_migrated(database_url)
    with database.session() as session, write_transaction(session):
        for number in range(40):
            picked = rng.sample(pool, 4)
            codes = tuple(
                FiledCodeIn(code, "rejected") if place == 4 else FiledCodeIn(code, "accepted", place)
                for place, code in enumerate(picked, start=1)
            )
            one = FiledEncounterIn(
                f"enc-{number % 30}", date(2026, 1, 1 + number % 28), "outpatient", f"coder-{number % 3}", "m", codes
            )
            file_encounter(session, one)
            filings[one.encounter_id] = one  # encounters 0-9 are filed twice: the second filing is current

    def expected(match) -> list[str]:
        hits = [one for one in filings.values() if any(match(c.code) for c in one.codes if c.decision != "rejected")]
        return [one.encounter_id for one in sorted(hits, key=lambda one: (one.service_start, one.encounter_id))]

    cases = [
        (FiledSearch(code="E11.9"), lambda code: code == "E11.9"),
        (FiledSearch(code_prefix="E11."), lambda code: code.startswith("E11.")),
        (FiledSearch(code_prefix="E1"), lambda code: code.startswith("E1")),
        (FiledSearch(code_from="E10", code_to="E13.8"), lambda code: "E10" <= code <= "E13.8"),
        (FiledSearch(code_from="E11", code_to="E13"), lambda code: "E11" <= code < "E14"),
    ]
    with database.session() as session:
        for criteria, match in cases:
            want = expected(match)
            page = search_filed(session, criteria, limit=100)
            assert page.total == len(want), criteria
            got = [item.encounter_id for item in page.items]
            # newest service date first; ties broken by the filed version's id, so compare as sets per day
            assert sorted(got) == sorted(want) and len(got) == len(set(got)), criteria
            days = [item.service_start for item in page.items]
            assert days == sorted(days, reverse=True)
            second = search_filed(session, criteria, limit=3, offset=3)
            assert [item.encounter_id for item in second.items] == got[3:6]
        capped = search_filed(session, FiledSearch(code_prefix="E1"), limit=5, offset=4, count_cap=3)
        assert (capped.total, capped.total_capped, len(capped.items)) == (3, True, 5)  # "more than 3"; pages go on
        exact = search_filed(
            session, FiledSearch(code_prefix="E1"), limit=5, count_cap=len(expected(lambda c: c[:2] == "E1"))
        )
        assert not exact.total_capped
        mixed = search_filed(session, FiledSearch(code_prefix="E11.", coder="coder-1"), limit=100)  # probed
        assert mixed.total == len(mixed.items)
        assert [
            item.id
            for item in search_filed(session, FiledSearch(code_prefix="E11.", coder="coder-1"), limit=2, offset=1).items
        ] == [item.id for item in mixed.items[1:3]]
        assert {item.encounter_id for item in mixed.items} == {
            one.encounter_id
            for one in filings.values()
            if one.coder_name == "coder-1"
            and any(c.code.startswith("E11.") for c in one.codes if c.decision != "rejected")
        }
    database.dispose()


def test_code_walks_reach_lettered_categories_merge_in_page_order_and_cap_the_count(database_url, monkeypatch):
    """A range or prefix spanning categories (C7A sorts after C79, before C80) is walked category by category and
    merged newest first, an encounter with two matching codes once; the same answers as the plan through the
    encounters (MAX_CATEGORY_WALKS = 0); and the total stops at the cap, saying so."""
    import service.store.filed_search as filed_search
    from service.store.database import write_transaction
    from service.store.filed_search import FiledSearch, search_filed
    from service.store.filing import FiledCodeIn, FiledEncounterIn, file_encounter
    from service.store.migrate import open_migrated

    filings = {
        "a": (date(2026, 1, 3), ["C7A.010", "C72.0"]),
        "b": (date(2026, 1, 9), ["C80.1", "I10"]),
        "c": (date(2026, 2, 1), ["C79.51", "D3A.01"]),
        "d": (date(2026, 2, 1), ["C7B.00"]),
        "e": (date(2026, 3, 5), ["C69.90", "C81.90"]),
        "f": (date(2026, 3, 6), ["C72.0", "C7A.010", "C80.1"]),
    }
    database = open_migrated(database_url)
    with database.session() as session, write_transaction(session):
        for encounter_id, (day, codes) in filings.items():
            coded = tuple(FiledCodeIn(code, "accepted", place) for place, code in enumerate(codes, start=1))
            file_encounter(session, FiledEncounterIn(encounter_id, day, "outpatient", "coder-1", "m", coded))

    def newest_first(match) -> list[str]:
        hits = [key for key, (_day, codes) in filings.items() if any(match(code) for code in codes)]
        return sorted(hits, key=lambda key: filings[key][0], reverse=True)

    cases = [
        (FiledSearch(code_from="C70", code_to="C80.9"), lambda code: "C70" <= code < "C80.9~"),
        (FiledSearch(code_prefix="C7"), lambda code: code.startswith("C7")),
        (FiledSearch(code_from="C7A", code_to="C7B"), lambda code: "C7A" <= code < "C7B~"),
        (FiledSearch(code_prefix="C7A."), lambda code: code.startswith("C7A.")),
        (FiledSearch(code="C72.0"), lambda code: code == "C72.0"),
        (FiledSearch(code_from="C70", code_to="C80.9", service_from=date(2026, 2, 1)), None),
        (FiledSearch(code_from="E00", code_to="E89.9"), lambda code: False),
    ]
    with database.session() as session:
        for walks in (30, 0):
            monkeypatch.setattr(filed_search, "MAX_CATEGORY_WALKS", walks)
            for criteria, match in cases:
                want = (
                    ["f", "d", "c"]  # the range, on or after 1 February
                    if match is None
                    else newest_first(match)
                )
                page = search_filed(session, criteria, limit=50)
                got = [item.encounter_id for item in page.items]
                assert page.total == len(want) and not page.total_capped, (walks, criteria)
                days = [item.service_start for item in page.items]
                assert sorted(got) == sorted(want) and days == sorted(days, reverse=True), (walks, criteria)
                assert [item.encounter_id for item in search_filed(session, criteria, limit=2, offset=1).items] == (
                    got[1:3]
                )
            capped = search_filed(session, FiledSearch(code_from="C70", code_to="C80.9"), limit=2, count_cap=3)
            assert (capped.total, capped.total_capped, len(capped.items)) == (3, True, 2)
            assert [item.encounter_id for item in capped.items] in (["f", "c"], ["f", "d"])  # c and d: one day
    database.dispose()
