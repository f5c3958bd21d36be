"""The documentation checks run their case-insensitive patterns on the note's folded text (context.on_folded):
the same spans as the patterns on the note itself, and a note skipped by a pre-check holds no match."""

from __future__ import annotations

import re

import pytest

from suggest.documentation import attributes, completeness, context, dates, indicators, specificity
from suggest.documentation.context import folded_text, on_folded
from suggest.guidelines.folding import folded, says_any

_TEXTS = [
    "58-year-old Male, DM type II, CKD stage 3b; Left KNEE pain. Sex: F",
    "Date of service: 03/14/2024. Admitted Sept 3, 2023; discharged 2023-09-10. MRN: 12345",
    "Na 119, K 6.9, Hgb 7.2, PLT 45,000. BMI 41.2. LVEF 25%. eGFR 38. EGA 32 weeks. ORIF in the ED.",
    "Acute on chronic systolic CHF, HFrEF. Right hip (left) fracture. T2DM, NIDDM.",
    "\u212aelvin sign, \u0130stanbul, dotless \u0131, long \u017f: a 7-day-old g\u0131rl, Hb 8.1 \u2014 ITP, SIADH.",
]
_PAIRS = [
    (attributes._DIABETES_RE, attributes._READERS[0][1]),
    (attributes._CKD_RE, attributes._READERS[1][1]),
    (attributes._HF_TYPE_RE, attributes._READERS[2][1]),
    (attributes._ACUITY_RE, attributes._READERS[3][1]),
    (attributes._LATERALITY_RE, attributes._READERS[4][1]),
    (dates._DATE_RE, dates._FOLDED_DATE_RE),
    (completeness._PATIENT_ID_RE, completeness._FOLDED_PATIENT_ID_RE),
    (context._AGE_SEX_RE, context._FOLDED_AGE_SEX_RE),
    (context._SEX_FIELD_RE, context._FOLDED_SEX_FIELD_RE),
    (indicators._BMI_RE, indicators._FOLDED_BMI_RE),
    (indicators._WEIGHT_WORDS, indicators._FOLDED_WEIGHT_WORDS),
    *((rule.pattern, folded) for rule, folded, _, _ in indicators._FOLDED_LABS),
    *((rule.low_words, low) for rule, _, low, _ in indicators._FOLDED_LABS),
    *((rule.indicator, specificity._FOLDED_INDICATORS[rule.kind]) for rule in specificity.INDICATOR_RULES),
    (specificity._EPISODE_RE, specificity._FOLDED_EPISODE_RE),
    (specificity._WEEKS_RE, specificity._FOLDED_WEEKS_RE),
]


@pytest.mark.parametrize("text", _TEXTS)
def test_a_folded_pattern_finds_the_spans_the_pattern_finds_in_the_note_and_its_groups_folded(text: str) -> None:
    for pattern, on_folded_text in _PAIRS:
        expected = [
            (match.span(), tuple(group and folded(group) for group in match.groups()))
            for match in pattern.finditer(text)
        ]
        assert [(match.span(), match.groups()) for match in on_folded_text.finditer(folded_text(text))] == expected


def test_a_pattern_with_a_capital_letter_or_without_ignorecase_is_refused() -> None:
    with pytest.raises(ValueError):
        on_folded(re.compile(r"\bMRN\b", re.IGNORECASE))
    with pytest.raises(ValueError):
        on_folded(re.compile(r"mrn"))
    assert on_folded(re.compile(r"(?P<m>\d)\W\b[a-z]", re.IGNORECASE)).flags & re.IGNORECASE == 0


@pytest.mark.parametrize(
    ("words", "pattern", "examples"),
    [
        (
            indicators._LAB_WORDS["hemoglobin"],
            indicators.LAB_RULES[2].pattern,
            ["Hgb 7", "Hb: 8.2", "haemoglobin of 6"],
        ),
        (indicators._LAB_WORDS["platelets"], indicators.LAB_RULES[3].pattern, ["PLT 45", "platelet count 30k"]),
        (indicators._BMI_WORDS, indicators._BMI_RE, ["BMI 41", "body mass index: 17.2"]),
        (completeness._PATIENT_ID_WORDS, completeness._PATIENT_ID_RE, ["Name: J", "MRN 123", "Acct # 9"]),
    ],
)
def test_every_match_of_a_pre_checked_pattern_holds_one_of_its_words(words, pattern, examples) -> None:
    for example in examples:
        match = pattern.search(example)
        assert match is not None, example
        assert says_any(folded_text(match.group()), words), example
