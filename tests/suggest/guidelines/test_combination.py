"""Combination codes: the Index's "with" subterms (I.A.15, I.C.4.a) and hypertension (I.C.9.a)."""

from __future__ import annotations

from suggest.guidelines.combination import combine_with_index
from suggest.guidelines.hypertension import combine_hypertension, hypertensive_code
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_i_c_4_a_diabetes_with_ckd_from_mentions_anywhere(indexed_vocabulary):
    text = "Problem list: type 2 diabetes.\nLabs reviewed.\nAssessment: chronic kidney disease stage 3a.\n"
    draft = draft_of(
        ("E11.9", 0.8, [mention(text, "type 2 diabetes", ("E11.9",), "problem_list")]),
        ("N18.31", 0.7, [mention(text, "chronic kidney disease stage 3a", ("N18.31",))]),
    )
    combine_with_index(draft, context_of(indexed_vocabulary.codeset, text, draft, vocabulary=indexed_vocabulary))
    combined = draft.get("E11.22")
    assert combined is not None and "E11.9" in combined.replaces
    assert "E11.9" not in draft  # the "without complications" code leaves
    assert "N18.31" in draft  # E11.22 says "use additional code to identify stage of chronic kidney disease"
    assert "I.A.15" in combined.sections


def test_i_a_15_component_that_the_combination_describes_leaves(indexed_vocabulary):
    text = "Type 2 diabetes. Polyneuropathy of both feet.\n"
    draft = draft_of(
        ("E11.9", 0.8, [mention(text, "Type 2 diabetes", ("E11.9",))]),
        ("G62.9", 0.7, [mention(text, "Polyneuropathy", ("G62.9",))]),
    )
    combine_with_index(draft, context_of(indexed_vocabulary.codeset, text, draft, vocabulary=indexed_vocabulary))
    assert draft.codes() == ["E11.42"]
    assert set(draft.entries[0].replaces) == {"E11.9", "G62.9"}


def test_i_a_15_not_combined_when_the_provider_says_unrelated(indexed_vocabulary):
    text = "Type 2 diabetes. Polyneuropathy, not due to diabetes (B12 deficiency).\n"
    draft = draft_of(
        ("E11.9", 0.8, [mention(text, "Type 2 diabetes", ("E11.9",))]),
        ("G62.9", 0.7, [mention(text, "Polyneuropathy", ("G62.9",))]),
    )
    combine_with_index(draft, context_of(indexed_vocabulary.codeset, text, draft, vocabulary=indexed_vocabulary))
    assert draft.codes() == ["E11.9", "G62.9"]


def test_i_a_15_a_titles_without_clause_is_not_the_other_condition(indexed_vocabulary):
    """I.A.15: "with" links two conditions the note documents. HCV (B19.20 "... without hepatic coma") beside HBV
    is no hepatic coma, so hepatitis B is not made B19.11 "with hepatic coma"."""
    text = "Serology positive for HBV and HCV.\n"
    draft = draft_of(
        ("B19.10", 0.8, [mention(text, "HBV", ("B19.10",))]),
        ("B19.20", 0.7, [mention(text, "HCV", ("B19.20",))]),
    )
    combine_with_index(draft, context_of(indexed_vocabulary.codeset, text, draft, vocabulary=indexed_vocabulary))
    assert sorted(draft.codes()) == ["B19.10", "B19.20"]


def test_i_a_15_a_without_clause_counts_where_the_note_says_it(indexed_vocabulary):
    """I.A.15: the words of a title's "without" clause count when the note says them on the mention's line
    ("cholelithiasis, obstructing stone"): the hernia's obstruction is documented there."""
    text = "Hiatal hernia. Abdominal hernia, obstructed.\n"
    draft = draft_of(
        ("K44.9", 0.8, [mention(text, "Hiatal hernia", ("K44.9",))]),
        ("K46.9", 0.7, [mention(text, "Abdominal hernia", ("K46.9",))]),
    )
    combine_with_index(draft, context_of(indexed_vocabulary.codeset, text, draft, vocabulary=indexed_vocabulary))
    assert "K44.0" in draft.codes()
    bare = "Hiatal hernia. Abdominal hernia.\n"
    draft = draft_of(
        ("K44.9", 0.8, [mention(bare, "Hiatal hernia", ("K44.9",))]),
        ("K46.9", 0.7, [mention(bare, "Abdominal hernia", ("K46.9",))]),
    )
    combine_with_index(draft, context_of(indexed_vocabulary.codeset, bare, draft, vocabulary=indexed_vocabulary))
    assert "K44.0" not in draft.codes()


def test_i_c_9_a_2_hypertension_with_ckd_is_i12_and_keeps_the_stage(codeset):
    text = "PMH: HTN.\nA/P: CKD stage 4, follow with nephrology.\n"
    draft = draft_of(
        ("I10", 0.85, [mention(text, "HTN", ("I10",), "past_medical_history")]),
        ("N18.4", 0.9, [mention(text, "CKD stage 4", ("N18.4",))]),
    )
    combine_hypertension(draft, context_of(codeset, text, draft))
    assert set(draft.codes()) == {"I12.9", "N18.4"}
    assert draft.get("I12.9").replaces == ["I10"]
    assert "I.C.9.a.2" in draft.get("I12.9").sections


def test_i_c_9_a_3_hypertension_heart_failure_and_ckd_is_i13():
    assert hypertensive_code(heart_failure=True, heart_disease=False, ckd=True, late_ckd=False) == "I13.0"
    assert hypertensive_code(heart_failure=True, heart_disease=False, ckd=True, late_ckd=True) == "I13.2"
    assert hypertensive_code(heart_failure=False, heart_disease=True, ckd=True, late_ckd=False) == "I13.10"
    assert hypertensive_code(heart_failure=True, heart_disease=False, ckd=False, late_ckd=False) == "I11.0"
    assert hypertensive_code(heart_failure=False, heart_disease=False, ckd=True, late_ckd=True) == "I12.0"


def test_i_c_9_a_1_hypertension_with_heart_failure_keeps_the_type(codeset):
    text = "Assessment: hypertension; acute on chronic systolic heart failure.\n"
    draft = draft_of(
        ("I10", 0.8, [mention(text, "hypertension", ("I10",))]),
        ("I50.23", 0.8, [mention(text, "acute on chronic systolic heart failure", ("I50.23",))]),
    )
    combine_hypertension(draft, context_of(codeset, text, draft))
    assert set(draft.codes()) == {"I11.0", "I50.23"}
