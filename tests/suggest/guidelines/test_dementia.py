"""Dementia in a disease the note names (I.A.13 etiology / manifestation, I.C.5.d severity and behaviour)."""

from __future__ import annotations

from suggest.guidelines.dementia import code_dementia_in_disease
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_i_a_13_alzheimers_dementia_is_the_disease_then_f02_of_the_same_subdivision(codeset):
    """I.A.13 / I.C.5.d: "Alzheimer dementia, late onset, moderate, with agitation" is G30.1 (F02's code-first
    note names Alzheimer's, G30.-) and F02.B11, not the unspecified dementia F03.B11."""
    text = "Assessment:\n1. Alzheimer dementia, late onset, moderate, with agitation - continue donepezil.\n"
    draft = draft_of(("F03.B11", 0.8, [mention(text, "dementia", ("F03.B11",))]))
    code_dementia_in_disease(draft, context_of(codeset, text, draft))
    assert sorted(draft.codes()) == ["F02.B11", "G30.1"]
    dementia = draft.get("F02.B11")
    assert dementia is not None and "I.A.13" in dementia.sections and "I.C.5.d" in dementia.sections
    assert dementia.refined_from == ["F03.B11"]


def test_i_a_13_dementia_without_a_named_disease_stays_unspecified(codeset):
    """I.A.13: no disease named in the dementia's sentence (the Parkinson's on another line is not linked)."""
    text = "Assessment:\n1. Dementia, moderate, with agitation.\n2. Parkinson's disease, stable.\n"
    draft = draft_of(("F03.B11", 0.8, [mention(text, "Dementia", ("F03.B11",))]))
    code_dementia_in_disease(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["F03.B11"]


def test_i_a_13_dementia_in_parkinsons_disease_of_unspecified_severity(codeset):
    """I.A.13: "dementia due to Parkinson's disease" - G20.- first, then F02.80 (F03.90's subdivision)."""
    text = "Impression: dementia due to Parkinson's disease.\n"
    draft = draft_of(("F03.90", 0.8, [mention(text, "dementia", ("F03.90",), section="diagnoses")]))
    code_dementia_in_disease(draft, context_of(codeset, text, draft))
    assert "F02.80" in draft.codes()
    assert any(code.startswith("G20") for code in draft.codes())
