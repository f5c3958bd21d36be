"""Reporting order, principal / first-listed diagnosis and the proposed flag (Sections II, IV, I.A.13, I.B.7).

Rank 1 is the condition chiefly responsible for the admission (inpatient, Section II) or for the encounter
(outpatient, Section IV.A): the first diagnosis stated in the most diagnostic section of the note (principal /
discharge / final diagnoses, then assessment, chief complaint, hospital course, HPI), then these overrides:

- encounter-reason Z codes (screening Z11-Z13, follow-up Z08/Z09, aftercare Z42-Z51, Z51.11 chemotherapy) are
  first-listed when the visit is for that reason (IV.A, I.C.21.c);
- sepsis present on admission before the localized infection (I.C.1.d.4);
- poisoning (T36-T50, 5th/6th character 1-4) before its manifestations (I.C.19.e.5.b); an adverse effect's
  T code follows the manifestation (I.C.19.e.5.a);
- acute respiratory failure the note gives as the reason for admission (inpatient) before its cause
  (I.C.10.b.1, I.C.10.b.3), after the chapter-specific rules above (sepsis, poisoning);
- etiology before manifestation: a code whose Tabular "code first" note names a code in the list follows that
  code (I.A.13, I.B.7), and never takes rank 1; codes the Guidelines allow only as secondary (Z79, Z68, ...,
  the I.C.21.c.16 table; external causes, I.C.20) never take rank 1;
- severe sepsis R65.2- follows the code of the underlying systemic infection and is never principal
  (I.C.1.d.1.b, I.C.1.d.2);
- a condition the note says was ruled out is not coded as the reason for the encounter (II.H, IV.H: only an
  uncertain diagnosis still uncertain at discharge is coded as if established; a ruled-out one is not);
- a symptom stated first with the definitive diagnosis it is attributed to ("chest pain, most likely due to
  GERD") gives way to that diagnosis (II.A: a symptom is not principal when a related definitive diagnosis is
  established; I.B.4-I.B.5).

Codes at or above the model's threshold are ``proposed`` and come first in reporting order; the rest follow by
score, so ranking metrics stay meaningful. Each code gets ``role`` principal (inpatient), first_listed
(outpatient) or secondary.
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.encounter_reason import reason_lines
from suggest.guidelines.note import note_of
from suggest.guidelines.registry import guideline_steps
from suggest.guidelines.statements import stating_sections
from suggest.types import Mention, Role
from vocab.codeset import CodeRange, CodeSet, parse_code_references

__all__ = ["DIAGNOSTIC_SECTIONS", "ENCOUNTER_REASON_PREFIXES", "SECONDARY_ONLY_PREFIXES", "sequence_codes"]

# Where a note states what the encounter was for, most authoritative first.
DIAGNOSTIC_SECTIONS = (
    "diagnoses",
    "assessment_and_plan",
    "chief_complaint",
    "problem_list",
    "hospital_course",
    "history_of_present_illness",
    "none",
)
# Z codes the Guidelines list as secondary-only (I.C.21.c.16 table, "may only be reported as secondary") and
# the classes never sequenced first: status (Z79 long-term drugs, Z68 BMI, Z88 allergy status, Z91-Z99
# status), history (Z80-Z87) and external causes (V00-Y99, I.C.20).
SECONDARY_ONLY_PREFIXES = (
    "Z16",
    "Z17",
    "Z18",
    "Z19",
    "Z28",
    "Z33.1",
    "Z37",
    "Z3A",
    "Z38",
    "Z41",
    "Z53",
    "Z55",
    "Z56",
    "Z57",
    "Z58",
    "Z59",
    "Z60",
    "Z62",
    "Z63",
    "Z64",
    "Z65",
    "Z66",
    "Z67",
    "Z68",
    "Z72",
    "Z73",
    "Z74",
    "Z75",
    "Z77",
    "Z78",
    "Z79",
    "Z80",
    "Z81",
    "Z82",
    "Z83",
    "Z84",
    "Z85",
    "Z86",
    "Z87",
    "Z88",
    "Z89",
    "Z90",
    "Z91",
    "Z92",
    "Z93",
    "Z94",
    "Z95",
    "Z96",
    "Z97",
    "Z98",
    "Z99",
    "V",
    "W",
    "X",
    "Y",
    "U07.1",
)
# Encounter-reason Z codes (IV.A, I.C.21.c.5-.7, .13): first-listed when the visit is for them.
ENCOUNTER_REASON_PREFIXES = (
    "Z00",
    "Z01",
    "Z02",
    "Z08",
    "Z09",
    "Z11",
    "Z12",
    "Z13",
    "Z42",
    "Z43",
    "Z44",
    "Z45",
    "Z46",
    "Z47",
    "Z48",
    "Z49",
    "Z51",
    "Z34",
)
# Where a note states the reason for the encounter besides its opening lines (IV.A).
_REASON_STATEMENT_SECTIONS = ("chief_complaint", "diagnoses", "assessment_and_plan")
# The headed sections of DIAGNOSTIC_SECTIONS: a note with none of them is a narrative (its opening lines and the
# run-in headings of its story), whose first-stated condition is not what the encounter was for.
_HEADED_STATEMENTS = frozenset(DIAGNOSTIC_SECTIONS) - {"none"}
# Sections where a provider states the encounter's diagnoses ("none": the opening lines before any heading, where
# a note often says what the admission or visit is for); a code whose words appear only elsewhere (exam, review
# of systems, medications, labs) is listed, not proposed. Guideline-built codes carry their components' mentions,
# so they qualify through them.
_PROPOSING_SECTIONS = (
    "diagnoses",
    "assessment_and_plan",
    "problem_list",
    "chief_complaint",
    "hospital_course",
    "none",
)
_SEPSIS_PREFIXES = ("A40", "A41", "A02.1", "A22.7", "A26.7", "A32.7", "A42.7", "A54.86", "B37.7", "R65.2")
_POISONING_CHARACTERS = ("1", "2", "3", "4")
# Acute and acute-on-chronic respiratory failure (I.C.10.b); chronic respiratory failure J96.1- is not meant.
_ACUTE_RESPIRATORY_FAILURE = ("J96.0", "J96.2", "J96.9")
# I.C.1.d.1.b: "assign the appropriate code for the underlying systemic infection followed by a code from
# subcategory R65.2"; the systemic infections (A40-A41 and the organism-specific sepsis codes).
_SEVERE_SEPSIS = "R65.2"
_SYSTEMIC_INFECTIONS = tuple(prefix for prefix in _SEPSIS_PREFIXES if prefix != _SEVERE_SEPSIS)
# A condition the provider excluded after study: "ACS ruled out", "sepsis was excluded", "w/o sepsis",
# "ruled out for PE" (not "rule out" / "r/o", which is still uncertain and, at discharge, coded as if
# established in an inpatient note, II.H).
_RULED_OUT_AFTER = re.compile(r"^[\s,:-]{0,3}(?:(?:was|is|has been|been|now)\s+)?(?:ruled out|excluded)\b")
_RULED_OUT_BEFORE = re.compile(r"(?:\bruled out(?: for)?|\bw/o|\bwithout|\bno evidence of)\W+(?:[\w/]+\W+){0,2}$")
# Every match of _RULED_OUT_AFTER (of _RULED_OUT_BEFORE) holds one of these (the lower-cased note is read).
_RULED_OUT_AFTER_WORDS = ("ruled out", "excluded")
_RULED_OUT_BEFORE_WORDS = ("ruled out", "w/o", "without", "no evidence of")
# Words that attribute a symptom to its cause on one line ("chest pain most likely d/t GERD").
_ATTRIBUTED_TO = re.compile(
    r"\b(?:due to|d/t|secondary to|2/2|attributed to|caused by|consistent with|c/w|likely|from)\b"
)
# Where the provider concludes the encounter's diagnoses (a statement there outweighs "r/o" on admission).
_CONCLUDING_SECTIONS = ("diagnoses", "assessment_and_plan")
_ADMITTED_FOR = re.compile(r"admitted (?:for|with)|admission (?:for|with)|reason for admission|presented (?:with|in)")


@guideline_steps.register("chartcoder.guidelines.sequencing.v1")
def sequence_codes(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Order the draft for reporting and set ``proposed`` and ``role`` (Sections II and IV, I.A.13, I.C.1.d.4,
    I.C.19.e.5, I.C.21.c)."""
    stated_sections = stating_sections(
        {mention.section for entry in draft.entries for mention in entry.mentions} & set(_PROPOSING_SECTIONS)
    )
    for entry in draft.entries:
        entry.proposed = (
            entry.score >= context.threshold
            and _stated_as_diagnosis(entry, stated_sections)
            and _states_the_encounter_reason(entry, context)
        )
    proposed = [entry for entry in draft.entries if entry.proposed]
    listed = sorted((entry for entry in draft.entries if not entry.proposed), key=lambda entry: -entry.score)
    first = _principal(proposed, context)
    ordered = _reporting_order(proposed, first, context)
    draft.entries[:] = ordered + listed
    lead_role: Role = "principal" if context.setting == "inpatient" else "first_listed"
    for position, entry in enumerate(draft.entries):
        entry.role = lead_role if position == 0 and entry.proposed else "secondary"
    if draft.entries and draft.entries[0].proposed:
        section = "II" if context.setting == "inpatient" else "IV.A"
        draft.entries[0].cite(section, f"{lead_role.replace('_', '-')} diagnosis")


