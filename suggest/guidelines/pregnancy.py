"""Pregnancy (I.C.15): chapter 15 codes with the trimester from the weeks, Z3A weeks of gestation, the O code
for each condition complicating the pregnancy, and the Z33.1 / Z34 limits.

- I.C.15.a.1: a condition in a pregnant patient complicates the pregnancy unless the provider says it is
  incidental: its chapter 15 code (the Tabular's "Conditions in D50-D64" -> O99.0-, "Any condition in I10" ->
  O10.0-; diabetes -> O24.- from ``pregnancy_categories.tsv``) is added, the condition's own code stays as
  the "use additional code"; chapter 15 codes are sequenced first.
- I.C.15.a.3: the trimester is counted from the weeks (first < 14 weeks 0 days, second 14w0d to < 28w0d, third
  28w0d on): a chapter 15 code for another or unspecified trimester becomes the documented one.
- Z3A (Tabular, chapter 15 "use additional code from category Z3A"): the completed weeks of gestation.
- I.C.15.a.1: a symptom the provider assesses that the Index lists under "Pregnancy, complicated by" (vomiting,
  edema, fatigue, hypotension) is coded there (O21.9 for nausea and vomiting of pregnancy), not from chapter 18.
- Z33.1 (pregnant state, incidental) never with a chapter 15 code; Z34 (normal pregnancy, I.C.15.b.1) only
  when no complication is coded.
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.folding import folded_note, says_any, says_any_at_word_start
from suggest.guidelines.index_walk import billable_choice, content_words
from suggest.guidelines.note import RULE_SCORE, AddedCode, NoteView, add_codes, calibrated_confidence, note_of
from suggest.guidelines.registry import guideline_steps
from suggest.guidelines.tables import read_table
from vocab.codeset import CodeRange, CodeSet, parse_code_references
from vocab.index import AlphabeticIndex

__all__ = ["complicating_code", "gestation_weeks", "trimester_of", "weeks_code", "with_trimester"]

GUIDELINE = "I.C.15.a.1"
TRIMESTER_GUIDELINE = "I.C.15.a.3"
NORMAL_GUIDELINE = "I.C.15.b.1"
_WEEKS_RE = re.compile(
    r"\b(\d{1,2})\s*(?:\+\s*\d\s*)?(?:w(?:ee)?ks?|w)(?:\s*(?:and\s*)?\d\s*d(?:ays?)?)?\b"
    r"|\b(?:GA|EGA|gestational age)\s*(?:of\s*)?(\d{1,2})(?:[.+]\d)?\b",
    re.IGNORECASE,
)
_PREGNANT_RE = re.compile(r"\b(pregnan\w*|gestation\w*|G\d+\s*P\d+|IUP|prenatal|antepartum|EGA|LMP|gravida)\b", re.I)
_TRIMESTER_WORDS = {1: "first trimester", 2: "second trimester", 3: "third trimester"}
_CONDITIONS_RE = re.compile(r"\b(?:any )?conditions? in\b", re.IGNORECASE)
# Chapters whose conditions are not "complicating" codes of their own: symptoms (R), external causes, factors.
_NOT_COMPLICATING = ("O", "P", "R", "V", "W", "X", "Y", "Z", "U")


def gestation_weeks(text: str) -> tuple[int, int, int] | None:
    """(completed weeks, start, end) of the first gestational age in a pregnancy note."""
    if not _PREGNANT_RE.search(text):
        return None
    for match in _WEEKS_RE.finditer(text):
        weeks = int(match.group(1) or match.group(2))
        if 4 <= weeks <= 44:
            return weeks, match.start(), match.end()
    return None


def trimester_of(weeks: int) -> int:
    return 1 if weeks < 14 else 2 if weeks < 28 else 3


def weeks_code(weeks: int) -> str:
    return "Z3A.01" if weeks < 8 else "Z3A.49" if weeks > 42 else f"Z3A.{weeks:02d}"


def with_trimester(code: str, codeset: CodeSet, trimester: int) -> str:
    """The sibling of a chapter 15 code for the documented trimester (O99.511 -> O99.512 in week 24)."""
    record = codeset.get(code)
    if record is None or record.parent is None or "trimester" not in record.description.lower():
        return code
    wanted = _TRIMESTER_WORDS[trimester]
    base = re.sub(r"(first|second|third|unspecified) trimester", wanted, record.description, flags=re.IGNORECASE)
    for sibling in codeset.billable_descendants(record.parent):
        if sibling.description == base:
            return sibling.code
    return code


def _condition_ranges(codeset: CodeSet) -> tuple[tuple[str, CodeRange], ...]:
    """Chapter 15 categories and the "Conditions in ..." ranges their notes name (read once per code set)."""
    cached = derived_table("pregnancy.condition_ranges", codeset)
    if "ranges" in cached:
        known: tuple[tuple[str, CodeRange], ...] = cached["ranges"]
        return known
    ranges = [
        (record.code, reference)
        for record in codeset
        if record.code.startswith("O") and not record.billable
        for note in (*record.inclusion_terms, *record.includes)
        if _CONDITIONS_RE.search(note)
        for reference in parse_code_references(note)
    ]
    cached["ranges"] = tuple(ranges)
    return cached["ranges"]


def complicating_code(code: str, codeset: CodeSet, trimester: int | None) -> str | None:
    """The chapter 15 code for a condition complicating pregnancy, trimester chosen, or None."""
    if code.startswith(_NOT_COMPLICATING):
        return None
    category = next(
        (row["category"] for row in read_table("pregnancy_categories") if code.startswith(row["prefix"])), None
    )
    if category is None:
        covering = [(o_code, ref) for o_code, ref in _condition_ranges(codeset) if ref.covers(code)]
        if not covering:
            return None
        category = min(covering, key=lambda item: (_span(item[1]), -len(item[0])))[0]
    condition = content_words(codeset.codes[code].description) - {"unspecified", "other"}  # "obesity" -> O99.21-
    words = {"pregnancy", *condition}
    words |= set(_TRIMESTER_WORDS[trimester].split()) if trimester else {"unspecified", "trimester"}
    return billable_choice(codeset, category, words)


def _span(reference: CodeRange) -> int:
    first, last = reference.first, reference.last
    if first[0] != last[0]:
        return 10_000
    return (int(last[1:3]) - int(first[1:3])) if last[1:3].isdigit() and first[1:3].isdigit() else 100


_NOT_PREGNANT_RE = re.compile(
    r"\b(not (?:currently )?pregnan\w*|non-?pregnant|(?:pregnancy|hcg|upt|b-?hcg)(?: test)?[^.;\n]{0,15}"
    r"(?:negative|neg)\b|negative (?:urine )?(?:pregnancy|hcg|upt))",
    re.IGNORECASE,
)
# Every match of _NOT_PREGNANT_RE holds one of these words: a note without any is not scanned.
_NOT_PREGNANT_WORDS = ("pregnan", "hcg", "upt")
_PREGNANT_NOW_RE = re.compile(r"\b(pregnant|pregnancy|G\d+\s*P\d+|IUP|gestation\w*|prenatal|antepartum|EGA)\b", re.I)
# Every match of _PREGNANT_NOW_RE starts with one of these words (folded) or with a "G" and a digit.
_PREGNANT_NOW_WORDS = ("pregnan", "iup", "gestation", "prenatal", "antepartum", "ega")
_GRAVIDA_HINT_RE = re.compile(r"[gG]\d")
# Sections where a provider assesses the conditions treated at the visit.
_ASSESSED_SECTIONS = ("assessment_and_plan", "diagnoses", "problem_list", "hospital_course", "chief_complaint")


def _pregnant(note: NoteView, draft: CodeSetDraft) -> bool:
    """A pregnancy the note documents (not "not pregnant" / a negative pregnancy test)."""
    if says_any(folded_note(note), _NOT_PREGNANT_WORDS) and _NOT_PREGNANT_RE.search(note.text):
        return bool(draft.in_category("O"))
    return bool(draft.in_category("O")) or _pregnant_now(note)


def _pregnant_now(note: NoteView) -> bool:
    """Whether ``_PREGNANT_NOW_RE`` matches the note: most notes hold neither a word it starts with nor a "G"
    followed by a digit, and are not scanned with it."""
    if says_any_at_word_start(note.text, _PREGNANT_NOW_WORDS) or _GRAVIDA_HINT_RE.search(note.text):
        return bool(_PREGNANT_NOW_RE.search(note.text))
    return False


@guideline_steps.register("chartcoder.guidelines.pregnancy.v1")
def code_pregnancy(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Chapter 15 codes, trimester and Z3A (I.C.15.a.1, I.C.15.a.3); no Z33.1 with a complication, Z34 only for
    a normal pregnancy (I.C.15.b.1)."""
    note = note_of(context)
    if not _pregnant(note, draft):
        return
    codeset = context.codeset
    found = gestation_weeks(context.text)
    trimester = trimester_of(found[0]) if found else None
    added: list[AddedCode] = []
    if found:
        weeks, start, end = found
        added.append(AddedCode(weeks_code(weeks), (note.evidence(start, end),), f"{weeks} completed weeks", "I.C.15"))
        for entry in draft.in_category("O"):
            better = with_trimester(entry.code, codeset, trimester_of(weeks))
            if better != entry.code and better not in draft:
                draft.remove(entry.code, f"trimester from {weeks} weeks: {better} ({TRIMESTER_GUIDELINE})")
                moved = add_codes(
                    draft,
                    [AddedCode(better, _evidence(entry), "trimester from the weeks", TRIMESTER_GUIDELINE)],
                    codeset,
                    score=entry.score,
                )
                for item in moved:
                    item.mentions.extend(mention for mention in entry.mentions if mention not in item.mentions)
    for entry in list(draft.entries):
        if entry.score < context.threshold or not any(m.section in _ASSESSED_SECTIONS for m in entry.mentions):
            continue  # I.C.15.a.1 applies to the conditions the provider assesses, not to passing words
        o_code = complicating_code(entry.code, codeset, trimester)
        if o_code is not None and o_code not in draft:
            why = f"{entry.code} complicating the pregnancy (use additional code {entry.code})"
            added.append(AddedCode(o_code, _evidence(entry), why, GUIDELINE, sequence="first"))
    add_codes(draft, added, codeset, threshold=context.threshold)
    _classify_symptoms(draft, context, trimester)
    complications = [entry for entry in draft.in_category("O") if entry.score >= context.threshold]
    if complications:
        for entry in [*draft.in_category("Z33.1"), *draft.in_category("Z34")]:
            draft.remove(
                entry.code, f"a complicated pregnancy is coded from chapter 15, not {entry.code} ({NORMAL_GUIDELINE})"
            )


