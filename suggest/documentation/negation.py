"""A condition affirmed in the diagnostic statement and denied elsewhere in the note (or the reverse).

``inconsistency.negation`` (warning): the engine's mentions of one code (chapter R symptoms and Z factors
apart: a symptom may come and go within a visit) stated as present or uncertain in the assessment, diagnoses,
problem list or preoperative diagnosis, and negated in another section; or negated there and affirmed
elsewhere. An uncertain diagnosis in the final statement is coded as if it existed for inpatients (Section
II.H, III.C) and not for outpatients (IV.H): a denial elsewhere in the same note needs the provider either way
(I.B.14: conflicting documentation is clarified by querying the attending provider). A problem list that denies
what the assessment states is this conflict too.
"""

from __future__ import annotations

import re

from suggest.documentation import bases
from suggest.documentation.context import NoteFacts
from suggest.documentation.finding import Finding
from suggest.documentation.registry import documentation_checks
from suggest.types import Mention

__all__ = ["check_negation"]

_DIAGNOSTIC_SECTIONS = ("assessment_and_plan", "diagnoses", "problem_list", "preoperative_diagnosis")
# Where a condition is said of the patient now (not a medication, allergy or risk list, nor the history).
_CLINICAL_SECTIONS = (
    *_DIAGNOSTIC_SECTIONS,
    "chief_complaint",
    "history_of_present_illness",
    "review_of_systems",
    "physical_exam",
    "imaging",
    "labs_and_studies",
    "hospital_course",
)
_STATED = ("present", "possible")
_MIN_MATCH = 0.9  # a partial or fuzzy match is too weak a reading to hold a conflict on
# A condition word that modifies the noun after it ("no HCV treatment", "stress echo", "burn center") says
# nothing about whether the patient has the condition.
_MODIFIED_NOUN_RE = re.compile(
    r"\s*(?:treatment|therapy|test(?:ing|s)?|screen(?:ing)?|work-?up|changes?|center|criteria|component|protocol|"
    r"precautions|education|clinic|team|risk|status|exposure|contacts?|vaccin\w*|medications?|meds|history|echo\w*|"
    r"ecg|ekg|ct|mri|x-?ray|study|studies|levels?|panel|rna|dna|antibody|ab|viral load|load|pcr|titer|cultures?|"
    r"serology|specialist|service|consult\w*|follow-?up)\b",
    re.IGNORECASE,
)
# The negation must govern the condition itself, in its own clause ("no abscess", "denies chest pain").
_NEGATION_RE = re.compile(
    r"\b(?:no|not|denies|denied|deny|without|negative for|neg for|ruled out|free of|absence of|never)\b", re.IGNORECASE
)
_CLAUSE_END_RE = re.compile(r"[.;:,\n()]|\s-\s")


def _condition_codes(mention: Mention) -> set[str]:
    return {code for code in mention.codes if not code.startswith(("R", "Z"))}


def _conflict(stated: Mention, denied: Mention) -> bool:
    return stated.section != denied.section and bool(_condition_codes(stated) & _condition_codes(denied))


def _said_of_the_condition(text: str, mention: Mention) -> bool:
    return _MODIFIED_NOUN_RE.match(text, mention.end) is None


def _clearly_denied(text: str, mention: Mention) -> bool:
    """A negation word before the condition in its own clause ("HTN: no changes" is not one)."""
    before = text[max(0, mention.start - 60) : mention.start]
    clause = _CLAUSE_END_RE.split(before)[-1]
    return _NEGATION_RE.search(clause) is not None


@documentation_checks.register("chartcoder.documentation.negation.v1")
def check_negation(facts: NoteFacts) -> list[Finding]:
    """Affirmed in the diagnostic statement, negated elsewhere, or the reverse (I.B.14; II.H, III.C, IV.H)."""
    strong = [
        mention
        for mention in facts.mentions
        if mention.match_score >= _MIN_MATCH
        and mention.match_type != "fuzzy"
        and mention.section in _CLINICAL_SECTIONS
        and _condition_codes(mention)
        and _said_of_the_condition(facts.text, mention)
        and (mention.assertion != "negated" or _clearly_denied(facts.text, mention))
    ]
    findings = []
    seen: set[frozenset[str]] = set()
    for stated in strong:
        if stated.assertion not in _STATED and stated.assertion != "negated":
            continue
        for other in strong:
            if stated.assertion == "negated":
                affirmed, denied = other, stated
                if stated.section not in _DIAGNOSTIC_SECTIONS or other.assertion != "present":
                    continue
            else:
                affirmed, denied = stated, other
                if stated.section not in _DIAGNOSTIC_SECTIONS or other.assertion != "negated":
                    continue
            shared = frozenset(_condition_codes(affirmed) & _condition_codes(denied))
            if not _conflict(affirmed, denied) or shared in seen:
                continue
            seen.add(shared)
            evidence = (*affirmed.evidence[:1], *denied.evidence[:1])
            findings.append(
                Finding(
                    kind="inconsistency.negation",
                    severity="warning",
                    message=f"'{affirmed.term}' is stated in {affirmed.section.replace('_', ' ')} and denied in "
                    f"{denied.section.replace('_', ' ')}.",
                    basis=f"ICD-10-CM Official Guidelines Section II.H, III.C and IV.H; {bases.CONFLICTING}",
                    evidence=evidence,
                    indicators=evidence,
                    codes=tuple(sorted(shared)),
                    needs_query=True,
                )
            )
    return findings
