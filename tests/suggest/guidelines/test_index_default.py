"""A main term's default code beside the code of a subterm below it (I.B.1, I.B.2)."""

from __future__ import annotations

import pytest

from suggest.guidelines.index_default import drop_index_defaults, is_default_above
from tests.suggest.guidelines.conftest import context_of, draft_of, mention

pytestmark = [pytest.mark.shared_data]


def test_i_b_2_hepatitis_c_default_leaves_beside_chronic_hepatitis_c(vocabulary):
    # "Hepatitis, C" prints B19.20; its subterm "chronic" prints B18.2: one condition, the subterm's detail wins
    text = "Labs: HCV RNA 2,400,000. Assessment: 1. Chronic hepatitis C, GT1a. Start treatment for HCV.\n"
    draft = draft_of(
        ("B19.20", 0.95, [mention(text, "HCV", ("B19.20",))]),
        ("B18.2", 0.76, [mention(text, "Chronic hepatitis C", ("B18.2",))]),
    )
    context = context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary)
    drop_index_defaults(draft, context)
    assert _proposed(draft, context) == ["B18.2"]
    listed = draft.get("B19.20")
    assert listed is not None and "I.B.2" in listed.sections and "listed, not proposed" in listed.notes[0]


def test_i_b_2_bare_dependence_leaves_beside_nicotine_dependence(vocabulary):
    text = "Assessment: 4. Tobacco dependence - cigarettes, counseled.\n"
    draft = draft_of(
        ("F17.210", 0.8, [mention(text, "Tobacco dependence - cigarettes", ("F17.210",))]),
        ("F19.20", 0.66, [mention(text, "dependence", ("F19.20",))]),
    )
    context = context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary)
    drop_index_defaults(draft, context)
    assert _proposed(draft, context) == ["F17.210"]


def test_i_b_2_conditions_of_different_blocks_both_stay(vocabulary):
    # "Hypertension" (I10) and "Hypertension, pulmonary" (I27.20): two conditions, both reported
    assert not is_default_above(vocabulary.index("index"), vocabulary.codeset, "I10", "I27.20")
    text = "Assessment: hypertension. Pulmonary hypertension on echo.\n"
    draft = draft_of(
        ("I10", 0.8, [mention(text, "hypertension", ("I10",))]),
        ("I27.20", 0.7, [mention(text, "Pulmonary hypertension", ("I27.20",))]),
    )
    context = context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary)
    drop_index_defaults(draft, context)
    assert _proposed(draft, context) == ["I10", "I27.20"]


def test_i_b_2_a_listed_subterm_code_removes_nothing(vocabulary):
    # below the threshold the subterm's code is only listed: the default stays proposed for the finding
    text = "Assessment: HCV. ?chronic hepatitis C.\n"
    draft = draft_of(
        ("B19.20", 0.9, [mention(text, "HCV", ("B19.20",))]),
        ("B18.2", 0.2, [mention(text, "chronic hepatitis C", ("B18.2",))]),
    )
    context = context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary)
    drop_index_defaults(draft, context)
    assert "B19.20" in _proposed(draft, context)


def test_i_b_2_entries_both_ways_rank_neither(vocabulary):
    # "Rhinitis, allergic" prints J30.1 and J30.89 each below an entry of the other: neither is demoted
    index, codeset = vocabulary.index("index"), vocabulary.codeset
    both_ways = is_default_above(index, codeset, "J30.1", "J30.89") and is_default_above(
        index, codeset, "J30.89", "J30.1"
    )
    if not both_ways:
        pytest.skip("this Index release ranks J30.1 and J30.89")
    text = "Assessment: allergic rhinitis due to pollen; perennial allergic rhinitis.\n"
    draft = draft_of(
        ("J30.1", 0.8, [mention(text, "allergic rhinitis due to pollen", ("J30.1",))]),
        ("J30.89", 0.7, [mention(text, "perennial allergic rhinitis", ("J30.89",))]),
    )
    context = context_of(codeset, text, draft, vocabulary=vocabulary)
    drop_index_defaults(draft, context)
    assert _proposed(draft, context) == ["J30.1", "J30.89"]


def _proposed(draft, context) -> list[str]:
    return [entry.code for entry in draft.entries if entry.score >= context.threshold]
