"""Specificity opportunities and clinical indicators without a diagnosis."""

from __future__ import annotations

from suggest.documentation.indicators import check_indicators
from suggest.documentation.specificity import check_specificity
from tests.suggest.documentation.conftest import facts, suggestion


def kinds(found) -> list[str]:
    return [finding.kind for finding in found]


def test_heart_failure_of_no_type_with_an_ejection_fraction_cites_i_a_19():
    """I.A.19: an EF is an indicator, the type is the provider's to document: a query, pointing at the flag."""
    text = "ECHO:\nLVEF 25-30%.\n\nASSESSMENT:\nCongestive heart failure.\n"
    code = suggestion(text, "Congestive heart failure", "I50.9", "Heart failure, unspecified", ("unspecified",))
    found = check_specificity(facts(text, suggestions=(code,)))
    assert kinds(found) == ["specificity.heart_failure_type"] and found[0].needs_query
    assert "I.A.19" in found[0].basis and "flag unspecified" in found[0].message
    assert found[0].indicators[0].text == "LVEF 25-30%"
    assert found[0].codes == ("I50.9",)


def test_no_indicator_no_finding():
    text = "ASSESSMENT:\nCongestive heart failure.\n"
    code = suggestion(text, "Congestive heart failure", "I50.9", "Heart failure, unspecified")
    assert check_specificity(facts(text, suggestions=(code,))) == []


def test_pressure_ulcer_stage_from_nursing_needs_no_query():
    """I.B.14: the stage may come from other clinicians; the coder assigns it."""
    text = "EXAM:\nWound RN: stage 3.\n\nASSESSMENT:\nPressure ulcer of sacral region.\n"
    code = suggestion(
        text, "Pressure ulcer of sacral region", "L89.159", "Pressure ulcer of sacral region, unspecified stage"
    )
    found = check_specificity(facts(text, suggestions=(code,)))
    assert kinds(found) == ["specificity.pressure_ulcer_stage"] and not found[0].needs_query
    assert "I.B.14" in found[0].basis


def test_missing_laterality_cites_i_b_13():
    text = "ASSESSMENT:\nCarpal tunnel syndrome.\n"
    code = suggestion(text, "Carpal tunnel syndrome", "G56.00", "Carpal tunnel syndrome, unspecified upper limb")
    found = check_specificity(facts(text, suggestions=(code,)))
    assert kinds(found) == ["specificity.laterality"] and "I.B.13" in found[0].basis


def test_fracture_without_episode_cites_i_c_19_a():
    text = "ASSESSMENT:\nFracture of left clavicle.\n"
    code = suggestion(
        text,
        "Fracture of left clavicle",
        "S42.002A",
        "Fracture of unspecified part of left clavicle, initial encounter for closed fracture",
    )
    assert kinds(check_specificity(facts(text, suggestions=(code,)))) == ["specificity.episode"]
    seen = "HPI: ED visit after a fall.\n" + text
    assert (
        check_specificity(
            facts(
                seen,
                suggestions=(suggestion(seen, "Fracture of left clavicle", "S42.002A", "Fracture, initial encounter"),),
            )
        )
        == []
    )


def test_trimester_from_weeks_needs_no_query():
    """I.C.15.a.3: the trimester from the documented weeks of gestation."""
    text = "HPI: G2P1 at 31 weeks.\nASSESSMENT:\nPre-eclampsia.\n"
    code = suggestion(text, "Pre-eclampsia", "O14.90", "Unspecified pre-eclampsia, unspecified trimester")
    found = check_specificity(facts(text, suggestions=(code,)))
    assert kinds(found) == ["specificity.trimester"] and not found[0].needs_query and "I.C.15.a.3" in found[0].basis
    bare = "ASSESSMENT:\nPre-eclampsia.\n"
    found = check_specificity(facts(bare, suggestions=(suggestion(bare, "Pre-eclampsia", "O14.90", code.description),)))
    assert found[0].needs_query


def test_bmi_without_a_weight_diagnosis_cites_i_c_21_c_3():
    """I.B.14 / I.C.21.c.3: a BMI is reported only with the provider's associated diagnosis."""
    text = "VITALS:\nBMI 38.4.\n\nASSESSMENT:\nHypertension.\n"
    found = check_indicators(facts(text))
    assert kinds(found) == ["clinical_indicator.bmi_without_diagnosis"] and "I.C.21.c.3" in found[0].basis
    assert check_indicators(facts(text.replace("Hypertension.", "Hypertension. Obesity."))) == []
    assert check_indicators(facts(text.replace("38.4", "24.1"))) == []


def test_abnormal_lab_without_a_diagnosis_cites_iii_b():
    """III.B: abnormal findings are not coded unless the provider documents their significance."""
    text = "LABS:\nNa 122, K 4.1, Hgb 13.2.\n\nASSESSMENT:\nHypertension.\n"
    found = check_indicators(facts(text))
    assert kinds(found) == ["clinical_indicator.lab_without_diagnosis"] and "III.B" in found[0].basis
    assert "sodium of 122" in found[0].message
    assert check_indicators(facts(text.replace("Hypertension.", "Hyponatremia, fluid restriction."))) == []
    assert check_indicators(facts("LABS:\nTransfuse for Hgb < 7.\n")) == []
