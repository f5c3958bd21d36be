"""Inconsistency checks: conflicting attributes, negation, copy-forward, sex and age."""

from __future__ import annotations

import pytest

from suggest.documentation.attributes import check_attributes
from suggest.documentation.copy_forward import check_copy_forward
from suggest.documentation.demographics import check_demographics, sex_age_rules
from suggest.documentation.negation import check_negation
from tests.suggest.documentation.conftest import facts, mention, suggestion


def kinds(found) -> list[str]:
    return [finding.kind for finding in found]


@pytest.mark.parametrize(
    ("hpi", "assessment", "kind"),
    [
        ("Long-standing type 1 diabetes.", "Type 2 diabetes mellitus.", "inconsistency.diabetes_type"),
        ("Known T2DM on metformin.", "DM type 1, on insulin.", "inconsistency.diabetes_type"),
        ("Has CKD stage 3b.", "Chronic kidney disease stage 4.", "inconsistency.ckd_stage"),
        ("Known CKD stage IIIa.", "CKD 3b.", "inconsistency.ckd_stage"),
        ("Known HFrEF.", "Chronic diastolic heart failure.", "inconsistency.heart_failure_type"),
        ("Known chronic pancreatitis.", "Acute pancreatitis.", "inconsistency.acuity"),
        ("Pain in the left knee.", "Osteoarthritis of right knee.", "inconsistency.laterality"),
    ],
)
def test_conflicting_attributes_rest_on_i_b_14(hpi, assessment, kind):
    """I.B.14: conflicting documentation is clarified by querying the attending provider."""
    text = f"HPI:\n{hpi}\n\nASSESSMENT:\n{assessment}\n"
    found = check_attributes(facts(text))
    assert kinds(found) == [kind]
    assert "I.B.14" in found[0].basis and found[0].needs_query and len(found[0].evidence) == 2
    assert all(text[piece.start : piece.end] == piece.text for piece in found[0].evidence)


@pytest.mark.parametrize(
    ("hpi", "assessment"),
    [
        ("Has CKD stage 3.", "CKD stage 3a."),  # 3 is the less specific 3a
        ("Mother has type 1 diabetes.", "Type 2 diabetes."),  # a relative's
        ("Known HFrEF.", "Combined systolic and diastolic heart failure."),
        ("Acute on chronic respiratory failure.", "Chronic respiratory failure."),
        ("Right knee: normal. Left knee: effusion.", "Osteoarthritis of left knee."),  # both examined
        ("Status post right knee replacement.", "Osteoarthritis of left knee."),  # only the other side, once
    ],
)
def test_agreeing_or_unrelated_attributes_are_no_conflict(hpi, assessment):
    text = f"HPI:\n{hpi}\n\nASSESSMENT:\n{assessment}\n"
    found = check_attributes(facts(text))
    assert [finding for finding in found if finding.kind != "inconsistency.laterality"] == []
    if "replacement" not in hpi:
        assert found == []


def test_laterality_conflict_cites_i_b_13():
    """I.B.13: conflicting documentation of the affected side: query the attending provider."""
    text = "EXAM:\nLeft wrist: tender distal radius.\n\nIMPRESSION:\nRight wrist sprain.\n"
    found = check_attributes(facts(text))
    assert kinds(found) == ["inconsistency.laterality"] and "I.B.13" in found[0].basis


def test_negated_elsewhere_and_stated_in_the_assessment():
    """I.B.14 with II.H / III.C / IV.H: a condition denied in one place and stated in the assessment."""
    text = "IMAGING:\nChest x-ray: no pneumonia.\n\nASSESSMENT AND PLAN:\nCommunity-acquired pneumonia.\n"
    denied = mention(text, "pneumonia", ("J18.9",), "imaging", "present")
    stated = mention(text, "Community-acquired pneumonia", ("J18.9",), "assessment_and_plan")
    found = check_negation(facts(text, mentions=(denied, stated)))
    assert kinds(found) == ["inconsistency.negation"] and found[0].codes == ("J18.9",)
    assert "I.B.14" in found[0].basis


def test_a_general_denial_conflicts_with_a_specific_statement():
    text = "ECG:\nno atrial fibrillation.\n\nASSESSMENT:\nParoxysmal atrial fibrillation.\n"
    denied = mention(text, "atrial fibrillation", ("I48.91",), "labs_and_studies", "negated")
    stated = mention(text, "Paroxysmal atrial fibrillation", ("I48.0",), "assessment_and_plan")
    assert kinds(check_negation(facts(text, mentions=(denied, stated)))) == ["inconsistency.negation"]


