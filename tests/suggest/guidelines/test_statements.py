"""Where the provider states the diagnoses (Sections II, III and IV): a condition named only in the hospital
course of a note that has a diagnosis list is listed for the coder, not proposed."""

from __future__ import annotations

from suggest.guidelines.sequencing import sequence_codes
from suggest.guidelines.statements import stating_sections
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_the_course_states_diagnoses_only_without_a_diagnosis_list():
    """Section III: with discharge diagnoses, the course is narrative; without them it states the diagnoses."""
    assert stating_sections({"diagnoses", "hospital_course", "none"}) == {"diagnoses", "none"}
    assert stating_sections({"hospital_course", "none"}) == {"hospital_course", "none"}


def test_a_condition_named_only_in_the_course_is_listed_not_proposed(codeset):
    """Section III: "Discharge Diagnoses: pneumonia" and a passing "leukocytosis" on hospital day 2: only the
    pneumonia is proposed."""
    text = "Discharge Diagnoses:\n1. Pneumonia\nHospital course: leukocytosis on HD2, improved."
    draft = draft_of(
        ("J18.9", 0.8, [mention(text, "Pneumonia", ("J18.9",), section="diagnoses")]),
        ("D72.829", 0.6, [mention(text, "leukocytosis", ("D72.829",), section="hospital_course")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert [(entry.code, entry.proposed) for entry in draft.entries] == [("J18.9", True), ("D72.829", False)]


def test_a_narrative_without_a_diagnostic_section_states_its_diagnoses_anywhere():
    """Sections III, IV: a narrative (a consult letter, a case summary) whose only headings are the run-in ones of
    its story ("Physical examination revealed ...") has no diagnostic statement apart from its narrative."""
    assert stating_sections({"none"}) == set()
    assert stating_sections({"none", "chief_complaint"}) == {"none", "chief_complaint"}


def test_a_diagnosis_reached_after_a_run_in_exam_heading_is_proposed(codeset):
    """Sections III, IV: a case narrative whose story goes on after "Physical examination revealed ..." (the
    sectionizer extends the exam to the end): the bladder carcinoma it concludes is proposed, not only listed."""
    text = (
        "A 72-year-old man with macroscopic hematuria.\n"
        "Physical examination revealed a distended abdomen.\n"
        "Cystoscopy and biopsy confirmed a urothelial carcinoma of the bladder, treated with resection.\n"
    )
    draft = draft_of(
        ("R31.0", 0.8, [mention(text, "macroscopic hematuria", ("R31.0",), section="none")]),
        ("C67.9", 0.7, [mention(text, "carcinoma of the bladder", ("C67.9",), section="physical_exam")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft))
    assert {entry.code: entry.proposed for entry in draft.entries} == {"R31.0": True, "C67.9": True}


def test_a_case_narratives_first_listed_diagnosis_is_the_one_it_documents_most_strongly(codeset):
    """Section IV.A: the opening line of a case narrative ("A 67-year-old man with hypertension ...") lists
    background, not the reason for the encounter; with only run-in headings after it, the first-listed diagnosis
    is the condition the note documents most strongly, as in a note with no headings at all."""
    text = (
        "A 67-year-old man with hypertension consulted for hematuria.\n"
        "Physical examination revealed a palpable bladder.\n"
        "Biopsy confirmed a urothelial carcinoma of the bladder.\n"
    )
    draft = draft_of(
        ("I10", 0.5, [mention(text, "hypertension", ("I10",), section="none")]),
        ("C67.9", 0.9, [mention(text, "carcinoma of the bladder", ("C67.9",), section="physical_exam")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft))
    assert draft.codes()[0] == "C67.9"
    assert draft.entries[0].role == "first_listed"
