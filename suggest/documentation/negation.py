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
# An operative note's indications and findings (filed under its procedure): a denial there counts, an
# affirmation may be a risk discussed ("risks incl. bleeding, infection, abscess").
_DENIAL_ONLY_SECTIONS = ("procedures",)
_STATED = ("present", "possible")
_WORD_RE = re.compile(r"[a-z0-9]+")
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
    r"\b(?:no|not|denies|denied|deny|without|negative for|neg for|ruled out|free of|absence of|never|unaware of)\s+"
    r"(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)
_CLAUSE_END_RE = re.compile(r"[.;:,\n()]|\s-\s")
# A denial of a form or a time of the condition ("denies acne present on the chest", "denies having kidney stones
# before") is not a denial of the condition: the rest of its clause stays short and says no time.
_QUALIFIED_RE = re.compile(r"\b(?:before|previous\w*|prior|in the past|ever|again|history)\b", re.IGNORECASE)
_MAX_WORDS_AFTER = 3


def _condition_codes(mention: Mention) -> set[str]:
    return {code for code in mention.codes if not code.startswith(("R", "Z"))}


def _conflict(stated: Mention, denied: Mention, text: str) -> frozenset[str]:
    """The codes both mentions name; or, for a denied condition named in more general words than the stated one
    ("no atrial fibrillation" against "paroxysmal atrial fibrillation"), the stated codes of its category."""
    if stated.section == denied.section:
        return frozenset()
    stated_codes, denied_codes = _condition_codes(stated), _condition_codes(denied)
    shared = stated_codes & denied_codes
    if shared:
        return frozenset(shared)
    stated_words = set(_WORD_RE.findall(text[stated.start : stated.end].lower()))
    denied_words = set(_WORD_RE.findall(text[denied.start : denied.end].lower()))
    categories = {code[:3] for code in denied_codes}
    if denied_words and denied_words <= stated_words:
        return frozenset(code for code in stated_codes if code[:3] in categories)
    return frozenset()


def _place(section: str) -> str:
    """The diagnostic statement, the problem list, or elsewhere: a conflict is between two of these."""
    if section == "problem_list":
        return "problem_list"
    return "statement" if section in _DIAGNOSTIC_SECTIONS else "elsewhere"


def _said_of_the_condition(text: str, mention: Mention) -> bool:
    return _MODIFIED_NOUN_RE.match(text, mention.end) is None


def _denied(text: str, mention: Mention) -> bool:
    """A negation word at most three words before the condition, in its own clause ("no pneumonia", "negative
    for deep vein thrombosis"; "HTN: no changes" is not one). Read from the text as well as the engine's
    assertion, which may miss a negation after a heading-like label ("Chest x-ray: no pneumonia")."""
    if mention.assertion not in ("negated", "present") or len(mention.evidence) != 1:
        return False  # words between the pieces of a split mention qualify it ("denies pain when moving his neck")
    before = text[max(0, mention.start - 60) : mention.start]
    after = _CLAUSE_END_RE.split(text[mention.end : mention.end + 80])[0]
    if len(after.split()) > _MAX_WORDS_AFTER or _QUALIFIED_RE.search(after):
        return False
    return _NEGATION_RE.search(_CLAUSE_END_RE.split(before)[-1]) is not None


@documentation_checks.register("chartcoder.documentation.negation.v1")
def check_negation(facts: NoteFacts) -> list[Finding]:
    """Affirmed in the diagnostic statement, negated elsewhere, or the reverse (I.B.14; II.H, III.C, IV.H)."""
    strong = [
        mention
        for mention in facts.mentions
        if mention.match_score >= _MIN_MATCH
        and mention.match_type != "fuzzy"
        and mention.section in (*_CLINICAL_SECTIONS, *_DENIAL_ONLY_SECTIONS)
        and _condition_codes(mention)
        and _said_of_the_condition(facts.text, mention)
    ]
    denied = [mention for mention in strong if _denied(facts.text, mention)]
    affirmed = [
        mention
        for mention in strong
        if mention.assertion in _STATED and mention not in denied and mention.section in _CLINICAL_SECTIONS
    ]
    findings = []
    seen: set[frozenset[str]] = set()
    for stated in affirmed:
        for other in denied:
            if _place(stated.section) == _place(other.section):
                continue  # a diagnostic statement against the problem list or the rest of the note
            shared = _conflict(stated, other, facts.text)
            if not shared or shared in seen:
                continue
            seen.add(shared)
            evidence = (*stated.evidence[:1], *other.evidence[:1])
            findings.append(
                Finding(
                    kind="inconsistency.negation",
                    severity="warning",
                    message=f"'{stated.term}' is stated in {stated.section.replace('_', ' ')} and denied in "
                    f"{other.section.replace('_', ' ')}.",
                    basis=f"ICD-10-CM Official Guidelines Section II.H, III.C and IV.H; {bases.CONFLICTING}",
                    evidence=evidence,
                    indicators=evidence,
                    codes=tuple(sorted(shared)),
                    needs_query=True,
                )
            )
    return findings
