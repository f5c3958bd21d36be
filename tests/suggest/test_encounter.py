"""Encounters: several documents coded into one code set (issue 17, point 1).

The fixtures are synthetic charts written for these tests (``tests/fixtures/encounters``): an admission (H&P,
two progress notes, discharge summary) and an office visit (nurse intake, provider note).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from suggest.encounter import code_encounter, merge_documents
from suggest.encounter_input import encounter_from_records
from suggest.encounter_types import Encounter, EncounterDocument
from suggest.errors import EncounterError
from suggest.guidelines.data import read_table
from tests.conftest import FIXTURES_DIR


def _read(name: str) -> Encounter:
    path = FIXTURES_DIR / "encounters" / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return encounter_from_records([(number, json.loads(line)) for number, line in enumerate(lines, start=1)])


@pytest.fixture(scope="module")
def admission() -> Encounter:
    return _read("admission.jsonl")


@pytest.fixture(scope="module")
def office_visit() -> Encounter:
    return _read("office_visit.jsonl")


@pytest.fixture(scope="module")
def admission_codes(engine, admission):
    return code_encounter(engine, admission)


@pytest.fixture(scope="module")
def office_codes(engine, office_visit):
    return code_encounter(engine, office_visit)


def _texts(encounter: Encounter) -> dict[str, str]:
    return {document.document_id: document.text for document in encounter.documents}


def test_the_admission_has_one_principal_diagnosis_the_discharge_summary_names(admission_codes) -> None:
    """Section II: the condition established after study; the discharge summary's first final diagnosis."""
    roles = [suggestion.role for suggestion in admission_codes.suggestions]
    assert roles.count("principal") == 1 and roles[0] == "principal"
    assert admission_codes.principal is not None and admission_codes.principal.code == "J13"
    assert admission_codes.setting == "inpatient"
    assert admission_codes.service_date == date(2026, 3, 5)  # the discharge date: the release is chosen by it


def test_no_condition_is_coded_twice(admission_codes) -> None:
    """The H&P's "community-acquired pneumonia" (J18.9) is the discharge summary's pneumococcal pneumonia (J13):
    one code, the final diagnosis's; each code once."""
    codes = [suggestion.code for suggestion in admission_codes.suggestions]
    assert len(codes) == len(set(codes))
    assert not any(code.startswith("J18") for code in codes)
    categories = [code[:3] for code in codes if not code.startswith("Z")]
    assert len(categories) == len(set(categories))


def test_evidence_comes_from_every_document_that_supports_a_code(admission, admission_codes) -> None:
    texts = _texts(admission)
    pneumonia = next(suggestion for suggestion in admission_codes.suggestions if suggestion.code == "J13")
    assert {"hp-1", "pn-1", "pn-2", "ds-1"} <= set(pneumonia.documents)
    assert {piece.document_id for piece in pneumonia.evidence} >= {"hp-1", "ds-1"}
    for suggestion in admission_codes.suggestions:
        for piece in suggestion.evidence:  # offsets into the document's own text, as received
            words = piece.evidence
            assert texts[piece.document_id][words.start : words.end] == words.text
    diabetes = next(suggestion for suggestion in admission_codes.suggestions if suggestion.code.startswith("E11"))
    assert set(diabetes.documents) >= {"hp-1", "ds-1"}


def test_a_possible_diagnosis_ruled_out_later_is_removed(admission_codes) -> None:
    """II.H: the H&P's "possible pulmonary embolism", ruled out by a later progress note, is not coded."""
    assert not any(suggestion.code.startswith("I26") for suggestion in admission_codes.suggestions)
    reasons = [exclusion.reason for exclusion in admission_codes.excluded if exclusion.code.startswith("I26")]
    assert any("ruled out" in reason and "(II.H)" in reason for reason in reasons)


def test_poa_comes_from_the_history_and_physical(admission_codes) -> None:
    """Appendix I: documented in the H&P at admission -> Y; developed on hospital day 3 -> N."""
    by_code = {suggestion.code: suggestion for suggestion in admission_codes.suggestions}
    assert by_code["J13"].poa == "Y"
    assert "documented in the history and physical at admission" in by_code["J13"].rationale
    assert by_code["I10"].poa == "Y"
    colitis = next(suggestion for suggestion in admission_codes.suggestions if suggestion.code.startswith("A04.7"))
    assert colitis.poa == "N"


def test_the_office_visit_lists_the_provider_diagnosis_first_without_poa(office_codes) -> None:
    assert office_codes.setting == "outpatient"
    assert office_codes.suggestions[0].code == "J02.0" and office_codes.suggestions[0].role == "first_listed"
    assert [suggestion.role for suggestion in office_codes.suggestions].count("first_listed") == 1
    assert all(suggestion.poa is None for suggestion in office_codes.suggestions)
    allergy = next(suggestion for suggestion in office_codes.suggestions if suggestion.code == "Z88.0")
    assert set(allergy.documents) == {"ni-1", "ov-1-note"}


def test_a_finding_only_the_nurse_documents_is_not_coded(office_codes) -> None:
    """I.B.14: code assignment is based on the provider's documentation; the intake's headache is not."""
    assert not any(suggestion.code.startswith("R51") for suggestion in office_codes.suggestions)
    assert any(
        exclusion.code.startswith("R51") and "(I.B.14)" in exclusion.reason for exclusion in office_codes.excluded
    )