@pytest.mark.parametrize(
    ("hpi", "phrase"),
    [
        ("HTN: no changes to the regimen.", "HTN"),  # the negation is not of the condition
        ("No prior HCV treatment.", "HCV"),  # the condition word modifies "treatment"
        ("He denies having kidney stones before.", "kidney stones"),  # a past denial
        ("Denies acne present on the chest or back.", "acne"),  # a denial of one form
    ],
)
def test_denials_that_are_not_of_the_condition(hpi, phrase):
    text = f"HPI:\n{hpi}\n\nASSESSMENT:\n{phrase} noted.\n"
    denied = mention(text, phrase, ("X00.0",), "history_of_present_illness", "negated")
    stated = mention(text, phrase, ("X00.0",), "assessment_and_plan", occurrence=1)
    assert check_negation(facts(text, mentions=(denied, stated))) == []


def test_copy_forward_is_a_repeated_passage_not_a_repeated_line():
    passage = (
        "Patient reports that the symptoms have been stable over the last several weeks. No new complaints were "
        "reported since the last visit and nothing makes them worse."
    )
    text = f"HPI:\n{passage}\n\nASSESSMENT:\n{passage}\n"
    found = check_copy_forward(facts(text))
    assert kinds(found) == ["inconsistency.copy_forward"] and len(found[0].evidence) == 2
    line = "Martha Collins is a 50-year-old female with a history of heart failure who presents for her annual exam."
    assert check_copy_forward(facts(f"HPI:\n{line}\n\nASSESSMENT:\n{line}\n")) == []


def test_a_code_for_the_other_sex_cites_the_tabular_block():
    """Tabular List block N40-N53 Diseases of male genital organs, for a female patient (I.B.14)."""
    text = "HPI: 58-year-old female.\nASSESSMENT:\nBenign prostatic hyperplasia.\n"
    bph = suggestion(text, "Benign prostatic hyperplasia", "N40.0", "Benign prostatic hyperplasia")
    found = check_demographics(facts(text, suggestions=(bph,)))
    assert kinds(found) == ["inconsistency.sex_age"] and "N40-N53" in found[0].basis
    assert [piece.text for piece in found[0].evidence] == ["Benign prostatic hyperplasia", "58-year-old female"]
    assert check_demographics(facts(text, suggestions=(bph,), patient_sex="male")) == []


def test_chapter_15_is_for_maternal_records_only():
    """I.C.15.a.1: chapter 15 codes only on the maternal record."""
    text = "44 y/o M\nASSESSMENT:\nPre-eclampsia.\n"
    code = suggestion(text, "Pre-eclampsia", "O14.90", "Unspecified pre-eclampsia, unspecified trimester")
    found = check_demographics(facts(text, suggestions=(code,)))
    assert kinds(found) == ["inconsistency.sex_age"] and "I.C.15.a.1" in found[0].basis


def test_an_adult_exam_for_a_child():
    text = "ASSESSMENT:\nAnnual physical.\n"
    code = suggestion(text, "Annual physical", "Z00.00", "Encounter for general adult medical examination")
    assert kinds(check_demographics(facts(text, suggestions=(code,), patient_age=9))) == ["inconsistency.sex_age"]
    assert check_demographics(facts(text, suggestions=(code,), patient_age=40)) == []


def test_every_code_of_the_sex_age_table_is_in_the_code_set(vocabulary):
    codes = vocabulary.codeset.codes
    for rule in sex_age_rules():
        for code in (rule.first, rule.last):
            assert code in codes, f"{code} ({rule.source}) is not an FY2026 code or category"


def test_the_problem_list_contradicting_the_assessment():
    """I.B.14: a diagnosis in the assessment that the problem list denies."""
    text = "PROBLEM LIST:\nNo diabetes.\n\nASSESSMENT:\nGout of right knee.\n"
    denied = mention(text, "diabetes", ("E11.9",), "problem_list", "negated")
    stated_text = text.replace("Gout of right knee.", "Type 2 diabetes.")
    stated = mention(stated_text, "Type 2 diabetes", ("E11.9",), "assessment_and_plan")
    found = check_negation(facts(stated_text, mentions=(denied, stated)))
    assert kinds(found) == ["inconsistency.negation"]
    assert "problem list" in found[0].message
