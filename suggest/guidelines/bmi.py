"""Body mass index, Z68.- (I.B.14): from the BMI value in the note, only with an associated weight diagnosis.

The Z68 code is the one whose Tabular title's range holds the value ("Body mass index [BMI] 34.0-34.9, adult");
adult codes only (the pediatric Z68.5- codes need a percentile). No BMI code without a reportable weight
diagnosis the provider documents (obesity, overweight, underweight, malnutrition, cachexia).
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.note import AddedCode, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet

__all__ = ["WEIGHT_DIAGNOSES", "bmi_code"]

GUIDELINE = "I.B.14"
# Diagnoses a BMI is reported with (I.B.14: "such as obesity or underweight"): obesity / overweight E66,
# malnutrition E40-E46, underweight R63.6, abnormal weight loss / gain R63.4 / R63.5, cachexia R64.
WEIGHT_DIAGNOSES = ("E66", "E40", "E41", "E42", "E43", "E44", "E45", "E46", "R63.4", "R63.5", "R63.6", "R64")
_BMI_RE = re.compile(r"\b(?:BMI|body mass index)\b[^0-9\n]{0,15}?(\d{1,2}(?:\.\d+)?)\b", re.IGNORECASE)
_AGE_RE = re.compile(r"\b(\d{1,3})[- ]?(?:y/?o|yo|years?[- ]old|-year-old|yr)\b|\b(\d{1,2})\s?[MF]\b", re.IGNORECASE)
_RANGE_RE = re.compile(r"BMI\]?\s*(\d+(?:\.\d)?)(?:-(\d+(?:\.\d)?)| or (less|greater)), adult", re.IGNORECASE)


def bmi_code(note: NoteView, codeset: CodeSet) -> AddedCode | None:
    """The adult Z68 code for the first BMI value in the note, or None (no value, or a patient under 20)."""
    match = _BMI_RE.search(note.text)
    if match is None:
        return None
    age = _AGE_RE.search(note.text)
    if age is not None and int(age.group(1) or age.group(2)) < 20:
        return None  # pediatric BMI is coded by percentile (Z68.5-), which the value alone does not give
    value = float(match.group(1))
    for code in codeset.with_prefix("Z68"):
        found = _RANGE_RE.search(code.description)
        if not code.billable or found is None:
            continue
        low = float(found.group(1))
        high = float(found.group(2)) if found.group(2) else (low if found.group(3) == "less" else 1000.0)
        if found.group(3) == "less":
            low, high = 0.0, low
        if low <= value <= high + 0.09:
            evidence = (note.evidence(match.start(), match.end()),)
            return AddedCode(code.code, evidence, f"BMI {value:g} with a documented weight diagnosis", GUIDELINE)
    return None


@guideline_steps.register("chartcoder.guidelines.bmi.v1")
def code_bmi(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Z68 BMI only with an associated weight diagnosis (I.B.14); a Z68 code without one leaves the draft."""
    weight = [entry for entry in draft.in_category(*WEIGHT_DIAGNOSES) if entry.score >= context.threshold]
    if not weight:
        for entry in draft.in_category("Z68"):
            draft.remove(entry.code, f"BMI is reported only with an associated weight diagnosis ({GUIDELINE})")
        return
    found = bmi_code(note_of(context), context.codeset)
    if found is None:
        return
    for entry in draft.in_category("Z68"):
        if entry.code != found.code:
            draft.remove(entry.code, f"the note's BMI value gives {found.code} ({GUIDELINE})")
    add_codes(draft, [found], context.codeset, threshold=context.threshold)
