"""Allergy status Z88.- / Z91.0- (I.C.21.c.3): a documented allergy is a status, not a current reaction."""

from __future__ import annotations

import pytest

from suggest.guidelines.allergies import allergy_status_codes
from suggest.guidelines.tables import read_table


@pytest.fixture(scope="module")
def run(vocabulary, note):
    def codes(text: str) -> set[str]:
        added = allergy_status_codes(
            note(text), vocabulary.index("index"), vocabulary.index("drug"), vocabulary.codeset
        )
        return {item.code for item in added}

    return codes


def test_allergy_list_gives_status_codes(run):
    """I.C.21.c.3: Allergies: penicillin, sulfa, peanuts, latex -> Z88.0, Z88.2, Z91.010, Z91.040."""
    found = run("Allergies: Penicillin (hives), sulfa drugs, peanuts, latex\n")
    assert {"Z88.0", "Z88.2", "Z91.010", "Z91.040"} <= found
    assert not any(code.startswith("T78") for code in found)


def test_drug_allergy_by_table_of_drugs_class(run):
    """I.C.21.c.3: codeine (T40.2, narcotic) -> Z88.5; cephalexin (T36.1, antibiotic) -> Z88.1."""
    assert run("Allergies: codeine, cephalexin\n") == {"Z88.5", "Z88.1"}


def test_allergic_to_phrase_outside_the_list(run):
    """I.C.21.c.3: 'amoxicillin allergy' in the history gives Z88.0 (amoxicillin is a penicillin, T36.0)."""
    assert "Z88.0" in run("History of Present Illness:\nPatient with amoxicillin allergy presents with cough.\n")


def test_no_known_allergies_give_nothing(run):
    assert run("Allergies: NKDA. Meds: lisinopril 20 mg daily, codeine PRN\n") == set()


def test_outgrown_allergy_gives_no_status(run):
    """I.C.21.c.3: status codes are for a present allergy; one the patient now tolerates is not coded."""
    text = "History of Present Illness:\nHx peanut allergy; passed an oral peanut challenge and now eats peanuts.\n"
    assert run(text) == set()


def test_reviewed_tables_hold_valid_codes(vocabulary):
    """The allergy table's codes are valid FY2026 codes."""
    for row in read_table("allergy_drug_classes"):
        assert vocabulary.codeset.is_billable(row["code"]), row


def test_intolerance_is_not_an_allergy(run):
    """I.C.21.c.3: an expected side effect documented with the drug ("codeine (nausea)") is not allergy status."""
    assert run("Allergies: codeine (nausea), penicillin (hives)\n") == {"Z88.0"}


def test_list_ends_at_an_unknown_heading(run):
    """The allergy list ends where the next heading starts, known to the section splitter or not."""
    assert run("Allergies: NKDA.\nHome meds: lisinopril 20 mg daily, amoxicillin\n") == set()


def test_anaphylaxis_in_the_allergy_list_is_a_status_not_a_reaction(vocabulary, sectioner):
    """I.C.21.c.3: "Allergies: PCN - anaphylaxis" is Z88.0; the anaphylactic shock code T78.2XXA (a reaction
    treated now) leaves the list."""
    from suggest.guidelines.allergies import code_allergy_status
    from tests.suggest.guidelines.conftest import context_of, draft_of, mention

    text = "Allergies: PCN - anaphylaxis\nA/P: cellulitis."
    doc = sectioner(text)
    draft = draft_of(("T78.2XXA", 0.65, [mention(text, "anaphylaxis", ("T78.2XXA",), section="allergies")]))
    context = context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary)
    context = type(context)(**{**context.__dict__, "sections": _section_starts(doc)})
    code_allergy_status(draft, context)
    assert "T78.2XXA" not in draft.codes()
    assert "Z88.0" in draft.codes()


def _section_starts(doc):
    return tuple(
        (doc[token].idx if token < len(doc) else len(doc.text), name)
        for token, name in getattr(doc._, "chartcoder_section_starts", ()) or ()
    )