def _principal(entries: list[DraftCode], context: GuidelineContext) -> DraftCode | None:
    eligible = [entry for entry in entries if _may_lead(entry, entries, context)]
    if not eligible:
        return None
    obstetric = [entry for entry in eligible if entry.code.startswith("O")]
    if obstetric:
        best = _first_stated(obstetric, context) or obstetric[0]
        best.cite("I.C.15.a.1", "chapter 15 codes have sequencing priority in a pregnancy")
        return best
    encounter = [entry for entry in eligible if _is_encounter_reason(entry)]
    if encounter:
        best = max(encounter, key=lambda entry: entry.score)
        best.cite("IV.A; I.C.21.c", "the encounter is for this reason")
        return best
    poisoning = [entry for entry in eligible if _is_poisoning(entry.code)]
    if poisoning:
        best = max(poisoning, key=lambda entry: entry.score)
        best.cite("I.C.19.e.5.b", "poisoning sequenced before its manifestations")
        return best
    stated = _first_stated(eligible, context)
    sepsis_stated = [entry for entry in eligible if entry is stated or _in_section_of(entry, stated)]
    sepsis = [entry for entry in sepsis_stated if entry.code.startswith(_SYSTEMIC_INFECTIONS)]
    if (
        sepsis
        and stated is not None
        and not stated.code.startswith(_SEPSIS_PREFIXES)
        and (_is_localized_infection(stated, context) or context.setting == "inpatient")
    ):
        best = max(sepsis, key=lambda entry: entry.score)
        best.cite("I.C.1.d.4", "sepsis present on admission sequenced before the localized infection")
        return best
    failure = [entry for entry in eligible if entry.code.startswith(_ACUTE_RESPIRATORY_FAILURE)]
    if failure and context.setting == "inpatient" and stated is not None and stated not in failure:
        admitted_for = [entry for entry in failure if _reason_for_admission(entry, stated, context)]
        if admitted_for:
            best = max(admitted_for, key=lambda entry: entry.score)
            best.cite("I.C.10.b.1", "acute respiratory failure chiefly responsible for the admission")
            return best
    return stated