def _classify_symptoms(draft: CodeSetDraft, context: GuidelineContext, trimester: int | None) -> None:
    """A symptom the provider assesses in a pregnant patient that the Index classifies under "Pregnancy,
    complicated by" ("vomiting" O21.9, "edema" O12.0-, "fatigue" O26.81-) is coded there, not in chapter 18:
    chapter 15 codes have sequencing priority and the O code describes the symptom (I.C.15.a.1)."""
    index = context.index("index")
    if index is None:
        return
    entries = _complicated_by(index)
    for entry in list(draft.in_category("R")):
        if entry.score < context.threshold or not any(m.section in _ASSESSED_SECTIONS for m in entry.mentions):
            continue
        said = content_words(context.codeset.codes[entry.code].description) - _GENERIC_SYMPTOM_WORDS
        matches = [(len(words), printed) for words, printed in entries if words and words <= said]
        if not matches:
            continue
        words = {"pregnancy", *said}
        words |= set(_TRIMESTER_WORDS[trimester].split()) if trimester else {"unspecified", "trimester"}
        o_code = billable_choice(context.codeset, max(matches)[1], words)
        if o_code is None or o_code in draft:
            continue
        why = f"{entry.code} in pregnancy: Alphabetic Index, Pregnancy, complicated by"
        combination = DraftCode(code=o_code, score=max(entry.score, RULE_SCORE), mentions=list(entry.mentions))
        combination.confidence = calibrated_confidence(entry.calibrated_score, context.threshold)
        combination.refined_from.append(entry.code)  # the same finding's words: one code per finding (I.B.9)
        draft.replace([entry.code], combination, GUIDELINE, why)


# Title words of a symptom code that say nothing about which "complicated by" subterm it is.
_GENERIC_SYMPTOM_WORDS = frozenset({"unspecified", "other", "with", "without", "specified", "nos"})


def _complicated_by(index: AlphabeticIndex) -> tuple[tuple[frozenset[str], str], ...]:
    """(essential title words, printed O code) of each subterm of "Pregnancy, complicated by" (once per Index)."""
    cached = derived_table("pregnancy.complicated_by", index)
    if "rows" not in cached:
        parent = index.find("Pregnancy", "complicated by")
        rows = []
        for child in index.children(parent.id) if parent is not None else ():
            if child.codes and child.codes[0].startswith("O"):
                title = re.sub(r"\([^)]*\)", " ", child.title.split(",")[0])
                rows.append((content_words(title) - _GENERIC_SYMPTOM_WORDS, child.codes[0]))
        cached["rows"] = tuple(rows)
    complicated_by: tuple[tuple[frozenset[str], str], ...] = cached["rows"]
    return complicated_by


def _evidence(entry) -> tuple:
    pieces = {(piece.start, piece.end): piece for mention in entry.mentions for piece in mention.evidence}
    return tuple(pieces.values())
