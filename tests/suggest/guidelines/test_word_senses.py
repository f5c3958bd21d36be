"""A bare word that names a procedure, a test or the weather is not the condition (I.B.1, IV.J)."""

from __future__ import annotations

from suggest.guidelines.data import read_table
from suggest.guidelines.word_senses import drop_other_word_senses
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_i_b_1_anesthesia_of_a_procedure_is_not_anesthesia_of_skin(codeset):
    text = "PROCEDURE: colonoscopy.\nAnesthesia: MAC. Cold snare polypectomy of a sigmoid polyp.\n"
    draft = draft_of(
        ("R20.0", 0.5, [mention(text, "Anesthesia", ("R20.0",), section="procedures")]),
        ("J00", 0.6, [mention(text, "Cold", ("J00",), section="procedures")]),
    )
    drop_other_word_senses(draft, context_of(codeset, text, draft))
    assert draft.codes() == []
    assert all("I.B.1" in item.reason for item in draft.excluded)


def test_i_b_1_stress_test_is_not_a_stress_reaction(codeset):
    text = "Hospital course: exercise stress echo HD2, no ischemia.\n"
    draft = draft_of(("F43.9", 0.88, [mention(text, "stress", ("F43.9",), section="hospital_course")]))
    drop_other_word_senses(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert draft.codes() == []


def test_i_b_1_the_condition_stays_when_its_sentence_says_it(codeset):
    text = "Assessment: cold - rhinorrhea and nasal congestion x 3 days. Anesthesia over the L thigh (numb skin).\n"
    draft = draft_of(
        ("J00", 0.7, [mention(text, "cold", ("J00",))]),
        ("R20.0", 0.7, [mention(text, "Anesthesia", ("R20.0",))]),
    )
    drop_other_word_senses(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["J00", "R20.0"]


def test_word_senses_table_codes_are_in_the_code_set(codeset):
    for code, word, cues, why in read_table("word_senses.tsv"):
        assert code in codeset.codes, code
        assert word == word.lower() and cues.strip() and why.strip()


def test_i_b_1_the_visits_main_concern_is_no_sick_relative(codeset):
    """I.B.1 / I.C.21.c.17: "concern" indexes to Z63.6 (Concern about sick person in family); "main concern: ..."
    is the visit's worry, and only a sentence naming a sick relative keeps Z63.6."""
    text = "S: Main concern: poor sleep for 2 weeks.\nSH: concern about caring for her ill mother at home.\n"
    draft = draft_of(("Z63.6", 0.55, [mention(text, "concern", ("Z63.6",), section="none")]))
    drop_other_word_senses(draft, context_of(codeset, text, draft))
    assert draft.codes() == []
    kept = draft_of(("Z63.6", 0.55, [mention(text, "concern", ("Z63.6",), section="none", occurrence=1)]))
    drop_other_word_senses(kept, context_of(codeset, text, kept))
    assert kept.codes() == ["Z63.6"]


def test_i_b_1_cranial_nerves_a_closed_defect_and_a_surgical_enucleation_are_no_conditions(codeset):
    """I.B.1: "cranial nerves II-XII intact" is no nervousness (Index: Nerves R45.0), "the defect was closed" no
    congenital malformation (Defect Q89.9), "enucleation" of the eye in 1990 no traumatic avulsion (S05.7);
    "bad nerves, anxious" still is nervousness."""
    text = "Neuro: cranial nerves II-XII intact.\nThe defect was closed primarily. R eye enucleation in 1990.\n"
    draft = draft_of(
        ("R45.0", 0.6, [mention(text, "nerves", ("R45.0",), section="physical_exam")]),
        ("Q89.9", 0.6, [mention(text, "defect", ("Q89.9",), section="procedures")]),
        ("S05.71XA", 0.6, [mention(text, "enucleation", ("S05.71XA",), section="past_surgical_history")]),
    )
    drop_other_word_senses(draft, context_of(codeset, text, draft))
    assert draft.codes() == []

    anxious = "Assessment: bad nerves, anxious about the surgery.\n"
    draft = draft_of(("R45.0", 0.6, [mention(anxious, "nerves", ("R45.0",))]))
    drop_other_word_senses(draft, context_of(codeset, anxious, draft))
    assert draft.codes() == ["R45.0"]


def test_i_b_1_a_history_code_read_from_the_bare_word_goes_too(codeset):
    """I.B.1, I.C.21.c.4: "s/p cold snare polypectomy" is no personal history of a common cold: the history code
    Z87.09 the history rule made of the word's J00 leaves with it."""
    text = "Sigmoid colon polyp, s/p cold snare polypectomy.\n"
    draft = draft_of(("Z87.09", 0.6, [mention(text, "cold", ("J00",), section="diagnoses")]))
    drop_other_word_senses(draft, context_of(codeset, text, draft))
    assert draft.codes() == []
