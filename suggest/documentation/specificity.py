"""Specificity opportunities: an unspecified code where the note holds what a more specific one needs, or where
the classification asks for a detail the note lacks.

The engine marks such codes already (the ``unspecified`` and ``needs_specificity`` flags of
:mod:`suggest.rules`); a finding here points at that flag and says what the note holds:

- clinical indicators of a more specific code (:data:`INDICATOR_RULES`): heart failure of no type with an
  ejection fraction, CKD of no stage with an eGFR, obesity of no class with a BMI, anemia of no type with iron
  studies or indices, sepsis of no organism with a culture result, a pressure ulcer of no stage with a stage.
  An indicator is not a diagnosis (I.A.19, III.B): the provider documents the type, so these need a query,
  but a pressure ulcer stage or a BMI may come from other clinicians (I.B.14) and the coder assigns it;
- a detail the classification needs and the note lacks: laterality (I.B.13), the episode of care of a
  fracture (I.C.19.a), the trimester of a pregnancy code (I.C.15.a.3, where weeks of gestation let the coder
  assign it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from suggest.documentation import bases
from suggest.documentation.context import NoteFacts, on_folded
from suggest.documentation.finding import Finding
from suggest.documentation.registry import documentation_checks
from suggest.types import Suggestion

__all__ = ["INDICATOR_RULES", "IndicatorRule", "check_specificity"]


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    kind: str
    codes: re.Pattern[str]  # the unspecified codes it concerns
    indicator: re.Pattern[str]  # what in the note points at a more specific code
    detail: str  # what the provider would document
    basis: str
    needs_query: bool = True


def _re(expression: str) -> re.Pattern[str]:
    return re.compile(expression, re.IGNORECASE)


INDICATOR_RULES: tuple[IndicatorRule, ...] = (
    IndicatorRule(
        "specificity.heart_failure_type",
        _re(r"^I50\.(?:9|20|30|40)$"),
        _re(r"\b(?:lvef|ef|ejection fraction)\b[^0-9\n]{0,20}\d{1,2}(?:\s*-\s*\d{1,2})?\s*%"),
        "the type and acuity of heart failure (systolic / HFrEF, diastolic / HFpEF, combined; acute, chronic)",
        f"ICD-10-CM Official Guidelines I.A.19 and I.B.14; {bases.COMPLIANT_QUERY}",
    ),
    IndicatorRule(
        "specificity.ckd_stage",
        _re(r"^N18\.9$"),
        _re(r"\be?gfr\b[^0-9\n]{0,20}\d{1,3}\b"),
        "the stage of chronic kidney disease",
        f"ICD-10-CM Official Guidelines I.C.14.a.1 and I.A.19; {bases.COMPLIANT_QUERY}",
    ),
    IndicatorRule(
        "specificity.obesity_class",
        _re(r"^E66\.(?:9|8|89)$"),
        _re(r"\b(?:bmi|body mass index)\b[^0-9\n]{0,15}\d{2}(?:\.\d+)?"),
        "the class or severity of obesity (class 1, 2, 3; severe)",
        f"ICD-10-CM Official Guidelines I.B.14 and I.C.21.c.3; {bases.COMPLIANT_QUERY}",
    ),
    IndicatorRule(
        "specificity.anemia_type",
        _re(r"^D64\.9$"),
        _re(
            r"\b(?:mcv|ferritin|serum iron|iron studies|tibc|transferrin sat\w*|b12|folate|retic\w*|hemolysis|"
            r"blood loss|haptoglobin)\b"
        ),
        "the type or cause of the anemia (iron deficiency, blood loss, chronic disease, B12 or folate deficiency)",
        f"ICD-10-CM Official Guidelines I.A.19 and III.B; {bases.COMPLIANT_QUERY}",
    ),
    IndicatorRule(
        "specificity.sepsis_organism",
        _re(r"^A41\.9$"),
        _re(
            r"\b(?:blood|urine|sputum|wound|csf)?\s*cultures?\b[^.\n]{0,60}\b(?:grew|growing|grows|positive|\+)"
            r"|\b(?:e\.? ?coli|staph\w*|mrsa|mssa|klebsiella|pseudomonas|strep\w*|enterococc\w*|proteus)\b"
            r"[^.\n]{0,20}\b(?:bacteremia|in (?:blood|urine)|cultures?)"
        ),
        "the organism causing the sepsis",
        f"ICD-10-CM Official Guidelines I.C.1.d.1 and I.A.19; {bases.COMPLIANT_QUERY}",
    ),
    IndicatorRule(
        "specificity.pressure_ulcer_stage",
        _re(r"^L89\.(?:\d{2}9|9[05])$"),
        _re(r"\bstage\s*(?:[1-4]|i{1,3}|iv)\b|\bunstageable\b|\bdeep tissue (?:pressure )?injury\b"),
        "the stage of the pressure ulcer (documented by any clinician, e.g. wound care nursing)",
        "ICD-10-CM Official Guidelines I.B.14 and I.C.12.a (the stage may come from other clinicians)",
        needs_query=False,
    ),
)

_UNSPECIFIED_SIDE_RE = _re(
    r"\bunspecified (?:side|knee|hip|shoulder|ankle|wrist|elbow|foot|hand|eye|ear|breast|"
    r"lung|kidney|leg|lower leg|upper arm|arm|thigh|forearm|lower limb|upper limb|limb|"
    r"ovary|fallopian tube|femur|tibia|fibula|humerus|radius|ulna|finger|toe)s?\b"
)
_SIDE_RE = _re(r"\b(?:left|right|bilateral|lt|rt)\b")
_EPISODE_RE = _re(
    r"\b(?:initial|subsequent|follow[- ]?up|routine healing|delayed healing|nonunion|non-union|malunion|sequela\w*|"
    r"late effect|emergency|ed|er|active treatment|cast check|orif|reduction|splint(?:ed|ing)?|today'?s injury)\b"
)
_WEEKS_RE = _re(
    r"\b\d{1,2}(?:\s*\d/7)?\s*(?:weeks?|wks?)\b|\b(?:first|second|third|1st|2nd|3rd) trimester\b|\bega\b|"
    r"\bga\s*\d"
)

# The note-wide patterns run on the folded note (context.on_folded).
_FOLDED_INDICATORS = {rule.kind: on_folded(rule.indicator) for rule in INDICATOR_RULES}
_FOLDED_EPISODE_RE = on_folded(_EPISODE_RE)
_FOLDED_WEEKS_RE = on_folded(_WEEKS_RE)


@lru_cache(maxsize=4096)  # a code's rules are the same in every note: match them once per code
def _indicator_rules_of(code: str) -> tuple[IndicatorRule, ...]:
    return tuple(rule for rule in INDICATOR_RULES if rule.codes.match(code))


def _indicator_findings(facts: NoteFacts, suggestion: Suggestion) -> list[Finding]:
    for rule in _indicator_rules_of(suggestion.code):
        match = _FOLDED_INDICATORS[rule.kind].search(facts.folded)
        if match is None:
            continue
        indicator = facts.evidence(match.start(), match.end())
        return [
            Finding(
                kind=rule.kind,
                severity="info",
                message=f"{suggestion.code} is unspecified ({_flag_of(suggestion)}); the note holds "
                f"'{indicator.text}': {rule.detail} would make it specific.",
                basis=rule.basis,
                evidence=(*suggestion.evidence[:1], indicator),
                indicators=(indicator, *suggestion.evidence[:1]),
                codes=(suggestion.code,),
                needs_query=rule.needs_query,
            )
        ]
    return []


def _flag_of(suggestion: Suggestion) -> str:
    kinds = [flag.kind for flag in suggestion.flags if flag.kind in ("unspecified", "needs_specificity")]
    return f"flag {kinds[0]}" if kinds else "no detail given"


def _missing_detail_findings(facts: NoteFacts, suggestion: Suggestion) -> list[Finding]:
    title = suggestion.description
    if _UNSPECIFIED_SIDE_RE.search(title) and not _near_side(facts, suggestion):
        return [_detail(suggestion, "specificity.laterality", "the side (right, left, bilateral)", "I.B.13", True)]
    if suggestion.code.startswith("S") and "fracture" in title.lower() and not _FOLDED_EPISODE_RE.search(facts.folded):
        return [
            _detail(
                suggestion,
                "specificity.episode",
                "the episode of care (active treatment, routine or delayed healing, sequela)",
                "I.C.19.a",
                True,
            )
        ]
    if suggestion.code.startswith("O") and "unspecified trimester" in title.lower():
        weeks = _FOLDED_WEEKS_RE.search(facts.folded)
        if weeks is None:
            return [
                _detail(suggestion, "specificity.trimester", "the trimester or weeks of gestation", "I.C.15.a.3", True)
            ]
        indicator = facts.evidence(weeks.start(), weeks.end())
        return [
            _detail(
                suggestion,
                "specificity.trimester",
                f"the trimester, which the documented '{indicator.text}' gives",
                "I.C.15.a.3",
                False,
                indicator,
            )
        ]
    return []


def _near_side(facts: NoteFacts, suggestion: Suggestion) -> bool:
    """A side word in the sentence of the code's evidence (the engine's specificity step missed it)."""
    for piece in suggestion.evidence:
        start = max(facts.text.rfind("\n", 0, piece.start), facts.text.rfind(".", 0, piece.start)) + 1
        end = facts.text.find("\n", piece.end)
        if _SIDE_RE.search(facts.text[start : end if end >= 0 else len(facts.text)]):
            return True
    return False


def _detail(
    suggestion: Suggestion, kind: str, detail: str, section: str, needs_query: bool, *indicators: object
) -> Finding:
    evidence = tuple(suggestion.evidence[:1])
    return Finding(
        kind=kind,
        severity="info",
        message=f"{suggestion.code} is unspecified ({_flag_of(suggestion)}): the classification asks for {detail}.",
        basis=f"ICD-10-CM Official Guidelines {section}" + (f"; {bases.COMPLIANT_QUERY}" if needs_query else ""),
        evidence=evidence,
        indicators=(*indicators, *evidence),  # type: ignore[arg-type]
        codes=(suggestion.code,),
        needs_query=needs_query,
    )


@documentation_checks.register("chartcoder.documentation.specificity.v1")
def check_specificity(facts: NoteFacts) -> list[Finding]:
    """Unspecified proposed codes with indicators of a specific one (I.A.19, I.B.14), or missing laterality
    (I.B.13), episode (I.C.19.a) or trimester (I.C.15.a.3)."""
    findings = []
    for suggestion in facts.proposed():
        found = _indicator_findings(facts, suggestion) or _missing_detail_findings(facts, suggestion)
        findings.extend(found)
    return findings
