"""I.B.1: a stated diagnosis located in the Alphabetic Index (main term, then the subterms its words name)."""

import pytest

from tests.suggest.guidelines.conftest import draft_of, mention


@pytest.fixture
def codes_of(run_index_terms):
    def codes(text: str) -> list[str]:
        return run_index_terms(text, draft_of(("I10", 0.8, [mention(text, "HTN", ("I10",))]))).codes()

    return codes


def test_i_b_1_plural_diagnosis_reaches_its_index_entry(run_index_terms):
    # "pulmonary emboli": Embolism > pulmonary -> I26.99, cited I.B.1
    text = "Discharge Diagnoses:\n1. Acute bilateral pulmonary emboli, no RV strain\n2. HTN\n"
    draft = run_index_terms(text, draft_of(("I10", 0.8, [mention(text, "HTN", ("I10",))])))
    assert "I26.99" in draft.codes()
    assert "I.B.1" in draft.get("I26.99").sections


def test_i_b_1_numbers_and_letters_name_the_subterm(codes_of):
    # Obesity > class > 2 (not class 1 from the BMI's decimals); Hepatitis > C > chronic, not B
    codes = codes_of("Assessment & Plan:\n1. Obesity, class 2 (BMI 36.1)\n2. Chronic hepatitis C\n3. HTN\n")
    assert "E66.812" in codes and "E66.811" not in codes
    assert "B18.2" in codes and "B18.1" not in codes


def test_i_b_1_history_and_unlisted_lines_are_no_diagnosis(codes_of):
    text = "Assessment & Plan:\n1. HTN\n2. h/o pulmonary embolism 2019\nPE with clear lungs.\n"
    assert codes_of(text) == ["I10"]


def test_ii_h_a_diagnosis_the_clause_rules_out_is_not_coded(codes_of):
    # II.H / IV.H: "has been ruled out" after the finding negates it; "r/o" before one is an uncertain diagnosis
    assert codes_of("Discharge Diagnoses:\n1. Pulmonary embolism has been ruled out\n2. HTN\n") == ["I10"]
    assert "I26.99" in codes_of("Discharge Diagnoses:\n1. R/O pulmonary emboli\n2. HTN\n")


def test_i_b_1_listed_category_is_left_to_the_specificity_steps(run_index_terms):
    text = "Assessment & Plan:\n1. Acute pulmonary embolism\n"
    draft = run_index_terms(text, draft_of(("I26.90", 0.8, [mention(text, "pulmonary embolism", ("I26.90",))])))
    assert draft.codes() == ["I26.90"]


def test_i_b_1_listed_default_code_refined_to_the_subterm_the_diagnosis_names(run_index_terms):
    # Disorder > attention-deficit hyperactivity (F90.9) > combined > type (F90.2): the listed default is refined
    text = "Assessment & Plan:\n1. ADHD, combined type - good response on methylphenidate\n"
    draft = run_index_terms(text, draft_of(("F90.9", 0.8, [mention(text, "ADHD", ("F90.9",))])))
    assert draft.codes() == ["F90.2"]
    assert "I.B.1" in draft.entries[0].sections
    assert draft.entries[0].refined_from == ["F90.9"]


def test_i_a_15_with_combination_of_a_listed_category_is_a_finding_of_its_own(run_index_terms):
    # "Diabetes, with, hyperosmolarity" (E11.00) beside the E11.22 the ranker read from the second line: the
    # "with" convention gives one code per complication (I.A.15, I.C.4.a), not only the first E11 code found
    text = "Discharge Diagnoses:\n1. Hyperosmolar hyperglycemic state in DM2 - no coma\n2. DM2 w/ diabetic CKD 3a\n"
    draft = run_index_terms(text, draft_of(("E11.22", 0.86, [mention(text, "DM2 w/ diabetic CKD", ("E11.22",))])))
    assert {"E11.22", "E11.00"} <= set(draft.codes())
    assert "I.B.1" in draft.get("E11.00").sections


