"""The same condition with conflicting attributes in different places of one note.

- ``inconsistency.diabetes_type``: type 1 in one place, type 2 in another (I.C.4.a: the type decides the
  category, E10 or E11; only the provider can say which);
- ``inconsistency.ckd_stage``: two different stages of chronic kidney disease (I.C.14.a.1: N18 by stage);
- ``inconsistency.heart_failure_type``: systolic (HFrEF) in one place, diastolic (HFpEF) in another, and
  nowhere "combined" (I50.2- / I50.3- / I50.4-);
- ``inconsistency.acuity``: a condition called acute in one place and chronic in another, and nowhere "acute on
  chronic" (I.B.8 codes both when both are meant; the provider says whether they are);
- ``inconsistency.laterality``: the diagnostic statement (assessment, diagnoses, plan) names one side
  of a body part and the rest of the note only the other (I.B.13: conflicting documentation of the affected
  side is clarified by querying the attending provider).

Every conflict rests on I.B.14 (conflicting documentation: query the attending provider). Sentences about a
relative or in the family history are not about the patient and are skipped.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from suggest.documentation import bases
from suggest.documentation.context import FAMILY_WORDS, NoteFacts, on_folded
from suggest.documentation.finding import Finding
from suggest.documentation.registry import documentation_checks
from suggest.guidelines.folding import says_any
from suggest.types import Evidence

__all__ = ["AttributeMention", "attribute_mentions", "check_attributes"]

_SKIPPED_SECTIONS = ("family_history",)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "one": "1", "two": "2"}


@dataclass(frozen=True, slots=True)
class AttributeMention:
    kind: str  # the finding kind it can take part in
    subject: str  # the condition or body part ("diabetes", "knee")
    value: str  # "1" / "2", "3a", "systolic", "acute", "left"
    start: int
    end: int
    section: str


def _digit(value: str) -> str:
    return _ROMAN.get(value.lower(), value.lower())


_DIABETES_RE = re.compile(
    r"\btype\s*(1|2|ii?|one|two)\s+(?:diabetes|dm|diabetic)|\b(?:dm|diabetes(?: mellitus)?),?\s+type\s*(1|2|ii?|one|"
    r"two)\b|\bdm\s?(1|2|ii?)\b|\bt([12])dm\b|\b(n?iddm)\b",
    re.IGNORECASE,
)
_CKD_RE = re.compile(
    r"\b(?:ckd|chronic kidney disease|chronic renal (?:disease|insufficiency|failure))[ ,]*(?:stage|stg)?\s*"
    r"(iv|v|i{1,3}|[1-5])([ab])?\b(?![/.]\d)"
    r"|\bstage\s*(iv|v|i{1,3}|[1-5])([ab])?\s+(?:ckd|chronic kidney disease)\b",
    re.IGNORECASE,
)
_HF_TYPE_RE = re.compile(
    r"\b(combined systolic and diastolic|systolic and diastolic|hfmref|combined)\s+(?:congestive\s+)?(?:heart failure|"
    r"chf|hf)\b|\b(systolic|diastolic)\s+(?:congestive\s+)?(?:heart failure|chf|hf)\b|\b(hfref|hfpef)\b|heart failure "
    r"with (reduced|preserved) (?:ejection fraction|ef)\b",
    re.IGNORECASE,
)
_ACUITY_CONDITIONS = {
    "heart failure": "heart failure",
    "chf": "heart failure",
    "respiratory failure": "respiratory failure",
    "pancreatitis": "pancreatitis",
    "cholecystitis": "cholecystitis",
    "sinusitis": "sinusitis",
    "kidney failure": "kidney failure",
    "renal failure": "kidney failure",
}
_ACUITY_RE = re.compile(
    r"\b(acute on chronic|acute exacerbation of chronic|acute|chronic)\s+(?:(?:systolic|diastolic|combined|hypoxic|"
    r"hypercapnic|hypoxemic|congestive|calculous|alcoholic|recurrent|and|or)\s+)*("
    + "|".join(_ACUITY_CONDITIONS)
    + r")\b",
    re.IGNORECASE,
)
_BODY_PARTS = {
    "knee": "knee",
    "hip": "hip",
    "shoulder": "shoulder",
    "ankle": "ankle",
    "wrist": "wrist",
    "elbow": "elbow",
    "foot": "foot",
    "feet": "foot",
    "hand": "hand",
    "eye": "eye",
    "ear": "ear",
    "breast": "breast",
    "lung": "lung",
    "kidney": "kidney",
    "leg": "leg",
    "arm": "arm",
    "thigh": "thigh",
    "heel": "heel",
    "forearm": "forearm",
    "calf": "calf",
    "lower extremity": "leg",
    "upper extremity": "arm",
}
_PARTS = "|".join(sorted(_BODY_PARTS, key=len, reverse=True))
# Anchored on the body part (rarer than a side word), then a side just before it or just after it.
_LATERALITY_RE = re.compile(rf"\b({_PARTS})s?\b", re.IGNORECASE)
_SIDE_BEFORE_RE = re.compile(
    r"(?:^|(?<=\s))((?i:left|right|lt\.?|rt\.?|bilateral|bilat\.?|both)|[LR])\s+"
    r"(?:(?!(?i:and|or|left|right)\b)[A-Za-z-]+\s+){0,2}$"
)
_SIDE_AFTER_RE = re.compile(r"s?\s*[,(]\s*(left|right)\b", re.IGNORECASE)
_DIAGNOSTIC_SECTIONS = ("assessment_and_plan", "diagnoses", "preoperative_diagnosis", "plan")
_HISTORY_SECTIONS = (
    "past_medical_history",
    "past_surgical_history",
    "social_history",
    "medications",
    "allergies",
    "instructions",
)


def _side(word: str) -> str:
    word = word.lower().rstrip(".")
    if word in ("l", "lt", "left"):
        return "left"
    if word in ("r", "rt", "right"):
        return "right"
    return "bilateral"


def _diabetes(match: re.Match[str], _text: str) -> tuple[str, str] | None:
    value = next(group for group in match.groups() if group)
    if value.lower() in ("iddm", "niddm"):
        return "diabetes", "1" if value.lower() == "iddm" else "2"
    return "diabetes", _digit(value)


def _ckd(match: re.Match[str], _text: str) -> tuple[str, str] | None:
    stage = match.group(1) or match.group(3)
    letter = match.group(2) or match.group(4) or ""
    return "ckd", _digit(stage) + letter.lower()


def _heart_failure(match: re.Match[str], _text: str) -> tuple[str, str] | None:
    if match.group(1):
        return "heart failure", "combined"
    word = (match.group(2) or match.group(3) or match.group(4)).lower()
    return "heart failure", "systolic" if word in ("systolic", "hfref", "reduced") else "diastolic"


def _acuity(match: re.Match[str], _text: str) -> tuple[str, str] | None:
    acuity = match.group(1).lower()
    value = acuity if acuity in ("acute", "chronic") else "acute on chronic"
    return _ACUITY_CONDITIONS[match.group(2).lower()], value


def _laterality(match: re.Match[str], text: str) -> tuple[str, str] | None:
    part = _BODY_PARTS[match.group(1).lower()]
    before = _SIDE_BEFORE_RE.search(text, max(0, match.start() - 40), match.start())
    if before is not None:
        return part, _side(before.group(1))
    after = _SIDE_AFTER_RE.match(text, match.end(1))
    return (part, _side(after.group(1))) if after is not None else None


# A reader gets a match in the folded text (groups in lower case) and the note's own text.
_Reader = Callable[[re.Match[str], str], tuple[str, str] | None]
# Each pattern runs on the folded note (context.on_folded), which the guideline rules have folded already.
_READERS: tuple[tuple[str, re.Pattern[str], _Reader], ...] = (
    ("inconsistency.diabetes_type", on_folded(_DIABETES_RE), _diabetes),
    ("inconsistency.ckd_stage", on_folded(_CKD_RE), _ckd),
    ("inconsistency.heart_failure_type", on_folded(_HF_TYPE_RE), _heart_failure),
    ("inconsistency.acuity", on_folded(_ACUITY_RE), _acuity),
    ("inconsistency.laterality", on_folded(_LATERALITY_RE), _laterality),
)

# Every match of a reader's pattern holds one of its words (lower case): a note without any is not scanned
# (suggest/guidelines/folding.py); the body parts are too common a set of words to be worth it.
_READER_WORDS = {
    "inconsistency.diabetes_type": ("type", "dm"),
    "inconsistency.ckd_stage": ("ckd", "chronic kidney disease", "chronic renal"),
    "inconsistency.heart_failure_type": ("heart failure", "hf"),
    "inconsistency.acuity": ("acute", "chronic"),
}


def attribute_mentions(facts: NoteFacts) -> Iterator[AttributeMention]:
    """Each condition attribute said of the patient (not of a relative). Each pattern runs once over the whole
    text (cheaper than per sentence); a match is then placed in its sentence, whose words and section decide."""
    sentences = list(facts.view.sentences())
    starts = [sentence.start for sentence in sentences]
    lowered = facts.folded
    for kind, pattern, read in _READERS:
        if kind in _READER_WORDS and not says_any(lowered, _READER_WORDS[kind]):
            continue
        for match in pattern.finditer(lowered):
            position = bisect.bisect_right(starts, match.start()) - 1
            if position < 0 or match.end() > sentences[position].end:
                continue  # not inside one sentence
            sentence = sentences[position]
            if sentence.section in _SKIPPED_SECTIONS or FAMILY_WORDS.search(sentence.text):
                continue
            found = read(match, facts.text)
            if found is not None:
                section = facts.view.section_at(match.start())
                yield AttributeMention(kind, found[0], found[1], match.start(), match.end(), section)


def _ckd_conflict(first: str, second: str) -> bool:
    """3 and 3a agree (one is less specific); 3a and 3b, or 3 and 4, do not."""
    if first[0] != second[0]:
        return True
    return len(first) == len(second) == 2 and first != second


def _conflicting_pair(kind: str, found: list[AttributeMention]) -> tuple[AttributeMention, AttributeMention] | None:
    values = {item.value for item in found}
    if kind == "inconsistency.laterality":
        return _laterality_pair(found)
    if kind == "inconsistency.heart_failure_type":
        values.discard("combined")
        if any(item.value == "combined" for item in found):
            return None
    if kind == "inconsistency.acuity" and "acute on chronic" in values:
        return None
    for first in found:
        for second in found:
            if first.value == second.value:
                continue
            if kind == "inconsistency.ckd_stage" and not _ckd_conflict(first.value, second.value):
                continue
            if first.value in values and second.value in values:
                return first, second
    return None


def _laterality_pair(found: list[AttributeMention]) -> tuple[AttributeMention, AttributeMention] | None:
    """One side in the diagnostic statement, only the other side anywhere else (history sections apart)."""
    stated = [item for item in found if item.section in _DIAGNOSTIC_SECTIONS]
    elsewhere = [
        item for item in found if item.section not in _DIAGNOSTIC_SECTIONS and item.section not in _HISTORY_SECTIONS
    ]
    stated_sides = {item.value for item in stated}
    other_sides = {item.value for item in elsewhere}
    if len(stated_sides) != 1 or not other_sides or "bilateral" in stated_sides | other_sides:
        return None
    if stated_sides & other_sides:
        return None
    return elsewhere[0], stated[0]


_MESSAGES = {
    "inconsistency.diabetes_type": "Diabetes is documented as type {0} here and type {1} there.",
    "inconsistency.ckd_stage": "Chronic kidney disease is documented as stage {0} here and stage {1} there.",
    "inconsistency.heart_failure_type": "Heart failure is documented as {0} here and {1} there.",
    "inconsistency.acuity": "{subject} is documented as {0} here and {1} there, and nowhere as acute on chronic.",
    "inconsistency.laterality": "The {subject} is the {0} one here and the {1} one in the diagnostic statement.",
}
_BASES = {
    "inconsistency.diabetes_type": f"ICD-10-CM Official Guidelines I.C.4.a; {bases.CONFLICTING}",
    "inconsistency.ckd_stage": f"ICD-10-CM Official Guidelines I.C.14.a.1; {bases.CONFLICTING}",
    "inconsistency.heart_failure_type": f"ICD-10-CM Official Guidelines I.A.19; {bases.CONFLICTING}",
    "inconsistency.acuity": f"ICD-10-CM Official Guidelines I.B.8; {bases.CONFLICTING}",
    "inconsistency.laterality": f"ICD-10-CM Official Guidelines I.B.13; {bases.CONFLICTING}",
}


def _sentence(message: str) -> str:
    return message[0].upper() + message[1:]


@documentation_checks.register("chartcoder.documentation.attributes.v1")
def check_attributes(facts: NoteFacts) -> list[Finding]:
    """Conflicting diabetes type, CKD stage, heart failure type, acuity or laterality (I.B.14, I.B.13, I.B.8)."""
    grouped: dict[tuple[str, str], list[AttributeMention]] = {}
    for item in attribute_mentions(facts):
        grouped.setdefault((item.kind, item.subject), []).append(item)
    findings = []
    for (kind, subject), found in grouped.items():
        pair = _conflicting_pair(kind, found)
        if pair is None:
            continue
        evidence: tuple[Evidence, ...] = tuple(facts.evidence(item.start, item.end) for item in pair)
        findings.append(
            Finding(
                kind=kind,
                severity="info" if kind == "inconsistency.acuity" else "warning",
                message=_sentence(_MESSAGES[kind].format(pair[0].value, pair[1].value, subject=subject)),
                basis=_BASES[kind],
                evidence=evidence,
                indicators=evidence,
                needs_query=True,
            )
        )
    return findings