def _reason_for_admission(entry: DraftCode, stated: DraftCode, context: GuidelineContext) -> bool:
    """Whether the note gives ``entry`` as the reason for admission: its line says "admitted for / with" or
    it shares the line of the first-stated diagnosis (the two stated together as the reason, I.C.10.b.3)."""
    stated_lines = {context.line_of(mention.start) for mention in stated.mentions}
    for mention in entry.mentions:
        line = context.line_of(mention.start)
        start = context.lowered.rfind("\n", 0, mention.start) + 1
        end = context.lowered.find("\n", mention.end)
        if line in stated_lines or _ADMITTED_FOR.search(context.lowered[start : end if end != -1 else None]):
            return True
    return False


def _stated_as_diagnosis(entry: DraftCode, stated_sections: set[str]) -> bool:
    """Whether the provider states the code's condition where diagnoses are stated (Sections II, III, IV.C-D:
    code the conditions the provider documents for this encounter, not every word of the review of systems,
    exam or medication list); a note without such sections states them anywhere."""
    if not stated_sections or _documented_by_guideline(entry):
        return True
    return any(mention.section in stated_sections and mention.assertion != "negated" for mention in entry.mentions)


def _states_the_encounter_reason(entry: DraftCode, context: GuidelineContext) -> bool:
    """An encounter-reason Z code (Z00-Z13, aftercare, Z51 ...) reports why the patient came (IV.A, I.C.21.c): its
    words must stand where the note says so - the title and opening lines, the chief complaint, the diagnoses -
    not be an "eye examination" or "laboratory tests" of the exam or the story. Other codes pass."""
    if not _is_encounter_reason(entry) or _documented_by_guideline(entry):
        return True
    present = [mention for mention in entry.mentions if mention.assertion == "present"]
    if any(mention.section in _REASON_STATEMENT_SECTIONS for mention in present):
        return True
    lines = reason_lines(note_of(context))
    return any(line.start <= mention.start and mention.end <= line.end for mention in present for line in lines)


