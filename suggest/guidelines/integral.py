"""Signs and symptoms integral to a confirmed diagnosis are not reported (I.B.4, I.B.5, I.C.18.b, IV.D).

A chapter-18 sign or symptom (R00-R99, and the symptom codes M25.5, M54, M79.6) leaves the list into
``excluded`` ("integral to <code>") when a definitive diagnosis that routinely produces it is coded:

- from the classification: the symptom's block names a body system (R00-R03 circulatory, R04-R09
  respiratory, R10-R19 digestive, R30-R39 urinary, ...), the diagnosis is in that system's chapter, and the
  note ties them (one sentence, or the symptom presented and the diagnosis concluded);
- from the reviewed table ``data/integral_symptoms.tsv`` where the classification is silent (fever with an
  infection, polyuria with a hyperglycemic crisis, joint pain with osteoarthritis, ...).

A symptom not routinely associated with any coded diagnosis stays (I.B.6).
"""

from __future__ import annotations

import bisect
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.data import read_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps

__all__ = ["drop_integral_symptoms", "integral_to"]

# Chapter-18 blocks by body system -> the chapters whose diagnoses are of that system (the block titles of R00-R99:
# "Symptoms and signs involving the circulatory and respiratory systems", ...).
_SYSTEM_CHAPTERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("R00", "R03", ("9",)),  # circulatory
    ("R04", "R09", ("10",)),  # respiratory
    ("R10", "R19", ("11",)),  # digestive system and abdomen
    ("R20", "R23", ("12",)),  # skin and subcutaneous tissue
    ("R30", "R39", ("14",)),  # genitourinary
    ("R80", "R82", ("14",)),  # abnormal findings on examination of urine
)
_NOT_DEFINITIVE = ("R", "Z", "V", "W", "X", "Y")
_SYMPTOM_CODES_OUTSIDE_R = ("M25.5", "M54", "M79.6")


@lru_cache(maxsize=1)
def _reviewed_pairs() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((row[0], tuple(row[1].split(","))) for row in read_table("integral_symptoms.tsv"))


def integral_to(symptom: str, diagnosis: str, chapter_of_diagnosis: str, linked: bool = True) -> bool:
    """Whether ``symptom`` is routinely part of ``diagnosis``: the reviewed table, or the classification's body
    system when the note ``linked`` the two (see :func:`_linked`)."""
    if diagnosis.startswith(_NOT_DEFINITIVE) and not diagnosis.startswith("R65.2"):
        return False
    category = symptom[:3]
    for first, last, chapters in _SYSTEM_CHAPTERS:
        if linked and first <= category <= last and chapter_of_diagnosis in chapters:
            return True
    for prefix, diagnoses in _reviewed_pairs():
        if symptom.startswith(prefix) and ("*" in diagnoses or diagnosis.startswith(diagnoses)):
            return True
    return False


@guideline_steps.register("chartcoder.guidelines.integral.v1")
def drop_integral_symptoms(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Remove symptoms routinely associated with a coded definitive diagnosis (I.B.5, IV.D)."""
    definitive = [entry for entry in draft.entries if _is_definitive(entry, context)]
    for entry in list(draft.entries):
        if not _is_symptom(entry.code):
            continue
        cause = next(
            (
                diagnosis
                for diagnosis in definitive
                if diagnosis is not entry
                and integral_to(
                    entry.code,
                    diagnosis.code,
                    context.codeset.codes[diagnosis.code].chapter,
                    linked=_linked(entry, diagnosis, context),
                )
            ),
            None,
        )
        if cause is not None:
            draft.remove(entry.code, f"integral to {cause.code}: a sign or symptom of the confirmed diagnosis (I.B.5)")


_PRESENTING_SECTIONS = {"chief_complaint", "history_of_present_illness", "review_of_systems"}
_CONCLUDING_SECTIONS = {"diagnoses", "assessment_and_plan", "hospital_course", "problem_list"}


def _linked(symptom: DraftCode, diagnosis: DraftCode, context: GuidelineContext) -> bool:
    """Whether the note ties the symptom to the diagnosis: both in one sentence, or the symptom presented (chief
    complaint, HPI, review of systems) and the diagnosis concluded (diagnoses, assessment, hospital course).

    A body system alone is a weak sign of "routinely associated" (I.B.5); a symptom merely elsewhere in a long
    note of the same system may be a separate problem (I.B.6), so it stays.
    """
    # The diagnosis's mention starts, sorted: one search per symptom mention, not one test per pair of mentions
    # (a long note naming a symptom and a diagnosis a thousand times each cost a million tests: 6 s of 64 kB).
    starts = sorted(other.start for other in diagnosis.mentions)
    for mention in symptom.mentions:
        start = mention.start
        sentence = context.sentence_around(start, mention.end)
        span = _span_of(sentence, start, context)
        # an other mention's start s ties them when |s - start| < len(sentence) and s lies in the sentence's span
        low, high = max(start - len(sentence) + 1, span.start), min(start + len(sentence), span.stop)
        if low < high and bisect.bisect_left(starts, low) < bisect.bisect_left(starts, high):
            return True
    presented = any(mention.section in _PRESENTING_SECTIONS for mention in symptom.mentions)
    concluded = any(mention.section in _CONCLUDING_SECTIONS for mention in diagnosis.mentions)
    return presented and concluded


def _span_of(sentence: str, offset: int, context: GuidelineContext) -> range:
    """The character range of the note that ``sentence`` (found around ``offset``) covers."""
    start = context.lowered.rfind(sentence, max(0, offset - len(sentence)), offset + len(sentence))
    return range(start, start + len(sentence)) if start != -1 else range(0)


def _is_symptom(code: str) -> bool:
    return (code.startswith("R") and not code.startswith("R65.2")) or code.startswith(_SYMPTOM_CODES_OUTSIDE_R)


def _is_definitive(entry: DraftCode, context: GuidelineContext) -> bool:
    """A confirmed diagnosis of this encounter: coded at or above the threshold, not a symptom itself."""
    return entry.score >= context.threshold and not _is_symptom(entry.code)