def test_every_code_of_the_other_clinicians_table_is_in_the_code_set(indexed_vocabulary) -> None:
    codeset = indexed_vocabulary.codeset
    for prefix, _why in read_table("other_clinicians.tsv"):
        assert prefix in codeset.codes or any(code.startswith(prefix) for code in codeset.codes), prefix


def test_a_note_alone_is_an_encounter_of_one_document(engine) -> None:
    text = "Assessment: Essential hypertension. Type 2 diabetes mellitus with hyperglycemia."
    note = engine.suggest(text, "outpatient")
    encounter = Encounter(documents=(EncounterDocument("n1", "provider_note", text),), setting="outpatient")
    alone = code_encounter(engine, encounter)
    assert [suggestion.code for suggestion in alone.suggestions] == [item.code for item in note.suggestions]
    assert [suggestion.role for suggestion in alone.suggestions] == [item.role for item in note.suggestions]


def test_merging_needs_one_coded_result_per_document(engine, admission) -> None:
    coded = [engine.code_document(admission.documents[0].text, "inpatient")]
    with pytest.raises(ValueError):
        merge_documents(admission, coded, engine.vocabulary.codeset, engine.model_id)


@pytest.mark.parametrize(
    ("encounter", "message"),
    [
        (Encounter(documents=()), "E030"),
        (Encounter(documents=(EncounterDocument("a", "letter", "Asthma."),)), "E031"),  # type: ignore[arg-type]
        (
            Encounter(
                documents=(EncounterDocument("a", "progress_note", "Asthma."),),
                admission_date=date(2026, 3, 5),
                discharge_date=date(2026, 3, 1),
            ),
            "E032",
        ),
        (Encounter(documents=tuple(EncounterDocument(str(i), "progress_note", "Asthma.") for i in range(51))), "E033"),
        (Encounter(documents=(EncounterDocument("a", "progress_note", "x" * 2_000_001),)), "E034"),
        (
            Encounter(
                documents=(
                    EncounterDocument("a", "progress_note", "Asthma."),
                    EncounterDocument("a", "consult_note", "Gout."),
                )
            ),
            "E035",
        ),
        (Encounter(documents=(EncounterDocument("a", "progress_note", "   "),)), "E036"),
        (
            Encounter(
                documents=(EncounterDocument("a", "progress_note", "Asthma.", date(2026, 4, 1)),),
                admission_date=date(2026, 3, 1),
                discharge_date=date(2026, 3, 5),
            ),
            "E037",
        ),
    ],
)
def test_bad_encounters_get_a_named_error(engine, encounter, message) -> None:
    with pytest.raises(EncounterError, match=message):
        code_encounter(engine, encounter)


def test_records_that_disagree_on_the_encounter_are_refused() -> None:
    records = [
        (1, {"encounter_id": "e", "type": "progress_note", "text": "Asthma.", "admission_date": "2026-03-01"}),
        (2, {"encounter_id": "e", "type": "progress_note", "text": "Gout.", "admission_date": "2026-03-02"}),
    ]
    with pytest.raises(EncounterError, match="Line 2: 'admission_date' differs"):
        encounter_from_records(records)
    with pytest.raises(EncounterError, match="not a date"):
        encounter_from_records([(1, {"type": "progress_note", "text": "x", "date": "03/01/2026"})])
    with pytest.raises(EncounterError, match="unknown document type"):
        encounter_from_records([(1, {"type": "memo", "text": "x"})])


def test_the_final_specific_code_stands_for_the_working_unspecified_one(engine) -> None:
    """Section II (after study) and I.B.18: the H&P's "pneumonia" (J18.9, unspecified organism) is the discharge
    summary's "pneumonia due to Streptococcus pneumoniae" (J13) with less detail: J13 alone, carrying both
    documents' evidence."""
    encounter = Encounter(
        documents=(
            EncounterDocument("hp", "history_and_physical", "ASSESSMENT AND PLAN:\n1. Pneumonia. Start antibiotics.\n"),
            EncounterDocument(
                "ds", "discharge_summary", "DISCHARGE DIAGNOSES:\n1. Pneumonia due to Streptococcus pneumoniae.\n"
            ),
        ),
        setting="inpatient",
    )
    result = code_encounter(engine, encounter)
    codes = [suggestion.code for suggestion in result.suggestions]
    assert "J13" in codes and "J18.9" not in codes
    pneumonia = result.suggestions[codes.index("J13")]
    assert set(pneumonia.documents) == {"hp", "ds"}
    assert "I.B.18" in pneumonia.rationale or "(II)" in pneumonia.rationale


def test_a_default_code_does_not_stand_for_a_more_specific_one_of_another_document(engine) -> None:
    """I.B.18: the discharge summary's "type 2 diabetes mellitus" (E11.9) says less than the H&P's "type 2 diabetes
    mellitus with diabetic chronic kidney disease" (E11.22), without contradicting it: E11.22 is reported."""
    encounter = Encounter(
        documents=(
            EncounterDocument(
                "hp",
                "history_and_physical",
                "ASSESSMENT AND PLAN:\n1. Type 2 diabetes mellitus with diabetic chronic kidney disease.\n",
            ),
            EncounterDocument("ds", "discharge_summary", "DISCHARGE DIAGNOSES:\n1. Type 2 diabetes mellitus.\n"),
        ),
        setting="inpatient",
    )
    result = code_encounter(engine, encounter)
    codes = [suggestion.code for suggestion in result.suggestions]
    assert "E11.22" in codes and "E11.9" not in codes
    diabetes = result.suggestions[codes.index("E11.22")]
    assert set(diabetes.documents) == {"hp", "ds"} and "(I.B.18)" in diabetes.rationale
