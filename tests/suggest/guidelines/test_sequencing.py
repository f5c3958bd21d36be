"""Sequencing, principal / first-listed diagnosis and ``proposed`` (Sections II, IV.A, I.A.13, I.C.1.d.4)."""

from __future__ import annotations

from suggest.guidelines.sequencing import sequence_codes
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_section_ii_principal_is_the_first_discharge_diagnosis_not_the_highest_score(codeset):
    text = "DISCHARGE DIAGNOSES\n1. Community acquired pneumonia\n2. Atrial fibrillation\n"
    draft = draft_of(
        ("I48.91", 0.9, [mention(text, "Atrial fibrillation", ("I48.91",), "diagnoses")]),
        ("J18.9", 0.7, [mention(text, "Community acquired pneumonia", ("J18.9",), "diagnoses")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert draft.codes() == ["J18.9", "I48.91"]
    assert [entry.role for entry in draft.entries] == ["principal", "secondary"]
    assert "(II)" in " ".join(draft.entries[0].notes)


def test_section_iv_first_listed_and_status_z_code_never_first(codeset):
    text = "Assessment: long-term insulin use. Type 2 diabetes.\n"
    draft = draft_of(
        ("Z79.4", 0.95, [mention(text, "long-term insulin use", ("Z79.4",))]),
        ("E11.9", 0.8, [mention(text, "Type 2 diabetes", ("E11.9",))]),
    )
    sequence_codes(draft, context_of(codeset, text, draft))
    assert draft.codes()[0] == "E11.9"
    assert draft.entries[0].role == "first_listed"


def test_i_a_13_manifestation_follows_its_etiology(codeset):
    # G63 "Polyneuropathy in diseases classified elsewhere" says "Code first underlying disease" (E08-E13 ...)
    text = "Diagnoses: polyneuropathy in amyloidosis. Amyloidosis.\n"
    draft = draft_of(
        ("G63", 0.9, [mention(text, "polyneuropathy in amyloidosis", ("G63",), "diagnoses")]),
        ("E85.9", 0.8, [mention(text, "Amyloidosis", ("E85.9",), "diagnoses")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["E85.9", "G63"]


def test_i_c_1_d_4_sepsis_before_the_localized_infection(codeset):
    text = "Discharge diagnoses: pneumonia with sepsis.\n"
    draft = draft_of(
        ("J18.9", 0.9, [mention(text, "pneumonia", ("J18.9",), "diagnoses")]),
        ("A41.9", 0.8, [mention(text, "sepsis", ("A41.9",), "diagnoses")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert draft.codes()[0] == "A41.9"


def test_proposed_codes_first_then_listed_by_score(codeset):
    text = "Assessment: gout. Cough.\n"
    draft = draft_of(
        ("R05.9", 0.2, [mention(text, "Cough", ("R05.9",))]),
        ("M10.9", 0.6, [mention(text, "gout", ("M10.9",))]),
        ("R50.9", 0.3, [mention(text, "gout", ("R50.9",))]),
    )
    sequence_codes(draft, context_of(codeset, text, draft))
    assert [entry.proposed for entry in draft.entries] == [True, False, False]
    assert draft.codes() == ["M10.9", "R50.9", "R05.9"]


def test_section_iv_a_words_only_in_the_exam_are_listed_not_proposed(codeset):
    text = "ASSESSMENT AND PLAN\nAcute cystitis.\n\nPHYSICAL EXAM\nMild edema.\n"
    draft = draft_of(
        ("N30.00", 0.8, [mention(text, "Acute cystitis", ("N30.00",))]),
        ("R60.9", 0.8, [mention(text, "edema", ("R60.9",), "physical_exam")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft))
    assert [(entry.code, entry.proposed) for entry in draft.entries] == [("N30.00", True), ("R60.9", False)]


def test_i_c_10_b_1_respiratory_failure_given_as_the_reason_for_admission_is_principal(codeset):
    text = (
        "Admitted for acute on chronic hypercapnic respiratory failure, BiPAP in the ICU.\n"
        "ASSESSMENT AND PLAN\nCOPD with acute exacerbation.\nAcute on chronic respiratory failure, improving.\n"
    )
    draft = draft_of(
        ("J44.1", 0.9, [mention(text, "COPD with acute exacerbation", ("J44.1",))]),
        ("J96.22", 0.7, [mention(text, "acute on chronic hypercapnic respiratory failure", ("J96.22",), "none")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert draft.codes()[0] == "J96.22"
    assert "I.C.10.b.1" in draft.entries[0].sections


def test_i_c_1_d_1_b_severe_sepsis_follows_the_systemic_infection_and_is_never_principal(codeset):
    # R65.2- "Severe sepsis": the underlying systemic infection first, then R65.2- (I.C.1.d.1.b, I.C.1.d.2),
    # even when "septic shock" is stated first and scored highest
    text = "DISCHARGE DIAGNOSES\n1. Septic shock\n2. Acute pyelonephritis\n3. E. coli sepsis\n"
    draft = draft_of(
        ("R65.21", 0.95, [mention(text, "Septic shock", ("R65.21",), "diagnoses")]),
        ("N10", 0.8, [mention(text, "Acute pyelonephritis", ("N10",), "diagnoses")]),
        ("A41.51", 0.7, [mention(text, "E. coli sepsis", ("A41.51",), "diagnoses")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert draft.codes()[:2] == ["A41.51", "R65.21"]
    assert draft.entries[0].role == "principal"


def test_ii_h_a_condition_ruled_out_is_not_the_principal(codeset):
    # II.H codes an uncertain diagnosis as established at discharge; one the provider ruled out is not coded
    text = "Principal Dx: Community-acquired pneumonia, RLL\nSecondary Dx:\n- Hyponatremia\n- SEPSIS RULED OUT\n"
    draft = draft_of(
        ("A41.9", 0.9, [mention(text, "SEPSIS", ("A41.9",), "diagnoses")]),
        ("E87.1", 0.8, [mention(text, "Hyponatremia", ("E87.1",), "diagnoses")]),
        ("J18.9", 0.5, [mention(text, "Community-acquired pneumonia", ("J18.9",), "diagnoses")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert draft.codes()[0] == "J18.9"


def test_iv_h_a_condition_ruled_out_in_the_assessment_does_not_lead(codeset):
    text = "ASSESSMENT\nAcute coronary syndrome ruled out. Hypertension, uncontrolled.\n"
    draft = draft_of(
        ("I24.9", 0.9, [mention(text, "Acute coronary syndrome", ("I24.9",))]),
        ("I10", 0.6, [mention(text, "Hypertension", ("I10",))]),
    )
    sequence_codes(draft, context_of(codeset, text, draft))
    assert draft.codes()[0] == "I10"


def test_ii_a_a_symptom_attributed_to_a_diagnosis_gives_way_to_the_diagnosis(codeset):
    # II.A: a symptom code is not principal when a related definitive diagnosis is established; the statement
    # "Chest pain ... most likely d/t GERD" is led by GERD, not by the symptom or by a condition named before it
    text = "Discharge Dx:\n1. Chest pain, stress test negative. Chest pain most likely d/t GERD.\n2. Hypertension\n"
    draft = draft_of(
        ("R07.9", 0.9, [mention(text, "Chest pain", ("R07.9",), "diagnoses")]),
        ("F43.9", 0.85, [mention(text, "stress", ("F43.9",), "diagnoses")]),
        ("I10", 0.8, [mention(text, "Hypertension", ("I10",), "diagnoses")]),
        ("K21.9", 0.6, [mention(text, "GERD", ("K21.9",), "diagnoses", "possible")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert draft.codes()[0] == "K21.9"
    assert "II.A" in draft.entries[0].sections


def test_ii_a_a_diagnosis_stated_first_keeps_the_lead_over_its_cause(codeset):
    # only a statement opening with a symptom gives way: "Hyperkalemia due to CKD" keeps hyperkalemia first
    text = "Discharge Dx:\n1. Hyperkalemia due to CKD stage 4\n"
    draft = draft_of(
        ("E87.5", 0.7, [mention(text, "Hyperkalemia", ("E87.5",), "diagnoses")]),
        ("N18.4", 0.9, [mention(text, "CKD stage 4", ("N18.4",), "diagnoses")]),
    )
    sequence_codes(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert draft.codes()[0] == "E87.5"


def test_i_a_12_a_the_first_statement_is_coded_where_its_excludes1_note_sends_it(codeset):
    # I73.9 (peripheral vascular disease) Excludes1 atherosclerosis of the extremities (I70.2-I70.7): the statement
    # "PAD - atherosclerosis of native arteries of both legs w/ claudication" is I70.213's, which leads
    text = "Assessment:\n1. PAD - atherosclerosis of native arteries of both legs w/ claudication.\n2. HTN\n"
    draft = draft_of(
        ("I73.9", 0.85, [mention(text, "PAD", ("I73.9",))]),
        ("I10", 0.8, [mention(text, "HTN", ("I10",))]),
        ("I70.213", 0.5, [mention(text, "atherosclerosis of native arteries of both legs", ("I70.213",))]),
    )
    sequence_codes(draft, context_of(codeset, text, draft))
    assert draft.codes()[0] == "I70.213"
    assert "I.A.12.a" in draft.entries[0].sections


def _smoker_with_hematuria(text: str, hematuria_score: float):
    from suggest.guidelines.note import AddedCode, NoteView, add_codes

    draft = draft_of(("R31.9", hematuria_score, [mention(text, "painless hematuria", ("R31.9",), "none")]))
    start = text.index("smoker")
    smoker = NoteView(text).evidence(start, start + len("smoker"))
    return draft, AddedCode("F17.210", (smoker,), "cigarette smoker", "I.C.5.b.1"), add_codes


def test_a_rule_made_code_has_a_confidence_on_the_ranker_s_scale(codeset):
    """A code a guideline rule adds keeps its placement score (proposed, after the stated diagnoses) and gets the
    ranker's threshold as its confidence (the ranker never scored it); a code the ranker scored keeps its score."""
    text = "A 60-year-old smoker came to the clinic for painless hematuria.\n"
    draft, smoker, add_codes = _smoker_with_hematuria(text, 0.5)
    (added,) = add_codes(draft, [smoker], codeset, threshold=0.35)
    assert (added.score, added.calibrated_score) == (0.8, 0.35)
    assert draft.get("R31.9").calibrated_score == 0.5
    draft, smoker, add_codes = _smoker_with_hematuria(text, 0.5)
    draft.entries.append(draft_of(("F17.210", 0.45, [])).entries[0])  # the ranker scored it too
    (added,) = add_codes(draft, [smoker], codeset, threshold=0.35)
    assert (added.score, added.calibrated_score) == (0.8, 0.45)


def test_section_iv_a_a_narrative_note_is_led_by_what_it_documents_most_not_by_a_rule_s_placement(codeset):
    """IV.A: in a note without headings the condition documented most strongly (the ranker's confidence) is
    first-listed; a smoker's F17.210, placed high by the tobacco rule (I.C.5.b.1), does not lead a visit for
    hematuria."""
    text = "A 60-year-old smoker came to the clinic for painless hematuria.\n"
    draft, smoker, add_codes = _smoker_with_hematuria(text, 0.5)
    add_codes(draft, [smoker], codeset, threshold=0.35)
    sequence_codes(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["R31.9", "F17.210"]
    assert [entry.proposed for entry in draft.entries] == [True, True]
    assert draft.entries[0].role == "first_listed"