def _documented_by_guideline(entry: DraftCode) -> bool:
    """Codes a guideline rule derives from where the note documents them - the medication list (Z79), the allergy
    list (Z88), social and family history (F17, Z87.891, Z80-Z84), vitals (Z68), status and history (I.C.21.c.3,
    I.C.21.c.4) - are reported from those sections, not only from the assessment."""
    return any(mention.term_source == "guideline" for mention in entry.mentions) or any(
        note.startswith(("personal history of", "family history of")) for note in entry.notes
    )


def _in_section_of(entry: DraftCode, stated: DraftCode | None) -> bool:
    """Whether ``entry`` is stated in the section that gave the first-stated diagnosis (a sepsis named only
    elsewhere does not displace it)."""
    if stated is None:
        return False
    sections = {mention.section for mention in stated.mentions}
    return any(mention.section in sections and mention.assertion == "present" for mention in entry.mentions)


def _first_stated(entries: list[DraftCode], context: GuidelineContext) -> DraftCode | None:
    """The entry stated first in the most diagnostic section any entry is mentioned in; score breaks ties.

    A note without headings (a narrative), or with only the run-in headings of its story ("Physical examination
    revealed ...", "Laboratory data: ...") and none of the sections where a provider states what the encounter
    is for (diagnoses, assessment, chief complaint, problem list, course, HPI), states no list of diagnoses whose
    order means anything (Sections II, IV.A; :mod:`suggest.guidelines.statements`): there the condition the
    note documents most strongly (the best score on the ranker's scale, ``calibrated_score``: a rule's placement
    score says where a code goes in the list, not how strongly the note documents it - a smoker's F17.210 from
    one passing word does not lead a note about hematuria) is the one chiefly responsible. A mention the note
    rules out ("ACS ruled out") states nothing (II.H, IV.H); a statement that opens with a symptom and
    attributes it to a diagnosis is led by that diagnosis (II.A, see :func:`_attributed_cause`).
    """
    sections = {mention.section for entry in entries for mention in entry.mentions}
    if not sections & _HEADED_STATEMENTS:
        # a narrative, with no headings or only the run-in ones of its story ("Physical examination revealed")
        return max(entries, key=lambda entry: entry.calibrated_score) if entries else None
    for section in DIAGNOSTIC_SECTIONS:
        placed = [
            (min(mention.start for mention in stated), -entry.score, index)
            for index, entry in enumerate(entries)
            if (stated := [mention for mention in _naming(entry) if _states(mention, section, context)])
        ]
        if placed:
            first = entries[min(placed)[2]]
            first = _attributed_cause(first, entries, context) or first
            return _classified_elsewhere(first, min(placed)[0], entries, context) or first
    return max(entries, key=lambda entry: entry.score) if entries else None


