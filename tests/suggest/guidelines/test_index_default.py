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
    drop_index_defaults(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert draft.codes() == ["B18.2"]
    assert draft.entries[0].replaces == ["B19.20"] and "I.B.2" in draft.entries[0].notes[0]


def test_i_b_2_bare_dependence_leaves_beside_nicotine_dependence(vocabulary):
    text = "Assessment: 4. Tobacco dependence - cigarettes, counseled.\n"
    draft = draft_of(
        ("F17.210", 0.8, [mention(text, "Tobacco dependence - cigarettes", ("F17.210",))]),
        ("F19.20", 0.66, [mention(text, "dependence", ("F19.20",))]),
    )
    drop_index_defaults(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert draft.codes() == ["F17.210"]


def test_i_b_2_conditions_of_different_blocks_both_stay(vocabulary):
    # "Hypertension" (I10) and "Hypertension, pulmonary" (I27.20): two conditions, both reported
    assert not is_default_above(vocabulary.index("index"), vocabulary.codeset, "I10", "I27.20")
    text = "Assessment: hypertension. Pulmonary hypertension on echo.\n"
    draft = draft_of(
        ("I10", 0.8, [mention(text, "hypertension", ("I10",))]),
        ("I27.20", 0.7, [mention(text, "Pulmonary hypertension", ("I27.20",))]),
    )
    drop_index_defaults(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert draft.codes() == ["I10", "I27.20"]


def test_i_b_2_a_listed_subterm_code_removes_nothing(vocabulary):
    # below the threshold the subterm's code is only listed: the default stays proposed for the finding
    text = "Assessment: HCV. ?chronic hepatitis C.\n"
    draft = draft_of(
        ("B19.20", 0.9, [mention(text, "HCV", ("B19.20",))]),
        ("B18.2", 0.2, [mention(text, "chronic hepatitis C", ("B18.2",))]),
    )
    drop_index_defaults(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert "B19.20" in draft.codes()
