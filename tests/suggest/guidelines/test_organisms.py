"""The infectious agent B95-B97 of an infection coded outside chapter 1 (I.C.1.b, "use additional code")."""

from __future__ import annotations

from suggest.guidelines.organisms import code_infectious_agents, organism_names

from .conftest import context_of, draft_of, mention


def _run(vocabulary, text: str, *entries: tuple[str, str]) -> list[str]:
    draft = draft_of(*((code, 0.8, [mention(text, phrase, (code,))]) for code, phrase in entries))
    code_infectious_agents(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    return draft.codes()


def test_i_c_1_b_organism_of_a_urinary_infection_is_added(vocabulary):
    """I.C.1.b: N30's "use additional code (B95-B97) to identify infectious agent": cystitis due to Klebsiella
    pneumoniae -> B96.1 beside N30.00, from the Index's "Infection, bacterial NOS, as cause of disease classified
    elsewhere" entry."""
    text = "Assessment:\n1. Acute cystitis without hematuria due to Klebsiella pneumoniae\n"
    codes = _run(vocabulary, text, ("N30.00", "Acute cystitis without hematuria"))
    assert "B96.1" in codes


def test_i_c_1_b_short_form_and_acronym_names(vocabulary):
    """I.C.1.b: the Index's bracketed short form ("E. coli") and acronym modifier ("MRSA") name the organism."""
    names = organism_names(vocabulary.index("index"))
    assert names is not None
    text = "UTI d/t E.coli; cellulitis w/ MRSA"
    assert [code for _, _, code, _ in names.named_in(text, 0, len(text))] == ["B96.20", "B95.62"]


def test_i_c_1_b_no_organism_named_on_the_condition_line_adds_nothing(vocabulary):
    """I.C.1.b: the organism must be named where the condition is stated; an unnamed one adds nothing."""
    text = "Assessment:\n1. Acute cystitis without hematuria\nHistory:\nRemote E. coli bacteremia.\n"
    assert _run(vocabulary, text, ("N30.00", "Acute cystitis without hematuria")) == ["N30.00"]


def test_i_c_1_b_a_code_without_the_note_gets_no_agent(vocabulary):
    """I.C.1.b: a code that names its organism itself (J15.0, no "use additional code (B95-B97)") adds none."""
    text = "Assessment:\n1. Pneumonia due to Klebsiella pneumoniae\n"
    assert _run(vocabulary, text, ("J15.0", "Pneumonia due to Klebsiella pneumoniae")) == ["J15.0"]


def test_i_c_1_b_an_organism_ruled_out_is_no_cause(vocabulary):
    """I.C.1.b: the agent is one the note states as the cause; "negative for MRSA" names none."""
    text = "Assessment:\n1. Cellulitis of left lower limb, nares swab negative for MRSA\n"
    assert _run(vocabulary, text, ("L03.116", "Cellulitis of left lower limb")) == ["L03.116"]