def _naming(entry: DraftCode) -> list[Mention]:
    """Where the note states the code: its own mentions (naming it, an ancestor, a descendant or a code it was
    refined from), not the words it took from other readings ("hyperglycemic" that a diabetes-with-CKD code
    absorbed from the line stating HHS); a combination built from components only is stated where they are."""
    own = [code.replace(".", "") for code in (entry.code, *entry.refined_from)]
    naming = [
        mention
        for mention in entry.mentions
        if any(
            compact.startswith(mine) or mine.startswith(compact)
            for compact in (code.replace(".", "") for code in mention.codes)
            for mine in own
        )
    ]
    return naming or entry.mentions


def _states(mention: Mention, section: str, context: GuidelineContext) -> bool:
    return mention.section == section and mention.assertion != "historical" and not _ruled_out(mention, context)


def _line_bounds(offset: int, context: GuidelineContext) -> tuple[int, int]:
    start = context.lowered.rfind("\n", 0, offset) + 1
    end = context.lowered.find("\n", offset)
    return start, end if end != -1 else len(context.lowered)


def _ruled_out(mention: Mention, context: GuidelineContext) -> bool:
    """Whether the note says, on the mention's line, that the condition was ruled out ("ACS ruled out",
    "SEPSIS RULED OUT", "pneumonia w/o sepsis", "ruled out for PE"): not coded (II.H, IV.H)."""
    line_start, line_end = _line_bounds(mention.start, context)
    after = context.lowered[mention.end : min(line_end, mention.end + 40)]
    before = context.lowered[max(line_start, mention.start - 40) : mention.start]
    before = before[max(before.rfind(". "), before.rfind(";")) + 1 :]  # this sentence only
    # every match of each pattern holds one of its words: most mentions' windows hold none (a substring test)
    return bool(
        (any(word in after for word in _RULED_OUT_AFTER_WORDS) and _RULED_OUT_AFTER.search(after))
        or (any(word in before for word in _RULED_OUT_BEFORE_WORDS) and _RULED_OUT_BEFORE.search(before))
    )


def _classified_elsewhere(
    first: DraftCode, stated_at: int, entries: list[DraftCode], context: GuidelineContext
) -> DraftCode | None:
    """I.A.12.a: the first statement is coded where the first code's Excludes1 note sends it. A statement that
    reads as two codes on one line, one of whose Excludes1 notes names the other ("peripheral vascular disease
    due to atherosclerosis of the leg arteries": I73.9 excludes atherosclerosis of the extremities, I70.2-I70.7),
    is the excluded, more specific code's: the general code's title does not classify it."""
    line = context.line_of(stated_at)
    references = [reference for _note, reference in context.codeset.excludes1_references(first.code)]
    if not references:
        return None
    for entry in entries:
        if entry is first or not any(reference.covers(entry.code) for reference in references):
            continue
        if any(context.line_of(mention.start) == line and mention.assertion != "negated" for mention in entry.mentions):
            entry.cite("I.A.12.a", f"the statement is classified here, not to {first.code} (Excludes1)")
            return entry
    return None


