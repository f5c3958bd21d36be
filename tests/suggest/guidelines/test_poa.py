"""Present-on-admission indicators (Appendix I)."""

from __future__ import annotations

from suggest.guidelines.data import read_table
from suggest.guidelines.poa import assign_poa, is_poa_exempt
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_appendix_i_hospital_acquired_condition_is_not_poa_and_exempt_codes_get_1(codeset):
    text = "Hospital course: pneumonia on admission. Developed C. difficile colitis on hospital day 3.\n"
    draft = draft_of(
        ("J18.9", 0.9, [mention(text, "pneumonia", ("J18.9",), "hospital_course")]),
        ("A04.72", 0.8, [mention(text, "C. difficile colitis", ("A04.72",), "hospital_course")]),
        ("Z79.4", 0.8, [mention(text, "pneumonia", ("Z79.4",), "hospital_course")]),
    )
    assign_poa(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert [entry.poa for entry in draft.entries] == ["Y", "N", "1"]


def test_appendix_i_no_poa_for_outpatient_notes(codeset):
    text = "Assessment: pneumonia.\n"
    draft = draft_of(("J18.9", 0.9, [mention(text, "pneumonia", ("J18.9",))]))
    assign_poa(draft, context_of(codeset, text, draft))
    assert draft.entries[0].poa is None


def test_appendix_i_subsequent_encounter_injury_codes_are_exempt():
    assert is_poa_exempt("S52.531D") and not is_poa_exempt("S52.531A")


def test_appendix_i_exempt_table_prefixes_are_codes_of_the_code_set(codeset):
    for prefix, _title in read_table("poa_exempt.tsv"):
        assert codeset.with_prefix(prefix, limit=1), prefix
