"""A condition documented as due to a cause that its code's Excludes1 note classifies elsewhere (I.A.12.a)."""

from __future__ import annotations

from suggest.guidelines.excluded_cause import code_where_the_cause_sends
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_i_a_12_a_neurogenic_bladder_due_to_spinal_cord_injury_is_g95_89(codeset):
    """I.A.12.a: N31 "Excludes1 neuromuscular dysfunction due to spinal cord lesion (G95.89)": a neurogenic
    bladder d/t SCI is coded G95.89, never N31.9."""
    text = "Plan:\n3. Neurogenic bladder d/t SCI - intermittent catheterization.\n"
    draft = draft_of(("N31.9", 0.8, [mention(text, "Neurogenic bladder", ("N31.9",))]))
    code_where_the_cause_sends(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["G95.89"]
    assert "I.A.12.a" in draft.entries[0].sections and draft.entries[0].refined_from == ["N31.9"]


def test_i_a_12_a_neurogenic_bladder_without_a_stated_cause_stays(codeset):
    """I.A.12.a: the cause must be documented as the cause; "neurogenic bladder" alone stays N31.9."""
    text = "Plan:\n3. Neurogenic bladder - intermittent catheterization. Spinal cord stimulator in place.\n"
    draft = draft_of(("N31.9", 0.8, [mention(text, "Neurogenic bladder", ("N31.9",))]))
    code_where_the_cause_sends(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["N31.9"]


def test_i_a_12_a_a_notes_other_condition_must_be_documented(codeset):
    """I.A.12.a: J13 "Excludes1 congenital pneumonia due to S. pneumoniae (P23.6)" names a congenital pneumonia:
    an adult's pneumonia due to Streptococcus pneumoniae stays J13; a congenital one goes to P23.6."""
    text = "Discharge diagnoses:\n1. Pneumonia due to Streptococcus pneumoniae.\n"
    draft = draft_of(("J13", 0.8, [mention(text, "Pneumonia", ("J13",))]))
    code_where_the_cause_sends(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["J13"]
    text = "Discharge diagnoses:\n1. Congenital pneumonia due to Streptococcus pneumoniae.\n"
    draft = draft_of(("J13", 0.8, [mention(text, "Congenital pneumonia", ("J13",))]))
    code_where_the_cause_sends(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["P23.6"]
