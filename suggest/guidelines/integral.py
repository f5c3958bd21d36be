"""Signs and symptoms integral to a confirmed diagnosis are not reported (I.B.4, I.B.5, I.C.18.b, IV.D).

A chapter-18 sign or symptom (R00-R99, the symptom codes M25.5, M54, M79.6, and the acute / chronic pain codes
G89.1-G89.2, which are not used when the underlying definitive diagnosis is known, I.C.6.b.1.a) leaves the list into
``excluded`` ("integral to <code>") only when it is *routinely associated* with a coded definitive diagnosis and
the note ties the two:

- the reviewed table ``data/integral_symptoms.tsv`` (fever with an infection, polyuria with a hyperglycemic
  crisis, knee pain with knee osteoarthritis or a knee injury, ...) when the symptom is a presenting complaint
  (chief complaint, HPI, review of systems), the diagnosis is concluded in a diagnosis section, or one sentence
  names both;
- the classification's body system (R00-R03 circulatory, R10-R19 digestive, ...) only when the provider's own
  diagnostic statement ties them (one sentence of a diagnosis / assessment section, or the symptom presented and
  the diagnosis concluded): a body system alone does not make a sign routine (hematuria with renal colic).

A symptom not routinely associated, or not tied to the diagnosis, stays (I.B.6); so do the symptoms of an
outpatient diagnosis that is only "probable" or "suspected", which is not coded (IV.D). A definitive diagnosis is
a disease code: not a symptom, status, external cause or organism (B95-B97) code.
"""

from __future__ import annotations

import bisect
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.data import read_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps
from suggest.types import Mention

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
# G89.1 / G89.2 (acute / chronic pain NEC): "not used if the underlying (definitive) diagnosis is known" (I.C.6.b.1.a);
# G89.3 (neoplasm related pain) is coded beside its neoplasm, so it stays a diagnosis here.
_SYMPTOM_CODES_OUTSIDE_R = ("M25.5", "M54", "M79.6", "G89.1", "G89.2")
_ORGANISM_CODES = ("B95", "B96", "B97")
_STATED = "stated"
_PRESENTED = "presented"


@lru_cache(maxsize=1)
def _reviewed_pairs() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((row[0], tuple(row[1].split(","))) for row in read_table("integral_symptoms.tsv"))


def integral_to(symptom: str, diagnosis: str, chapter_of_diagnosis: str, tie: str | None = _STATED) -> bool:
    """Whether ``symptom`` is routinely part of ``diagnosis`` as the note documents them (I.B.4-I.B.5).

    ``tie`` is how the note ties the two (see :func:`_tie`): None (not at all: the symptom may be a separate
    problem and stays, I.B.6), ``"presented"`` (the symptom is the presenting complaint of the encounter) or
    ``"stated"`` (the provider's diagnostic statement names both). A pair of the reviewed table (known routine
    associations) needs either tie; the classification's body system alone is a weak sign of "routinely
    associated" (hematuria with renal colic, dysphagia with malabsorption are not), so it needs the provider's
    own statement.
    """
    return tie is not None and _integral_to(symptom, diagnosis, chapter_of_diagnosis, tie)


# a pure function of four short strings, asked of every symptom and diagnosis pair of every note
@lru_cache(maxsize=65_536)
def _integral_to(symptom: str, diagnosis: str, chapter_of_diagnosis: str, tie: str) -> bool:
    if not _is_definitive_code(diagnosis):
        return False
    for prefix, diagnoses in _reviewed_pairs():
        if symptom.startswith(prefix) and ("*" in diagnoses or diagnosis.startswith(diagnoses)):
            return True
    if tie != _STATED:
        return False
    category = symptom[:3]
    return any(
        first <= category <= last and chapter_of_diagnosis in chapters for first, last, chapters in _SYSTEM_CHAPTERS
    )


