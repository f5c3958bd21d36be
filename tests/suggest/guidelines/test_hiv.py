"""HIV: B20 or Z21 on every encounter, never a personal history code (I.C.1.a.2.d, I.C.1.a.2.f)."""

from __future__ import annotations

import pytest

from suggest.guidelines.data import read_table
from suggest.guidelines.history_status import HistoryCodes
from suggest.guidelines.hiv import code_hiv, hiv_disease_span
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


@pytest.mark.parametrize("code", ["B20", "Z21"])
@pytest.mark.parametrize("resolved", [False, True])
def test_i_c_1_a_2_f_hiv_never_becomes_a_personal_history_code(vocabulary, code, resolved):
    """I.C.1.a.2.f: "history of HIV" is still HIV: never Z86.19 (personal history of other infectious disease)."""
    histories = HistoryCodes(vocabulary.index("index"), vocabulary.codeset)
    assert histories.code_for("personal", code, resolved=resolved) is None


def test_i_c_1_a_2_f_a_relatives_hiv_is_still_family_history(vocabulary):
    histories = HistoryCodes(vocabulary.index("index"), vocabulary.codeset)
    assert histories.code_for("family", "B20") is not None


def test_i_c_1_a_2_d_history_of_hiv_without_an_hiv_related_illness_is_z21(codeset):
    """I.C.1.a.2.d: "h/o HIV, previously on ART" with no AIDS or HIV-related illness -> Z21, not B20."""
    text = "PMH: h/o HIV, previously on ART.\nA/P: acute bronchitis."
    draft = draft_of(("B20", 0.7, [mention(text, "HIV", ("B20",), "past_medical_history", "historical")]))
    code_hiv(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["Z21"]
    assert "I.C.1.a.2.d" in draft.entries[0].sections


def test_i_c_1_a_2_f_aids_documented_makes_b20_never_z21(codeset):
    """I.C.1.a.2.f: once an HIV-related illness is documented (AIDS), B20 on every encounter, never Z21."""
    text = "PMH: HIV positive, AIDS diagnosed 2011 with a CD4 nadir of 90.\nA/P: acute bronchitis."
    draft = draft_of(("Z21", 0.7, [mention(text, "HIV positive", ("Z21",), "past_medical_history")]))
    code_hiv(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["B20"]
    assert "I.C.1.a.2.f" in draft.entries[0].sections


@pytest.mark.parametrize(
    ("text", "documented"),
    [
        ("History of HIV-associated nephropathy.", True),
        ("Kaposi sarcoma due to HIV.", True),
        ("HIV positive, no AIDS-defining illness.", False),
        ("Uses hearing aids.", False),
        ("HIV positive on ART, CD4 700.", False),
    ],
)
def test_i_c_1_a_2_d_what_documents_hiv_disease(text, documented):
    """I.C.1.a.2.d: "AIDS", "HIV disease" or a condition resulting from the HIV make it B20; a negated one,
    "hearing aids" or HIV on treatment alone do not."""
    assert (hiv_disease_span(text) is not None) is documented


def test_i_c_1_a_2_f_lifelong_conditions_table_prefixes_are_codes_of_the_code_set(codeset):
    for prefix, guideline, _title in read_table("lifelong_conditions.tsv"):
        assert codeset.with_prefix(prefix, limit=1), prefix
        assert guideline.startswith("I.C.1.a.2"), prefix
