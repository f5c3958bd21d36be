"""The guideline layer inside the engine: reporting order, roles, POA and combinations on a short note."""

from __future__ import annotations

import pytest

from suggest.guidelines import DEFAULT_STEPS, guideline_steps

pytestmark = [pytest.mark.shared_data]

NOTE = """DISCHARGE DIAGNOSES
1. Community acquired pneumonia, right lower lobe
2. Hypertension
3. Chronic kidney disease stage 4

HOSPITAL COURSE
Pneumonia treated with ceftriaxone and azithromycin. Developed C. difficile colitis on hospital day 3.
"""


@pytest.fixture(scope="module")
def result(indexed_vocabulary):
    from suggest.pipeline import load_engine

    return load_engine(indexed_vocabulary, model="zero-shot").suggest(NOTE, setting="inpatient")


def test_every_default_step_is_registered():
    for name in DEFAULT_STEPS:
        assert callable(guideline_steps.get(name)), name


def test_section_ii_principal_first_with_role_and_poa(result):
    first = result.suggestions[0]
    assert first.code.startswith("J18") and first.role == "principal" and first.proposed
    assert first.poa == "Y" and "(II)" in first.rationale
    assert all(item.role == "secondary" for item in result.suggestions[1:])


def test_i_c_9_a_2_combination_replaces_its_component_in_the_engine_output(result):
    codes = [item.code for item in result.suggestions]
    assert "I12.9" in codes and "I10" not in codes and "N18.4" in codes
    combination = next(item for item in result.suggestions if item.code == "I12.9")
    assert "I10" in combination.replaces and "I.C.9.a.2" in combination.rationale
    assert combination.to_dict()["replaces"] == ["I10"]


def test_appendix_i_condition_developed_in_hospital_is_not_poa(result):
    colitis = [item for item in result.suggestions if any("colitis" in piece.text for piece in item.evidence)]
    assert colitis and all(item.poa == "N" for item in colitis)
