"""BMI Z68 (I.B.14): from the value, only with an associated weight diagnosis."""

from __future__ import annotations

import pytest

from suggest.guidelines.bmi import bmi_code, code_bmi
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


@pytest.mark.parametrize(
    ("value", "code"),
    [("34.2", "Z68.34"), ("17.8", "Z68.1"), ("41", "Z68.41"), ("52.3", "Z68.43"), ("29.95", "Z68.29")],
)
def test_bmi_value_gives_its_adult_code(vocabulary, note, value, code):
    """I.B.14: the Z68 code whose range holds the documented BMI value."""
    found = bmi_code(note(f"Vitals:\nBP 130/80, BMI {value} kg/m2\n"), vocabulary.codeset)
    assert found is not None and found.code == code
    assert found.guideline == "I.B.14"


def test_no_bmi_code_for_a_child(vocabulary, note):
    """I.B.14 / Z68.5-: a patient under 20 gets a percentile code, not the adult one."""
    assert bmi_code(note("12-year-old boy. Vitals: BMI 24\n"), vocabulary.codeset) is None


def test_bmi_only_with_a_weight_diagnosis(vocabulary):
    """I.B.14: BMI is reported only with an associated reportable diagnosis (obesity); without one, none."""
    text = "Vitals: BMI 36.1\nAssessment: Class 2 obesity. Hypertension.\n"
    with_obesity = draft_of(("E66.812", 0.9, [mention(text, "Class 2 obesity", ("E66.812",))]))
    code_bmi(with_obesity, context_of(vocabulary.codeset, text, with_obesity))
    assert "Z68.36" in with_obesity
    without = draft_of(("I10", 0.9, [mention(text, "Hypertension", ("I10",))]))
    code_bmi(without, context_of(vocabulary.codeset, text, without))
    assert not without.in_category("Z68")