@guideline_steps.register("chartcoder.guidelines.integral.v1")
def drop_integral_symptoms(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Remove symptoms routinely associated with a coded definitive diagnosis (I.B.4, I.B.5); a symptom not
    routinely associated, or one whose diagnosis is only uncertain in an outpatient note, stays (I.B.6, IV.D)."""
    definitive = [entry for entry in draft.entries if _is_definitive(entry, context)]
    for entry in list(draft.entries):
        if not _is_symptom(entry.code):
            continue
        cause = next(
            (
                diagnosis
                for diagnosis in definitive
                if diagnosis is not entry
                # the code pair first (the provider's statement, the widest tie): reading how the note ties the
                # two is the costly part, and a pair that no tie makes integral needs none
                and integral_to(entry.code, diagnosis.code, context.codeset.codes[diagnosis.code].chapter)
                and integral_to(
                    entry.code,
                    diagnosis.code,
                    context.codeset.codes[diagnosis.code].chapter,
                    tie=_tie(entry, diagnosis, context),
                )
            ),
            None,
        )
        if cause is not None:
            draft.remove(entry.code, f"integral to {cause.code}: a sign or symptom of the confirmed diagnosis (I.B.5)")


_PRESENTING_SECTIONS = {"chief_complaint", "history_of_present_illness", "review_of_systems"}
# A symptom named in the plan or instructions is managed as part of the encounter's problems ("ibuprofen for
# pain", "return if fever"), not documented as a separate finding (I.B.6 asks for a separate one).
_MANAGED_SECTIONS = {"plan", "instructions"}
# Where the provider states diagnoses: a symptom named with the diagnosis there is the provider's own tie.
_DIAGNOSTIC_SECTIONS = {"diagnoses", "assessment_and_plan", "assessment", "plan", "hospital_course", "problem_list"}


def _tie(symptom: DraftCode, diagnosis: DraftCode, context: GuidelineContext) -> str | None:
    """How the note ties the symptom to the diagnosis: ``"stated"`` (one sentence of a diagnosis section, or the
    symptom presented and the diagnosis concluded), ``"presented"`` (the symptom is a presenting complaint:
    chief complaint, HPI, review of systems; or one sentence of narrative names both), None otherwise."""
    told = _told(symptom)
    # The diagnosis's mention starts, sorted: one search per symptom mention, not one test per pair of mentions
    # (a long note naming a symptom and a diagnosis a thousand times each cost a million tests: 6 s of 64 kB).
    starts = sorted(other.start for other in _affirmed(diagnosis, context))
    same_sentence = [mention for mention in told if _any_in(starts, _sentence_span(mention, context))]
    if any(mention.section in _DIAGNOSTIC_SECTIONS for mention in same_sentence):
        return _STATED
    presented = any(mention.section in _PRESENTING_SECTIONS for mention in told)
    managed = any(mention.section in _MANAGED_SECTIONS for mention in told)
    concluded = any(mention.section in _DIAGNOSTIC_SECTIONS for mention in _affirmed(diagnosis, context))
    if presented and concluded:
        return _STATED
    return _PRESENTED if presented or managed or concluded or same_sentence else None


def _sentence_span(mention: Mention, context: GuidelineContext) -> range:
    return _span_of(context.sentence_around(mention.start, mention.end), mention.start, context)


def _any_in(starts: list[int], span: range) -> bool:
    """Whether any of the sorted ``starts`` lies in ``span``."""
    return bisect.bisect_left(starts, span.start) < bisect.bisect_left(starts, span.stop)


def _told(symptom: DraftCode) -> list:
    """The symptom's mentions that the patient had it (recently, "historical", counts: a presenting history)."""
    return [mention for mention in symptom.mentions if mention.assertion not in ("negated", "family", "hypothetical")]


def _affirmed(entry: DraftCode, context: GuidelineContext) -> list:
    """The mentions that say the patient has it now (an uncertain outpatient diagnosis is not coded, IV.D)."""
    codable = {"present"} | ({"possible"} if context.setting == "inpatient" else set())
    return [mention for mention in entry.mentions if mention.assertion in codable]


def _span_of(sentence: str, offset: int, context: GuidelineContext) -> range:
    """The character range of the note that ``sentence`` (found around ``offset``) covers."""
    start = context.lowered.rfind(sentence, max(0, offset - len(sentence)), offset + len(sentence))
    return range(start, start + len(sentence)) if start != -1 else range(0)


def _is_symptom(code: str) -> bool:
    return (code.startswith("R") and not code.startswith("R65.2")) or code.startswith(_SYMPTOM_CODES_OUTSIDE_R)


def _is_definitive_code(code: str) -> bool:
    """A code that names a disease: not a symptom, status, external cause, or an organism code (B95-B97, which
    only adds the organism to a disease coded elsewhere)."""
    if code.startswith("R65.2"):
        return True
    return not code.startswith(_NOT_DEFINITIVE) and not code.startswith(_ORGANISM_CODES)


def _is_definitive(entry: DraftCode, context: GuidelineContext) -> bool:
    """A confirmed diagnosis of this encounter: coded at or above the threshold, not a symptom itself, and
    affirmed in the note (in an outpatient note "probable", "suspected" is not coded, so its symptoms stay: IV.D)."""
    return (
        entry.score >= context.threshold
        and not _is_symptom(entry.code)
        and _is_definitive_code(entry.code)
        and bool(_affirmed(entry, context))
    )
