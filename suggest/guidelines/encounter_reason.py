"""Encounter-reason Z codes that are first-listed for the visit they name (Section IV.M, I.C.21.c.8, I.C.21.c.13).

Where the visit's stated reason (the note's title and opening lines, the chief complaint / reason for visit) is:

- a preoperative evaluation only: Z01.81- "Encounter for pre-procedural examinations" is sequenced first, the
  reason for the surgery and the findings follow (IV.M); Z01.810 when the evaluation is cardiovascular (a cardiac
  clearance), Z01.811 respiratory (a pulmonary clearance), Z01.818 otherwise;
- surveillance or follow-up of a malignancy whose treatment is completed (a personal history code Z85 in the
  list and no active malignancy): Z08 "Encounter for follow-up examination after completed treatment for
  malignant neoplasm", first-listed, with the Z85 code (I.C.21.c.8, I.C.2.d).

Outpatient notes only (Section IV): an admission is for the condition, not for an examination. The sequencing step
puts these codes first (:data:`suggest.guidelines.sequencing.ENCOUNTER_REASON_PREFIXES`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.note import AddedCode, NoteLine, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps

__all__ = ["follow_up_after_malignancy", "preoperative_evaluation", "reason_lines"]

PREOPERATIVE_GUIDELINE = "IV.M"
FOLLOW_UP_GUIDELINE = "I.C.21.c.8"
# Lines of the note that state why the patient came: before any heading (the title), chief complaint / reason.
_REASON_SECTIONS = ("none", "chief_complaint")
_PREOPERATIVE = re.compile(
    r"\b(?:pre-?op(?:erative)?|pre-?procedur(?:e|al)|pre-?surgical)\s+(?:medical\s+|risk\s+)?"
    r"(?:evaluation|eval|assessment|clearance|consultation|consult|exam(?:ination)?)\b"
    r"|\b(?:surgical|medical|cardiac|cardiology|pulmonary)\s+clearance\b",
    re.IGNORECASE,
)
_CARDIOVASCULAR = re.compile(r"\bcardia?c\b|\bcardiology\b|\bcardiovascular\b", re.IGNORECASE)
_RESPIRATORY = re.compile(r"\bpulmonary\b|\brespiratory\b", re.IGNORECASE)
_FOLLOW_UP = re.compile(r"\bsurveillance\b|\bfollow[- ]?up\b|\bf/u\b|\brecheck\b", re.IGNORECASE)
# The opening lines before any heading count only this far (the title and identification lines).
_OPENING_LINES = 4


def reason_lines(note: NoteView) -> list[NoteLine]:
    """The lines that state why the patient came: the title and opening lines, the chief complaint / reason."""
    return list(_reason_lines(note))


@lru_cache(maxsize=16)  # read by this step and by sequencing for each encounter-reason code: once per note
def _reason_lines(note: NoteView) -> tuple[NoteLine, ...]:
    lines = list(note.lines(*_REASON_SECTIONS))
    opening = [line for line in lines if line.section == "none"][:_OPENING_LINES]
    return (*opening, *(line for line in lines if line.section != "none"))


def preoperative_evaluation(note: NoteView) -> AddedCode | None:
    """Z01.81- when the visit is a preoperative evaluation (IV.M)."""
    for line in reason_lines(note):
        match = _PREOPERATIVE.search(line.text)
        if match is None:
            continue
        said = match.group()
        code = "Z01.810" if _CARDIOVASCULAR.search(said) else "Z01.811" if _RESPIRATORY.search(said) else "Z01.818"
        start = line.start + match.start()
        return AddedCode(
            code,
            (note.evidence(start, line.start + match.end()),),
            "encounter for a preoperative evaluation: first-listed, the reason for surgery follows",
            PREOPERATIVE_GUIDELINE,
            sequence="first",
        )
    return None


def follow_up_after_malignancy(note: NoteView) -> AddedCode | None:
    """Z08 when the visit is for surveillance / follow-up (the caller checks the malignancy is history)."""
    for line in reason_lines(note):
        match = _FOLLOW_UP.search(line.text)
        if match is None:
            continue
        start = line.start + match.start()
        return AddedCode(
            "Z08",
            (note.evidence(start, line.start + match.end()),),
            "follow-up examination after completed treatment of a malignant neoplasm",
            FOLLOW_UP_GUIDELINE,
            sequence="first",
        )
    return None


@guideline_steps.register("chartcoder.guidelines.encounter_reason.v1")
def code_encounter_reason(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Z01.81- for a preoperative evaluation (IV.M) and Z08 for surveillance after completed treatment of a
    malignancy (I.C.21.c.8), when the visit's stated reason is that (outpatient, Section IV)."""
    if context.setting != "outpatient":
        return
    note = note_of(context)
    added = [found for found in (preoperative_evaluation(note),) if found is not None]
    history_of_malignancy = any(entry.score >= context.threshold for entry in draft.in_category("Z85"))
    active_malignancy = any(entry.score >= context.threshold for entry in draft.in_category("C"))
    if history_of_malignancy and not active_malignancy and not added:
        added += [found for found in (follow_up_after_malignancy(note),) if found is not None]
    add_codes(draft, added, context.codeset, threshold=context.threshold)
