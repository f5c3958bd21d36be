"""Must-not codes in the engine's output: a cue between a term's words qualifies the words after it (IV.H, III.C).

A term matched across a gap ("postmenopausal woman - r/o osteoporosis" read as "Osteoporosis, postmenopausal")
carries the cue in the gap when the term's main word follows it; a cue before only a modifier leaves the main
term affirmed ("syncope - likely vasovagal" is syncope, R55).
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.shared_data]


@pytest.fixture(scope="module")
def engine(indexed_vocabulary):
    from suggest.pipeline import load_engine

    return load_engine(indexed_vocabulary, model="zero-shot")


def _proposed(engine, text: str, setting: str = "outpatient") -> list[str]:
    return [item.code for item in engine.suggest(text, setting=setting).suggestions if item.proposed]


def test_iv_h_rule_out_between_a_modifier_and_the_main_term_is_not_coded(engine):
    text = "A:\n1. Low-energy fracture in postmenopausal woman - r/o osteoporosis.\nP: DEXA scan ordered.\n"
    result = engine.suggest(text, setting="outpatient")
    assert not any(item.code.startswith("M81") and item.proposed for item in result.suggestions)
    assert any(item.code.startswith("M81") and "uncertain" in item.reason for item in result.excluded)


def test_iii_c_a_negated_history_between_the_words_of_a_combination_is_not_coded(engine):
    # "Diabetes, with, hyperglycemia" read across "no h/o": no diabetes, so no E11.65 (I.C.4.a)
    text = "A/P:\n4. Steroid-induced hyperglycemia - no h/o DM, A1c 5.6. SSI while on prednisone.\n"
    assert not any(code.startswith(("E11", "E13", "E08", "E09")) for code in _proposed(engine, text, "inpatient"))


def test_iv_d_an_uncertain_modifier_leaves_the_main_term_affirmed(engine):
    text = "Dx:\n1. Syncope - likely vasovagal\n2. Mild dehydration\n"
    assert "R55" in _proposed(engine, text)


def test_iii_c_precautions_for_a_condition_are_not_the_condition(engine):
    # "fever precautions": watching for a fever the patient does not have (III.C: conditions of this encounter)
    text = "A/P: 1. Functional asplenia - vaccines up to date; fever precautions. 2. Seizure precautions.\n"
    codes = _proposed(engine, text)
    assert not any(code.startswith(("R50", "R56", "G40")) for code in codes)
