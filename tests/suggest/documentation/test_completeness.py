"""Completeness checks: signature and credentials, patient identifier, required sections, an assessment with a
diagnosis, dates."""

from __future__ import annotations

from suggest.documentation.completeness import check_completeness
from suggest.documentation.dates import check_dates
from suggest.documentation.document_type import detect_document_type
from tests.suggest.documentation.conftest import facts, mention

SIGNED = "\nElectronically signed by: Laura Kim, MD on 03/06/2026\n"
HEADER = "Patient: Ana Ruiz  MRN: 0012\nDate of service: 03/02/2026\n"
PROGRESS = HEADER + "HPI: knee pain.\nASSESSMENT AND PLAN:\n1. Primary osteoarthritis of right knee.\n"


def kinds(found) -> list[str]:
    return [finding.kind for finding in found]


def test_a_complete_progress_note_has_no_completeness_finding():
    text = PROGRESS + SIGNED
    assert kinds(check_completeness(facts(text))) == []
    assert kinds(check_dates(facts(text))) == []


def test_no_signature_is_an_error_resting_on_482_24():
    """42 CFR 482.24(c)(1): every entry authenticated by its author."""
    found = check_completeness(facts(PROGRESS))
    assert kinds(found) == ["completeness.signature_missing"]
    assert found[0].severity == "error" and "482.24(c)(1)" in found[0].basis and found[0].needs_query


def test_a_blank_signature_line_is_no_signature():
    found = check_completeness(facts(PROGRESS + "\nElectronically signed by:\n"))
    assert kinds(found) == ["completeness.signature_missing"]
    assert found[0].evidence[0].text.startswith("Electronically signed by:")


def test_a_signature_without_credentials_cites_i_b_14():
    """I.B.14 / I.A.19: the coder must know the author is the patient's provider."""
    found = check_completeness(facts(PROGRESS + "\nElectronically signed by: Laura Kim on 03/06/2026\n"))
    assert kinds(found) == ["completeness.credentials_missing"]
    assert "I.B.14" in found[0].basis


def test_no_patient_identifier():
    text = "Date of service: 03/02/2026\nASSESSMENT:\n1. Gout.\n" + SIGNED
    assert kinds(check_completeness(facts(text))) == ["completeness.patient_id_missing"]


def test_discharge_summary_needs_diagnoses_course_and_disposition():
    """42 CFR 482.24(c)(4)(vii): outcome, disposition, follow-up; (vi) final diagnosis."""
    text = "DISCHARGE SUMMARY\n" + HEADER + "DISCHARGE DIAGNOSES:\n1. Pneumonia\nHOSPITAL COURSE:\nImproved.\n" + SIGNED
    found = check_completeness(facts(text))
    assert kinds(found) == ["completeness.section_missing"]
    assert "disposition" in found[0].message and "482.24(c)(4)" in found[0].basis
    assert check_completeness(facts(text + "Discharged home with family.\n")) == []


def test_operative_note_needs_findings_and_both_diagnoses():
    text = (
        "OPERATIVE REPORT\n" + HEADER + "PREOPERATIVE DIAGNOSIS: Cholelithiasis\nPROCEDURE: Laparoscopic "
        "cholecystectomy\n" + SIGNED
    )
    found = check_completeness(facts(text))
    assert sorted(finding.message for finding in found) == [
        "The operative note has no findings section.",
        "The operative note has no postoperative diagnosis section.",
    ]
    assert detect_document_type(text) == "operative_note"


def test_given_document_type_wins_over_the_headings():
    text = PROGRESS + SIGNED
    found = check_completeness(facts(text, document_type="history_and_physical"))
    assert kinds(found) == ["completeness.section_missing"]  # an H&P needs its examination


def test_assessment_without_diagnosis_cites_i_a_19():
    """I.A.19: codes rest on the provider's diagnostic statement; an assessment naming none cannot give one."""
    text = HEADER + "HPI: Knee pain for a week.\nASSESSMENT AND PLAN:\nReturn in two weeks.\n" + SIGNED
    pain = mention(text, "Knee pain", ("M25.569",), "history_of_present_illness")
    found = check_completeness(facts(text, mentions=(pain,)))
    assert kinds(found) == ["completeness.assessment_without_diagnosis"]
    assert "I.A.19" in found[0].basis
    stated = HEADER + "HPI: Knee pain.\nASSESSMENT AND PLAN:\nGout of right knee.\n" + SIGNED
    gout = mention(stated, "Gout of right knee", ("M10.061",), "assessment_and_plan")
    assert check_completeness(facts(stated, mentions=(gout,))) == []


def test_missing_date_of_service():
    text = "Patient: Ana Ruiz  DOB: 04/11/1968\nASSESSMENT:\n1. Gout.\nElectronically signed by: L. Kim, MD\n"
    assert kinds(check_dates(facts(text))) == ["completeness.date_missing"]


def test_discharge_before_admission():
    text = "Admission date: 03/02/2026    Discharge date: 02/27/2026\n" + SIGNED
    found = check_dates(facts(text))
    assert kinds(found) == ["completeness.date_order"]
    assert [piece.text for piece in found[0].evidence] == ["03/02/2026", "02/27/2026"]


def test_service_after_signature_and_future_dates():
    later = "Date of service: 03/09/2026\n" + SIGNED
    assert "signed" in check_dates(facts(later))[0].message
    future = "Date of service: 2027-01-05\nElectronically signed by: L. Kim, MD on 2027-01-05\n"
    assert "later than today" in check_dates(facts(future))[0].message


def test_a_follow_up_appointment_may_lie_ahead():
    text = HEADER + "Plan: return visit on 04/15/2027.\n" + SIGNED
    assert check_dates(facts(text)) == []
