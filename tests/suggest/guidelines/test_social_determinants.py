"""Social determinants of health Z55-Z65 from the note's statements (I.C.21.c.17, I.B.14)."""

from __future__ import annotations

import re

from suggest.guidelines.data import read_table
from suggest.guidelines.social_determinants import social_determinant_codes


def _codes(vocabulary, note, text: str) -> set[str]:
    return {item.code for item in social_determinant_codes(note(text), vocabulary.index("index"), vocabulary.codeset)}


def test_i_c_21_c_17_lapsed_insurance_is_insufficient_coverage(vocabulary, note):
    """I.C.21.c.17 / I.B.14: "insurance lapsed after a job change" in the social worker's note -> Z59.71 (Index:
    No, health insurance coverage), with the statement as evidence and the section in the rationale."""
    text = "Social Work:\nPt's insurance lapsed after a job change; enrolled in a patient-assistance program.\n"
    found = social_determinant_codes(note(text), vocabulary.index("index"), vocabulary.codeset)
    assert [item.code for item in found] == ["Z59.71"]
    assert found[0].guideline == "I.C.21.c.17" and found[0].evidence[0].text == "insurance lapsed"


def test_i_c_21_c_17_insurance_named_without_a_problem_gives_nothing(vocabulary, note):
    """I.C.21.c.17: a payer named ("Insurance: Medicare") or "no insurance issues" documents no circumstance; a
    relative's circumstances are not the patient's."""
    assert _codes(vocabulary, note, "Insurance: Medicare\nSocial History:\nNo insurance issues.\n") == set()
    assert _codes(vocabulary, note, "Family History:\nBrother uninsured, diabetic.\n") == set()


def test_social_determinant_table_rows_reach_a_z55_z65_code(vocabulary):
    """Each reviewed row's Index entry exists and prints a code of Z55-Z65; each statement compiles."""
    index = vocabulary.index("index")
    header, *rows = read_table("social_determinants.tsv")
    assert header == ["statement", "words", "index_path", "why"]
    for statement, words, path, _why in rows:
        re.compile(statement)
        assert words.split() and all(word == word.lower() for word in words.split())
        term = index.find(*path.split(" > "))
        assert term is not None and term.codes, path
        code = term.codes[0]
        assert code in vocabulary.codeset.codes and "Z55" <= code[:3] <= "Z65", (path, code)