def _attributed_cause(first: DraftCode, entries: list[DraftCode], context: GuidelineContext) -> DraftCode | None:
    """II.A (I.B.4-I.B.5): a diagnostic statement that opens with a sign or symptom and attributes it to a
    definitive diagnosis on the same line ("1. Chest pain - ACS ruled out. Most likely d/t GERD") is led by
    that diagnosis, not by the symptom (left out as integral) nor by a condition named in passing before it.
    """
    stated = [mention for mention in first.mentions if mention.section != "none"] or first.mentions
    line_start, line_end = _line_bounds(min(mention.start for mention in stated), context)
    on_line = [mention for mention in context.mentions if line_start <= mention.start < line_end]
    if not on_line or not all(code.startswith("R") for code in on_line[0].codes) or not on_line[0].codes:
        return None  # the statement does not open with a symptom
    opening = on_line[0]
    attribution = _ATTRIBUTED_TO.search(context.lowered, opening.end, line_end)
    if attribution is None:
        return None
    causes = [
        (min(after), index)
        for index, entry in enumerate(entries)
        if not entry.code.startswith("R")
        and (
            after := [
                mention.start
                for mention in entry.mentions
                if attribution.end() <= mention.start < line_end and not _ruled_out(mention, context)
            ]
        )
    ]
    if not causes:
        return None
    cause = entries[min(causes)[1]]
    cause.cite("II.A", "the symptom's established cause, not the symptom, is the principal or first-listed")
    return cause


def _may_lead(entry: DraftCode, entries: list[DraftCode], context: GuidelineContext) -> bool:
    code = entry.code
    if code.startswith(SECONDARY_ONLY_PREFIXES):
        return False
    if code.startswith(_SEVERE_SEPSIS):
        return False  # I.C.1.d.1.b, I.C.1.d.2: R65.2- is never principal; the systemic infection leads
    if _excluded_by_the_provider(entry, context):
        return False  # II.H, IV.H: a ruled-out condition is not the reason for the encounter
    if _is_adverse_effect(code):
        return False  # I.C.19.e.5.a: the manifestation comes first
    if _t_drug_character(code) == "6":
        return False  # I.C.19.e.5.c: underdosing is never principal or first-listed
    if _code_first_targets(code, entries, context):
        return False  # I.A.13: the etiology is sequenced first
    return not _is_manifestation(code, context)


def _reporting_order(entries: list[DraftCode], first: DraftCode | None, context: GuidelineContext) -> list[DraftCode]:
    rest = sorted((entry for entry in entries if entry is not first), key=lambda entry: -entry.score)
    ordered = [first] if first is not None else []
    # a code whose "code first" note names a code in the list follows that code (etiology / manifestation)
    pending = list(rest)
    while pending:
        entry = pending.pop(0)
        targets = _code_first_targets(entry.code, pending, context)
        if targets:
            # its etiology is still to come: place the etiology first, then this code
            for target in targets:
                pending.remove(target)
                ordered.append(target)
            entry.cite("I.A.13", f"sequenced after {', '.join(target.code for target in targets)} (code first)")
        ordered.append(entry)
    return _additional_codes_follow(ordered, context)


def _additional_codes_follow(ordered: list[DraftCode], context: GuidelineContext) -> list[DraftCode]:
    """I.A.13 ("use additional code"): a secondary-only code a listed code's note asks for - the receptor status
    of a breast cancer (Z17, I.C.2.o), the BMI of an obesity (Z68, I.B.14), the insulin or oral agent of a
    diabetes (Z79.4 / Z79.84, I.C.4.a.3), the tobacco use of a hypertension - is reported right after that code,
    not after every other condition."""
    pending = [entry for entry in ordered[1:] if entry.code.startswith(SECONDARY_ONLY_PREFIXES)]
    if not pending:
        return ordered
    result: list[DraftCode] = []
    placed: set[int] = set()
    for entry in ordered:
        if id(entry) in placed:
            continue
        result.append(entry)
        placed.add(id(entry))
        if entry.code.startswith(SECONDARY_ONLY_PREFIXES):
            continue
        references = _additional_references(entry.code, context)
        for other in pending:
            if id(other) not in placed and any(reference.covers(other.code) for reference in references):
                other.cite("I.A.13", f"sequenced after {entry.code} (use additional code)")
                result.append(other)
                placed.add(id(other))
    return result


