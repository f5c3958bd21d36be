"""Encounter-reason Z codes first-listed for the visit they name (IV.M preoperative evaluation, I.C.21.c.8 Z08)."""

from __future__ import annotations

from dataclasses import replace

from suggest.guidelines.encounter_reason import code_encounter_reason
from suggest.guidelines.sequencing import sequence_codes
from tests.suggest.guidelines.conftest import context_of, draft_of, mention

PREOP = (
    "PREOPERATIVE MEDICAL EVALUATION\nProcedure: right total knee arthroplasty\n"
    "Assessment:\n1. Primary osteoarthritis right knee.\n2. Hypertension.\n"
)
SURVEILLANCE = (
    "UROLOGY CLINIC - FOLLOW-UP VISIT\nReason for visit: annual PSA surveillance, h/o prostate cancer\n"
    "Assessment:\n1. Personal history of prostate cancer, no evidence of recurrence.\n2. Stress incontinence.\n"
)


def _sections(text: str, *headings: tuple[str, str]) -> tuple[tuple[int, str], ...]:
    return tuple((text.index(heading), name) for heading, name in headings)


def test_iv_m_a_preoperative_evaluation_is_first_listed_before_the_reason_for_surgery(codeset):
    draft = draft_of(
        ("M17.11", 0.9, [mention(PREOP, "Primary osteoarthritis right knee", ("M17.11",))]),
        ("I10", 0.8, [mention(PREOP, "Hypertension", ("I10",))]),
    )
    context = context_of(codeset, PREOP, draft)
    context = replace(context, sections=_sections(PREOP, ("Assessment", "assessment_and_plan")))
    code_encounter_reason(draft, context)
    sequence_codes(draft, context)
    assert draft.codes()[:2] == ["Z01.818", "M17.11"]
    assert "IV.M" in draft.entries[0].sections


def test_iv_m_no_preoperative_code_for_a_plan_that_mentions_surgery(codeset):
    text = "CLINIC VISIT\nAssessment:\n1. Primary osteoarthritis right knee - refer for preoperative evaluation.\n"
    draft = draft_of(("M17.11", 0.9, [mention(text, "Primary osteoarthritis right knee", ("M17.11",))]))
    context = context_of(codeset, text, draft)
    context = replace(context, sections=_sections(text, ("Assessment", "assessment_and_plan")))
    code_encounter_reason(draft, context)
    assert draft.codes() == ["M17.11"]


def test_i_c_21_c_8_surveillance_after_completed_cancer_treatment_is_z08_first(codeset):
    draft = draft_of(
        ("N39.3", 0.9, [mention(SURVEILLANCE, "Stress incontinence", ("N39.3",))]),
        ("Z85.46", 0.6, [mention(SURVEILLANCE, "prostate cancer", ("Z85.46",), occurrence=1)]),
    )
    context = context_of(codeset, SURVEILLANCE, draft)
    sections = _sections(SURVEILLANCE, ("Reason for visit", "chief_complaint"), ("Assessment", "assessment_and_plan"))
    context = replace(context, sections=sections)
    code_encounter_reason(draft, context)
    sequence_codes(draft, context)
    assert draft.codes()[0] == "Z08"
    assert "I.C.21.c.8" in draft.entries[0].sections


def test_i_c_21_c_8_no_z08_while_the_malignancy_is_active(codeset):
    draft = draft_of(
        ("C61", 0.9, [mention(SURVEILLANCE, "prostate cancer", ("C61",), occurrence=1)]),
        ("Z85.46", 0.6, [mention(SURVEILLANCE, "prostate cancer", ("Z85.46",))]),
    )
    context = context_of(codeset, SURVEILLANCE, draft)
    code_encounter_reason(draft, context)
    assert "Z08" not in draft.codes()


def test_section_iv_only_no_encounter_z_code_for_an_admission(codeset):
    draft = draft_of(("M17.11", 0.9, [mention(PREOP, "Primary osteoarthritis right knee", ("M17.11",))]))
    code_encounter_reason(draft, context_of(codeset, PREOP, draft, setting="inpatient"))
    assert draft.codes() == ["M17.11"]


NARRATIVE = (
    "A 45-year-old man came to the emergency department with two weeks of cough and fever.\n"
    "He smokes one pack a day.\nHe had no chest pain.\nCrackles were heard at the right base.\n"
    "An eye examination was normal.\nLaboratory tests showed leukocytosis.\n"
    "Chest X-ray showed a right lower lobe consolidation: community-acquired pneumonia.\n"
)


def test_iv_a_an_examination_word_of_the_story_is_no_encounter_reason(codeset):
    """IV.A, I.C.21.c: an encounter-reason Z code (Z00-Z13) reports why the patient came. In a narrative note
    (no diagnosis headings: every line may state a diagnosis), "an eye examination was normal" and "laboratory
    tests" past the opening lines are no eye-exam encounter (Z01.00) and no general examination (Z00.00): listed,
    not proposed, and the pneumonia leads. Where the note's title says it ("ANNUAL EYE EXAMINATION"), Z01.00 is
    proposed and first-listed."""
    draft = draft_of(
        ("Z01.00", 0.9, [mention(NARRATIVE, "eye examination", ("Z01.00",), section="none")]),
        ("Z00.00", 0.8, [mention(NARRATIVE, "Laboratory tests", ("Z00.00",), section="none")]),
        ("J18.9", 0.7, [mention(NARRATIVE, "community-acquired pneumonia", ("J18.9",), section="none")]),
    )
    sequence_codes(draft, context_of(codeset, NARRATIVE, draft))
    assert [entry.code for entry in draft.entries if entry.proposed] == ["J18.9"]

    titled = "ANNUAL EYE EXAMINATION\nNo complaints.\nMyopia, both eyes.\n"
    draft = draft_of(
        ("Z01.00", 0.9, [mention(titled, "EYE EXAMINATION", ("Z01.00",), section="none")]),
        ("H52.13", 0.8, [mention(titled, "Myopia, both eyes", ("H52.13",), section="none")]),
    )
    sequence_codes(draft, context_of(codeset, titled, draft))
    assert [entry.code for entry in draft.entries if entry.proposed] == ["Z01.00", "H52.13"]
