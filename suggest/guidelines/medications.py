"""Long-term (current) drug therapy, Z79.- (I.C.21.c.3), by drug class, with the I.C.4.a.3 insulin rules.

A drug the patient takes (medication list, or "on"/"continue" it elsewhere) gives its class's Z79 code; the
class comes from the Table of Drugs row (its T-category) or the reviewed table (:mod:`drug_names`). Insulin and
an oral hypoglycemic taken together give both Z79.4 and Z79.84; insulin given only temporarily in hospital
(sliding scale, drip, "while inpatient") gives no Z79.4 (I.C.4.a.3). An antibiotic course is not long-term, nor
a drug the note states as a brief course ("day 3/5", "x 5 days", "taper") wherever else it names it (I.C.21.c.3).
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.cues import cue_words
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.drug_names import DrugMention, find_drugs, long_term_code
from suggest.guidelines.folding import folded_note, text_says_any
from suggest.guidelines.note import AddedCode, NoteLine, NoteView, add_codes, folded_pattern, note_of
from suggest.guidelines.registry import guideline_steps
from vocab.index import AlphabeticIndex

__all__ = ["long_term_drug_codes"]

GUIDELINE = "I.C.21.c.3"
INSULIN_GUIDELINE = "I.C.4.a.3"
_LIST_SECTIONS = ("medications",)
_SKIPPED_SECTIONS = ("allergies", "family_history", "labs_and_studies", "review_of_systems")
# Outside the medication list a drug counts only when the sentence says the patient takes it.
_TAKES_RE = cue_words(
    "on",
    "taking",
    "takes",
    "continue[sd]?",
    "continuing",
    "resume[sd]?",
    "restart(?:ed)?",
    "home",
    "maintained on",
    "uses",
    "using",
    "start(?:ed)?",
    "initiated?",
    "prescribed",
    "discharged on",
    "remains on",
)
# The drug is not (or no longer) taken, or the sentence is about a reaction, an overdose or an allergy to it.
_NOT_TAKEN_RE = cue_words(
    r"discontinu\w*",
    "stopp?(?:ed)?",
    "taken off",
    "not on",
    "never",
    r"allerg\w*",
    r"intoleran\w*",
    r"overdose\w*",
    r"ingest\w*",
    "ran out",
    "out of",
    r"poison\w*",
    r"avoid\w*",
    "declined?",
    "refuse[sd]?",
    "instead of",
    "switch(?:ed)? from",
)
# Every match of _NOT_TAKEN_RE holds one of these words: a sentence without any is not scanned for it.
_NOT_TAKEN_WORDS = (
    "discontinu",
    "stop",
    "taken off",
    "not on",
    "never",
    "allerg",
    "intoleran",
    "overdose",
    "ingest",
    "ran out",
    "out of",
    "poison",
    "avoid",
    "decline",
    "refuse",
    "instead of",
    "switch",
)
# A short course is not long-term therapy; an as-needed analgesic is not regular use.
_SHORT_COURSE_RE = re.compile(
    r"\b(taper\w*|burst|(?:\d+|five|seven|ten)[- ]day course|x\s*\d+\s*(?:days?|d)\b|for \d+ days|"
    r"short[- ]term|one[- ]time|single dose|once|day \d+\s*(?:/|of)\s*\d+)\b"
    # a dose taken at a time ("ibuprofen 6 h ago", "took ibuprofen last night") is no regimen
    r"|\b\d+\s*(?:h|hrs?|hours?|days?)\s+ago\b|\b(?:last night|this morning|yesterday)\b",
    re.IGNORECASE,
)
# The provider names the long-term therapy by its class: "chronic pain on long-term opioid therapy".
_STATED_THERAPY_RE = re.compile(
    r"\blong[- ]term (?:\w+ )?(?P<kind>opioids?|opiates?|narcotics?|steroids?|corticosteroids?|anticoagula\w*|"
    r"aspirin|nsaids?|insulin|antiplatelets?)\b(?: (?:therapy|use|treatment))?",
    re.IGNORECASE,
)
_DENIED_RE = re.compile(r"\b(no|not|never|denies|without|off)\b", re.IGNORECASE)
_STATED_CLASSES = {
    "opioid": "opioid",
    "opiate": "opioid",
    "narcotic": "opioid",
    "steroid": "systemic_steroid",
    "corticosteroid": "systemic_steroid",
    "anticoagula": "anticoagulant",
    "aspirin": "aspirin",
    "nsaid": "nsaid",
    "insulin": "insulin",
    "antiplatelet": "antiplatelet",
}
_AS_NEEDED_RE = re.compile(r"\b(prn|as needed|otc|over[- ]the[- ]counter)\b", re.IGNORECASE)
_AS_NEEDED_CLASSES = frozenset({"nsaid", "opioid"})
# A medication list under a heading the section splitter may not know ("DISCHARGE MEDS:", "Home meds:").
_MED_HEADING_RE = re.compile(
    r"\s*(?:discharge |d/c |home |current |outpatient |admission )?(?:meds|medications|med list)\s*:", re.IGNORECASE
)
# The sentence-by-sentence scans read the note's folded text with these (re.IGNORECASE costs three times as much).
_FOLDED_TAKES_RE = folded_pattern(_TAKES_RE)
_FOLDED_NOT_TAKEN_RE = folded_pattern(_NOT_TAKEN_RE)
_FOLDED_SHORT_COURSE_RE = folded_pattern(_SHORT_COURSE_RE)
# Every match of _STATED_THERAPY_RE holds one of these: a note without either names no therapy by its class.
_STATED_THERAPY_WORDS = ("long term", "long-term")
_TEMPORARY_INSULIN_RE = re.compile(
    r"\b(sliding[- ]scale|correction(?:al)?(?: scale| dose)?|insulin (?:drip|gtt|infusion)|iv insulin|"
    r"temporar\w*|while (?:in(?:patient)?|hospitali[sz]ed|admitted)|"
    r"during (?:the )?(?:admission|hospitali[sz]ation|stay)|in (?:the )?hospital|transitioned off)\b",
    re.IGNORECASE,
)


def long_term_drug_codes(note: NoteView, drug_table: AlphabeticIndex) -> list[AddedCode]:
    """One Z79 code per drug class the patient takes, evidenced by the medication lines naming the drugs."""
    found: dict[str, list[tuple[NoteLine, str, bool]]] = {}
    statements = [
        (line, list(find_drugs(note.text, line.start, line.end, drug_table))) for line in _medication_statements(note)
    ]
    as_needed = _taken_as_needed(note, statements)
    short_courses = _given_as_short_course(note, statements, drug_table)
    for line, drugs in statements:
        for position, drug in enumerate(drugs):
            if drug.drug_class is None or long_term_code(drug.drug_class) is None:
                continue
            if drug.generic in as_needed or drug.generic in short_courses:
                continue
            _, item_end = _item_span(note.text, drug.start, drug.end, line)
            temporary = drug.drug_class == "insulin" and bool(_TEMPORARY_INSULIN_RE.search(line.text))
            # the evidence is the drug's own words ("aspirin 81 mg daily"), not the whole medication line nor the
            # next drug of the same item ("glargine + metformin"): each long-term code is its own finding
            following = [other.start for other in drugs[position + 1 :] if drug.end <= other.start < item_end]
            piece_end = min([item_end, *following])
            while piece_end > drug.end and note.text[piece_end - 1] in " +&/":
                piece_end -= 1
            piece = NoteLine(drug.start, piece_end, note.text[drug.start : piece_end], line.section)
            found.setdefault(drug.drug_class, []).append((piece, drug.generic, temporary))
    for match in stated_therapies(note.text):
        kind = match.group("kind").lower().rstrip("s")
        drug_class = next(value for key, value in _STATED_CLASSES.items() if kind.startswith(key))
        piece = NoteLine(match.start(), match.end(), match.group(), note.section_at(match.start()))
        found.setdefault(drug_class, []).append((piece, match.group().lower(), False))
    added = []
    for drug_class, uses in found.items():
        code = long_term_code(drug_class)
        if code is None:
            continue
        if drug_class == "insulin" and all(temporary for _, _, temporary in uses):
            continue  # I.C.4.a.3: insulin only to bring the glucose under control during the stay
        evidence = tuple(note.evidence(line.start, line.end) for line, _, _ in uses)
        names = ", ".join(dict.fromkeys(generic for _, generic, _ in uses))
        guideline = INSULIN_GUIDELINE if drug_class in ("insulin", "oral_hypoglycemic") else GUIDELINE
        rationale = f"long-term (current) use of {drug_class.replace('_', ' ')} ({names})"
        added.append(AddedCode(code, _unique(evidence), rationale, guideline))
    return added


def stated_therapies(text: str) -> list[re.Match[str]]:
    """Where the note names a long-term therapy by its class, not denied ("no long-term steroid use")."""
    if not text_says_any(text, _STATED_THERAPY_WORDS):
        return []
    return [
        match
        for match in _STATED_THERAPY_RE.finditer(text)
        if not _DENIED_RE.search(text, max(0, match.start() - 12), match.start())
    ]


def _taken_as_needed(note: NoteView, statements: list[tuple[NoteLine, list[DrugMention]]]) -> set[str]:
    """Analgesics (NSAIDs, opioids) the note lists as taken as needed: no regular use, wherever else they are
    named ("not relieved by home ibuprofen" is the same PRN ibuprofen); a stated long-term therapy still counts."""
    found = set()
    for line, drugs in statements:
        for drug in drugs:
            if drug.drug_class in _AS_NEEDED_CLASSES:
                start, end = _item_span(note.text, drug.start, drug.end, line)
                if _AS_NEEDED_RE.search(note.text, start, end):
                    found.add(drug.generic)
    return found


def _given_as_short_course(
    note: NoteView, statements: list[tuple[NoteLine, list[DrugMention]]], drug_table: AlphabeticIndex
) -> set[str]:
    """Drugs the note states as a brief course ("prednisone 40 mg day 3/5", "x 5 days", "taper"): not long-term
    therapy (I.C.21.c.3: Z79 is not for "medication being administered for a brief period of time to treat an
    acute illness"), wherever else the same drug is named ("BG 180s on prednisone" is that course), unless the
    medication list also has it as a regimen of its own."""
    short: set[str] = set()
    folded = folded_note(note)
    if not _FOLDED_SHORT_COURSE_RE.search(folded):
        return short  # one pass over the note: most say no course at all
    for sentence in note.sentences():
        if sentence.section in _SKIPPED_SECTIONS or not _FOLDED_SHORT_COURSE_RE.search(
            folded, sentence.start, sentence.end
        ):
            continue
        for drug in find_drugs(note.text, sentence.start, sentence.end, drug_table):
            start, end = _item_span(note.text, drug.start, drug.end, sentence)
            if _FOLDED_SHORT_COURSE_RE.search(folded, start, end):
                short.add(drug.generic)
    listed = {
        drug.generic
        for line, drugs in statements
        if line.section in _LIST_SECTIONS
        for drug in drugs
        if not _FOLDED_SHORT_COURSE_RE.search(folded, *_item_span(note.text, drug.start, drug.end, line))
    }
    return short - listed


def _medication_statements(note: NoteView) -> list[NoteLine]:
    # a sentence is searched in place in the folded note: it starts after a non-word character (a sentence end,
    # a line break or a space) and ends at one, so its word boundaries are those of its own text
    folded = folded_note(note)
    statements = []
    for sentence in note.sentences():
        if sentence.section in _SKIPPED_SECTIONS or (
            text_says_any(note.text, _NOT_TAKEN_WORDS, sentence.start, sentence.end)
            and _FOLDED_NOT_TAKEN_RE.search(folded, sentence.start, sentence.end)
        ):
            continue
        line_start = note.text.rfind("\n", 0, sentence.start) + 1
        listed = sentence.section in _LIST_SECTIONS or _MED_HEADING_RE.match(note.text, line_start)
        if listed or _FOLDED_TAKES_RE.search(folded, sentence.start, sentence.end):
            statements.append(sentence)
    return statements


def _item_span(text: str, start: int, end: int, line: NoteLine) -> tuple[int, int]:
    """The list item holding the drug ("prednisone taper" in "Meds: metformin, prednisone taper, ...")."""
    left = max(text.rfind(",", line.start, start), text.rfind(":", line.start, start), line.start - 1) + 1
    right = text.find(",", end, line.end)
    right = right if right >= 0 else line.end
    while left < right and text[left] in " \t-*•":
        left += 1
    while right > left and text[right - 1] in " \t.;":
        right -= 1
    return left, right


def _unique(evidence: tuple) -> tuple:
    return tuple({(piece.start, piece.end): piece for piece in evidence}.values())


@guideline_steps.register("chartcoder.guidelines.long_term_drugs.v1")
def code_long_term_drugs(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Z79 long-term (current) drug therapy by drug class (I.C.21.c.3; insulin / oral agents I.C.4.a.3)."""
    drug_table = context.index("drug")
    if drug_table is not None:
        added = long_term_drug_codes(note_of(context), drug_table)
        entries = add_codes(draft, added, context.codeset, threshold=context.threshold)
        _drop_other_readings(draft, {entry.code for entry in entries}, stated_therapies(context.text))


def _drop_other_readings(draft: CodeSetDraft, kept: set[str], stated: list[re.Match[str]]) -> None:
    """A Z79 code the lexicon read in the words of a stated therapy ("long-term opioid therapy" as Z79.60
    immunomodulators) is that therapy's class code read wrongly: one code per finding (I.C.21.c.3)."""
    spans = [(match.start(), match.end()) for match in stated]
    for entry in draft.in_category("Z79"):
        if entry.code in kept or not spans or not entry.mentions:
            continue
        if all(any(start <= m.start and m.end <= end for start, end in spans) for m in entry.mentions):
            draft.remove(entry.code, f"the stated long-term therapy is coded by its drug class ({GUIDELINE})")