def _additional_references(code: str, context: GuidelineContext) -> tuple[CodeRange, ...]:
    """The codes the Tabular's "use additional code" notes of ``code`` and its category name (once per code); a
    block's note ("I10-I1A: tobacco use") speaks of every code in the block, not of this condition."""
    known = derived_table("sequencing.use_additional", context.codeset)
    references = known.get(code)
    if references is None:
        notes = context.codeset.inherited_notes(code, "use_additional")
        references = known[code] = tuple(
            reference
            for where, note in notes
            if context.codeset.get(where) is not None  # the code's and its category's notes, not a block's
            for reference in parse_code_references(note)
        )
    return references


def _excluded_by_the_provider(entry: DraftCode, context: GuidelineContext) -> bool:
    """The note rules the condition out and never affirms it where diagnoses are stated (II.H, IV.H): "r/o ACS"
    on admission, "ACS ruled out" in the discharge diagnoses."""
    if not any(_ruled_out(mention, context) for mention in entry.mentions):
        return False
    return not any(
        mention.section in _CONCLUDING_SECTIONS and mention.assertion != "negated" and not _ruled_out(mention, context)
        for mention in entry.mentions
    )


def _code_first_targets(code: str, entries: list[DraftCode], context: GuidelineContext) -> list[DraftCode]:
    if code.startswith(_SEVERE_SEPSIS):
        # I.C.1.d.1.b: the underlying systemic infection, then R65.2- (its Tabular note names only a few)
        infections = [entry for entry in entries if entry.code.startswith(_SYSTEMIC_INFECTIONS)]
        if infections:
            return infections
    references = _code_first_references(code, context.codeset)
    if not references:
        return []  # most codes have no "code first" note
    return [
        entry
        for entry in entries
        if entry.code != code
        # the draft's codes are the code set's own (canonical): their compact form is the code without its dot
        and any(reference.covers_compact(entry.code.replace(".", "")) for reference in references)
    ]


def _code_first_references(code: str, codeset: CodeSet) -> tuple[CodeRange, ...]:
    """The codes the Tabular's "code first" notes of ``code`` and its ancestors and block name (a chapter's note
    speaks of every code in it); a pure function of the code, worked out once per code set."""
    known = derived_table("sequencing.code_first", codeset)
    references = known.get(code)
    if references is None:
        notes = [note for where, note in codeset.inherited_notes(code, "code_first") if not where.startswith("chapter")]
        references = known[code] = tuple(reference for note in notes for reference in parse_code_references(note))
    return references


def _is_manifestation(code: str, context: GuidelineContext) -> bool:
    """Manifestation codes ("in diseases classified elsewhere", I.A.13) are never first."""
    known = derived_table("sequencing.manifestation", context.codeset)
    manifestation = known.get(code)
    if manifestation is None:
        record = context.codeset.codes[code]
        titles = [record.description] + [ancestor.description for ancestor in context.codeset.ancestors(code)]
        manifestation = known[code] = any("in diseases classified elsewhere" in title.lower() for title in titles)
    return manifestation


def _is_encounter_reason(entry: DraftCode) -> bool:
    return entry.code.startswith(ENCOUNTER_REASON_PREFIXES)


def _is_poisoning(code: str) -> bool:
    return _t_drug_character(code) in _POISONING_CHARACTERS


def _is_adverse_effect(code: str) -> bool:
    return _t_drug_character(code) == "5"


def _t_drug_character(code: str) -> str | None:
    """The intent character of a T36-T50 drug code (1-4 poisoning, 5 adverse effect, 6 underdosing)."""
    if not code.startswith("T"):
        return None  # most codes: no T code
    compact = code.replace(".", "")
    if not ("36" <= compact[1:3] <= "50") or len(compact) < 6:
        return None
    return compact[5]


def _is_localized_infection(entry: DraftCode, context: GuidelineContext) -> bool:
    chapter = context.codeset.codes[entry.code].chapter
    return chapter in {"1", "10", "14", "12"}
