"""I.B.1 / I.B.2: the Alphabetic Index subterm the note names, read below or beside the code's own Index entry."""

from suggest.guidelines.index_subterms import refine_by_index_subterm
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def _refined(indexed_vocabulary, text: str, phrase: str, code: str) -> list[str]:
    draft = draft_of((code, 0.8, [mention(text, phrase, (code,))]))
    refine_by_index_subterm(draft, context_of(indexed_vocabulary.codeset, text, draft, vocabulary=indexed_vocabulary))
    return draft.codes()


def test_i_b_1_nec_entry_gives_way_to_the_sibling_subterm_the_note_names(indexed_vocabulary):
    # Rhinitis, allergic, seasonal NEC (J30.2) vs Rhinitis, allergic, due to, pollen (J30.1)
    text = "A/P:\n1. Seasonal allergic rhinitis due to grass pollen. Start nasal steroid.\n"
    draft = draft_of(("J30.2", 0.8, [mention(text, "Seasonal allergic rhinitis", ("J30.2",))]))
    refine_by_index_subterm(draft, context_of(indexed_vocabulary.codeset, text, draft, vocabulary=indexed_vocabulary))
    assert draft.codes() == ["J30.1"]
    assert "I.B.1" in draft.entries[0].sections
    assert any("I.B.1" in note for note in draft.entries[0].notes)


def test_i_b_1_listed_subterm_code_takes_the_evidence_of_the_nec_code(indexed_vocabulary):
    text = "A/P:\n1. Seasonal allergic rhinitis due to grass pollen.\n"
    found = mention(text, "Seasonal allergic rhinitis", ("J30.2",))
    draft = draft_of(
        ("J30.2", 0.8, [found]), ("J30.1", 0.3, [mention(text, "rhinitis due to grass pollen", ("J30.1",))])
    )
    refine_by_index_subterm(draft, context_of(indexed_vocabulary.codeset, text, draft, vocabulary=indexed_vocabulary))
    assert draft.codes() == ["J30.1"]
    assert draft.entries[0].replaces == ["J30.2"]
    assert draft.entries[0].score == 0.8


def test_i_b_2_subterm_below_the_code_entry_the_note_names(indexed_vocabulary):
    # Disorder, attention-deficit hyperactivity (F90.9) > combined > type (F90.2)
    text = "Assessment: attention-deficit hyperactivity disorder, combined type. Continue methylphenidate.\n"
    assert _refined(indexed_vocabulary, text, "attention-deficit hyperactivity disorder", "F90.9") == ["F90.2"]


def test_i_b_2_a_denied_subterm_word_names_nothing(indexed_vocabulary):
    text = "A/P:\n1. Seasonal allergic rhinitis, no pollen exposure this year.\n"
    assert _refined(indexed_vocabulary, text, "Seasonal allergic rhinitis", "J30.2") == ["J30.2"]


def test_i_b_1_sibling_of_an_entry_that_is_not_nec_is_another_finding(indexed_vocabulary):
    # Rhinitis, allergic, perennial (J30.89) is not a catch-all: "pollen" elsewhere in the sentence does not move it
    text = "A/P:\n1. Perennial allergic rhinitis, worse when pollen is high.\n"
    assert _refined(indexed_vocabulary, text, "Perennial allergic rhinitis", "J30.89") == ["J30.89"]


def test_i_c_5_b_2_dependence_is_never_read_again_as_use(indexed_vocabulary):
    # "alcohol use disorder, severe" is dependence: the Index's "in alcohol use" subterm below "perceptual
    # disturbance due to alcohol withdrawal" must not turn F10.232 into F10.932 (dependence over use, I.C.5.b.2)
    text = "Final Diagnoses:\n1. Alcohol withdrawal w/ perceptual disturbances - alcohol use disorder, severe.\n"
    phrase = "Alcohol withdrawal w/ perceptual disturbances"
    assert _refined(indexed_vocabulary, text, phrase, "F10.232") == ["F10.232"]
