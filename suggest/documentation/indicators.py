"""Clinical indicators without a documented diagnosis: a value the provider has not called a condition.

- ``clinical_indicator.bmi_without_diagnosis`` (info): a BMI of 30 or more, or under 18.5, and no weight
  diagnosis (obesity, overweight, underweight, malnutrition, cachexia) in the note or among the suggested codes:
  the BMI, which any clinician may document, is reported only with the provider's associated diagnosis
  (I.B.14, I.C.21.c.3);
- ``clinical_indicator.lab_without_diagnosis`` (info): a markedly abnormal sodium, potassium, hemoglobin or
  platelet count and no diagnosis of it in the note or among the codes: an abnormal finding is not coded unless
  the provider documents its clinical significance (III.B; I.A.19), so a compliant query may ask.

The limits (:data:`LAB_RULES`) are well outside common reference ranges, so a finding is a clear indicator,
not a borderline value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from suggest.documentation import bases
from suggest.documentation.context import NoteFacts, on_folded
from suggest.documentation.finding import Finding
from suggest.documentation.registry import documentation_checks
from suggest.guidelines.bmi import WEIGHT_DIAGNOSES
from suggest.guidelines.folding import says_any

__all__ = ["LAB_RULES", "LabRule", "check_indicators"]

_VALUE = r"\b[\s:=]*(?:(?:of|was|is|at|level|count)\s+)*"


@dataclass(frozen=True, slots=True)
class LabRule:
    name: str
    pattern: re.Pattern[str]  # group 1: the value
    low: float | None  # below it: the "low" condition
    high: float | None  # above it: the "high" condition
    low_condition: str
    high_condition: str
    low_words: re.Pattern[str]  # how a provider names the low condition
    high_words: re.Pattern[str]
    low_codes: tuple[str, ...]  # code prefixes of the low condition
    high_codes: tuple[str, ...]


def _re(expression: str) -> re.Pattern[str]:
    return re.compile(expression, re.IGNORECASE)


LAB_RULES: tuple[LabRule, ...] = (
    LabRule(
        "sodium",
        _re(r"\b(?:na|sodium)" + _VALUE + r"(\d{3})\b"),
        125,
        155,
        "hyponatremia",
        "hypernatremia",
        _re(r"hyponatr[ae]mia|low sodium|\bsiadh\b"),
        _re(r"hypernatr[ae]mia|high sodium"),
        ("E87.1", "E22.2"),
        ("E87.0",),
    ),
    LabRule(
        "potassium",
        _re(r"\b(?:k|potassium)" + _VALUE + r"(\d\.\d)\b"),
        3.0,
        6.0,
        "hypokalemia",
        "hyperkalemia",
        _re(r"hypokal[ae]mia|low potassium"),
        _re(r"hyperkal[ae]mia|high potassium"),
        ("E87.6",),
        ("E87.5",),
    ),
    LabRule(
        "hemoglobin",
        _re(r"\b(?:hgb|hb|hemoglobin|haemoglobin)" + _VALUE + r"(\d{1,2}(?:\.\d)?)\b(?!\s*%)"),
        9.0,
        None,
        "anemia",
        "",
        _re(r"an(?:a)?emi[ac]|blood loss|pancytopenia"),
        _re(r"(?!)"),
        ("D5", "D60", "D61", "D62", "D63", "D64", "O99.0"),
        (),
    ),
    LabRule(
        "platelets",
        _re(r"\b(?:plt|platelets?|platelet count)" + _VALUE + r"(\d{1,3})(?:,000|k)?\b"),
        100,
        None,
        "thrombocytopenia",
        "",
        _re(r"thrombocytopeni\w*|pancytopenia|\bitp\b|\bhit\b|low platelets"),
        _re(r"(?!)"),
        ("D69.4", "D69.5", "D69.6", "D61"),
        (),
    ),
)

_BMI_RE = _re(r"\b(?:bmi|body mass index)\b[^0-9\n]{0,15}?(\d{1,2}(?:\.\d+)?)\b")
_WEIGHT_WORDS = _re(r"obes\w*|overweight|underweight|malnutrition|malnourish\w*|cachexi\w*|cachectic|low body weight")

# Every pattern runs on the folded note (context.on_folded). A rule's value pattern holds one of its words
# (lower case; none listed: too common a word to pre-check, "na", "k"), so a note without any is not scanned.
_FOLDED_LABS = tuple(
    (rule, on_folded(rule.pattern), on_folded(rule.low_words), on_folded(rule.high_words)) for rule in LAB_RULES
)
_LAB_WORDS: dict[str, tuple[str, ...]] = {
    "hemoglobin": ("hb", "hgb", "emoglobin"),
    "platelets": ("plt", "platelet"),
}
_FOLDED_BMI_RE = on_folded(_BMI_RE)
_BMI_WORDS = ("bmi", "body mass index")
_FOLDED_WEIGHT_WORDS = on_folded(_WEIGHT_WORDS)


def _coded(facts: NoteFacts, prefixes: tuple[str, ...]) -> bool:
    return any(suggestion.code.startswith(prefixes) for suggestion in facts.proposed())


def _bmi_findings(facts: NoteFacts) -> list[Finding]:
    match = _FOLDED_BMI_RE.search(facts.folded) if says_any(facts.folded, _BMI_WORDS) else None
    if match is None:
        return []
    value = float(match.group(1))
    if 18.5 <= value < 30 or _FOLDED_WEIGHT_WORDS.search(facts.folded) or _coded(facts, WEIGHT_DIAGNOSES):
        return []
    indicator = facts.evidence(match.start(), match.end())
    return [
        Finding(
            kind="clinical_indicator.bmi_without_diagnosis",
            severity="info",
            message=f"The note gives a BMI of {value:g} and no weight diagnosis: the BMI is reported only with "
            "one the provider documents.",
            basis=f"{bases.BMI}; {bases.COMPLIANT_QUERY}",
            evidence=(indicator,),
            indicators=(indicator,),
            needs_query=True,
        )
    ]


def _lab_findings(facts: NoteFacts) -> list[Finding]:
    findings = []
    for rule, pattern, low_words, high_words in _FOLDED_LABS:
        if rule.name in _LAB_WORDS and not says_any(facts.folded, _LAB_WORDS[rule.name]):
            continue
        match = pattern.search(facts.folded)
        if match is None:
            continue
        value = float(match.group(1))
        if rule.low is not None and value < rule.low:
            condition, words, codes = rule.low_condition, low_words, rule.low_codes
        elif rule.high is not None and value > rule.high:
            condition, words, codes = rule.high_condition, high_words, rule.high_codes
        else:
            continue
        if words.search(facts.folded) or _coded(facts, codes):
            continue
        indicator = facts.evidence(match.start(), match.end())
        findings.append(
            Finding(
                kind="clinical_indicator.lab_without_diagnosis",
                severity="info",
                message=f"The note gives a {rule.name} of {value:g} and no diagnosis of it (such as {condition}): "
                "its clinical significance is for the provider to document.",
                basis=bases.ABNORMAL_FINDINGS,
                evidence=(indicator,),
                indicators=(indicator,),
                needs_query=True,
            )
        )
    return findings


@documentation_checks.register("chartcoder.documentation.indicators.v1")
def check_indicators(facts: NoteFacts) -> list[Finding]:
    """A BMI without a weight diagnosis (I.B.14, I.C.21.c.3); an abnormal lab without a diagnosis (III.B, I.A.19)."""
    return [*_bmi_findings(facts), *_lab_findings(facts)]