def test_i_b_1_ranker_reading_of_the_clause_becomes_the_index_code(run_index_terms):
    # the ranker read "hyperglycemic state in DM2" as E11.65; the Index walk of the whole statement, verified
    # by the Tabular title that says "hyperosmolar" and "hyperglycemic", is E11.00 (I.B.1), proposed
    text = "Discharge Diagnoses:\n1. Hyperosmolar hyperglycemic state (HHS) in DM2\n"
    read = mention(text, "Hyperosmolar hyperglycemic state (HHS) in DM2", ("E11.65",))
    draft = run_index_terms(text, draft_of(("E11.65", 0.45, [read])))
    assert draft.codes() == ["E11.00"]
    assert draft.get("E11.00").refined_from == ["E11.65"]
    assert draft.get("E11.00").score >= 0.8


def test_i_b_1_unspecified_code_of_a_listed_category_adds_nothing(run_index_terms):
    # "AKI on CKD 3b" reaches only "Disease, kidney, chronic" (N18.9): the listed stage code says more
    text = "Discharge Diagnoses:\n1. AKI on CKD 3b\n"
    draft = run_index_terms(text, draft_of(("N18.32", 0.74, [mention(text, "CKD 3b", ("N18.32",))])))
    assert "N18.9" not in draft.codes()


def test_i_a_15_use_additional_code_of_the_combination_is_walked_too(run_index_terms):
    # Hypertension > heart > with > heart failure (I11.0) and the Tabular's "use additional code to identify
    # type of heart failure (I50.-)": the clause's heart failure is walked from "Failure, heart" too
    text = "Discharge Diagnoses:\n1. Hypertensive heart disease w/ chronic HFpEF\n"
    draft = run_index_terms(text, draft_of(("I10", 0.5, [mention(text, "Hypertensive", ("I10",))])))
    codes = draft.codes()
    assert "I11.0" in codes
    assert any(code.startswith("I50") for code in codes)


def test_i_b_2_compound_main_term_names_the_specific_code_of_the_category(run_index_terms):
    # "Poison ivy, oak, sumac or other plant dermatitis" (L23.7) is a main term of its own; the clause also
    # names "Dermatitis, contact, allergic" (L23.9, unspecified cause): the specific reading wins (I.B.2)
    text = "Assessment:\n1. Allergic contact dermatitis d/t poison ivy (Toxicodendron) - extensive.\n"
    draft = run_index_terms(text, draft_of(("L23.9", 0.76, [mention(text, "Allergic contact dermatitis", ("L23.9",))])))
    assert "L23.7" in draft.codes()
    assert "I.B.1" in draft.get("L23.7").sections


def test_i_b_1_postoperative_diagnosis_on_its_heading_line_is_walked_to_the_combination_code(run_index_terms):
    # "Appendicitis, acute, with, peritonitis NEC, generalized, with, perforation or rupture" (K35.201): the
    # diagnosis stated on the heading's own line; "peritonitis NEC" names its condition (no catch-all); one of
    # "perforation or rupture" said is enough. It refines the listed K35.80 and is stated there (I.B.1)
    text = (
        "PREOPERATIVE DIAGNOSIS: Acute appendicitis.\n\n"
        "POSTOPERATIVE DIAGNOSIS: Acute perforated appendicitis with generalized purulent peritonitis. No abscess.\n"
    )
    draft = run_index_terms(text, draft_of(("K35.80", 0.66, [mention(text, "Acute appendicitis", ("K35.80",))])))
    assert draft.codes() == ["K35.201"]
    assert draft.get("K35.201").score >= 0.8


def test_i_b_1_hemorrhoids_are_no_form_of_hemorrhage(codes_of):
    """I.B.1: the Index's main term must be the one the diagnosis names: "hemorrhoids of rectum" is not
    "Hemorrhage, rectum" (K62.5), while "metastatic" stays a form of "metastasis"."""
    from suggest.guidelines.index_terms import _same_stem

    assert "K62.5" not in codes_of("Discharge Diagnoses:\n1. Hemorrhoids of rectum\n2. HTN\n")
    assert _same_stem("metastatic", "metastasis") and _same_stem("hemorrhoidal", "hemorrhoids")
