"""Allergy status, Z88.- (drugs) and Z91.0- (food, insects, latex, contrast, other) (I.C.21.c.3).

A documented allergy is a status: "Allergies: penicillin (rash)" gives Z88.0, never T78.4- (allergy, current
reaction) or T88.7 - those are for a reaction being treated now. The allergen is walked in the Index entry
"History, personal (of), allergy (to)" (words first, via reviewed synonyms); a drug the Index entry does not
name goes by its Table of Drugs row's T-category (``allergy_drug_classes.tsv``).
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.drug_names import find_drugs
from suggest.guidelines.folding import text_says_any
from suggest.guidelines.index_walk import best_subterm, billable_choice, content_words
from suggest.guidelines.note import AddedCode, NoteLine, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from suggest.guidelines.tables import read_table
from vocab.codeset import CodeSet
from vocab.index import AlphabeticIndex

__all__ = ["REACTION_CODE_PREFIXES", "allergy_status_codes"]

GUIDELINE = "I.C.21.c.3"
# Codes of a current allergic reaction, which an allergy-list entry must not become.
REACTION_CODE_PREFIXES = ("T78.0", "T78.1", "T78.2", "T78.3", "T78.4", "T88.6", "T88.7")
_NONE_RE = re.compile(r"\b(nkda|nka|no known|none|denies)\b", re.IGNORECASE)
_ALLERGY_PHRASE_RE = re.compile(
    r"\ballerg(?:y|ies|ic)\s+to\s+(?P<after>[^.;:\n]+)|(?P<before>\b[A-Za-z][\w-]*)\s+allerg(?:y|ies)\b",
    re.IGNORECASE,
)
# Every match of _ALLERGY_PHRASE_RE holds this word (folded: suggest/guidelines/folding.py).
_ALLERGY_WORDS = ("allerg",)
_HEADING_LINE_RE = re.compile(r"^\s*[A-Z][A-Za-z /&]{1,30}:")
_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*\w")
# An intolerance (an expected side effect) is not an allergy: no allergy status code.
_INTOLERANCE_RE = re.compile(
    r"\b(nausea|vomiting|gi upset|upset stomach|stomach upset|intoleran\w*|diarrh\w*|constipation|drows\w*|"
    r"dizz\w*|headache|jittery|side effect)\b",
    re.IGNORECASE,
)
_LIST_END_RE = re.compile(r"\.\s|\b[A-Z][A-Za-z/ ]{1,25}:")
# The patient tolerates the allergen now: the allergy is no longer present (no status code).
_TOLERATED_RE = re.compile(
    r"\b(tolerat\w*|eats|passed|outgr[eo]w\w*|resolved|no longer allergic|de-?labeled|not a true allergy)\b",
    re.IGNORECASE,
)
_ITEM_SPLIT_RE = re.compile(r"[^,;/\n]+")
_LEAD_RE = re.compile(r"^\s*(?:and|or|to)\s+", re.IGNORECASE)
_REACTION_RE = re.compile(r"\s*[(\-:–].*$")  # "penicillin (hives)" -> "penicillin"


def allergy_status_codes(
    note: NoteView, index: AlphabeticIndex, drug_table: AlphabeticIndex, codeset: CodeSet
) -> list[AddedCode]:
    """One allergy status code per allergen documented (allergy list, or "allergic to X" / "X allergy")."""
    entry = index.find("History", "personal", "allergy")
    found: dict[str, list[tuple[int, int, str]]] = {}
    for start, end in _allergen_spans(note):
        allergen = note.text[start:end]
        code = _allergen_code(allergen, start, end, note, entry, index, drug_table, codeset)
        if code is not None:
            found.setdefault(code, []).append((start, end, allergen.strip()))
    return [
        AddedCode(
            code,
            tuple(note.evidence(start, end) for start, end, _ in spans),
            f"allergy status ({', '.join(dict.fromkeys(name.lower() for _, _, name in spans))}); "
            "a documented allergy, not a reaction treated now",
            GUIDELINE,
        )
        for code, spans in found.items()
    ]


def _allergen_spans(note: NoteView) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for line in _allergy_list_lines(note):
        body_start = line.start + (line.text.index(":") + 1 if ":" in line.text else 0)
        # the list ends at a sentence end or at the next heading on the same line ("... Meds: ...")
        stop = _LIST_END_RE.search(note.text, body_start, line.end)
        for item in _ITEM_SPLIT_RE.finditer(note.text, body_start, stop.start() if stop else line.end):
            spans.append(_trimmed(note.text, item.start(), item.end()))
    for sentence in note.sentences():
        if sentence.section == "allergies":
            continue
        if not text_says_any(note.text, _ALLERGY_WORDS, sentence.start, sentence.end):
            continue  # every phrase names an allergy: most sentences need no scan
        for match in _ALLERGY_PHRASE_RE.finditer(note.text, sentence.start, sentence.end):
            group = "after" if match.group("after") else "before"
            for item in _ITEM_SPLIT_RE.finditer(note.text, match.start(group), match.end(group)):
                spans.append(_trimmed(note.text, item.start(), item.end()))
    return [
        (start, end)
        for start, end in spans
        if end > start and not _NONE_RE.search(note.text[start:end]) and not _tolerated(note, start, end)
    ]


def _tolerated(note: NoteView, start: int, end: int) -> bool:
    """A sentence of the note says the patient now tolerates this allergen ("passed an oral peanut challenge")."""
    words = content_words(note.text[start:end]) - {"allergy", "allergic"}
    return any(
        _TOLERATED_RE.search(sentence.text) and words & content_words(sentence.text) for sentence in note.sentences()
    )


def _allergy_list_lines(note: NoteView) -> list[NoteLine]:
    """The allergy list: the heading's line, then list-item lines, up to the next heading-like line ("Home
    meds:") the section splitter did not know."""
    lines: list[NoteLine] = []
    previous_section, listing = None, False
    for line in note.lines():
        in_allergies = line.section == "allergies"
        if in_allergies and previous_section != "allergies":
            lines.append(line)  # the heading's own line ("Allergies: penicillin, sulfa")
            listing = True
        elif (
            in_allergies
            and listing
            and not _HEADING_LINE_RE.match(line.text)
            and (_LIST_ITEM_RE.match(line.text) or lines[-1].text.rstrip().endswith(":"))
        ):
            lines.append(line)  # a list item, or the line under a bare "Allergies:" heading
        else:
            listing = False  # an unknown heading or prose: the list is over
        previous_section = line.section
    return lines


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    if _INTOLERANCE_RE.search(piece):
        return start, start  # "codeine (nausea)": an intolerance, dropped below as empty
    cut = _REACTION_RE.search(piece)
    if cut:
        end = start + cut.start()
        piece = text[start:end]
    stripped = _LEAD_RE.sub("", piece).strip(" \t-*•")
    offset = piece.find(stripped) if stripped else 0
    return start + offset, start + offset + len(stripped)


def _allergen_code(allergen, start, end, note, entry, index, drug_table, codeset) -> str | None:
    words = set(content_words(allergen))
    synonyms = {row["word"]: row["index_words"] for row in read_table("allergen_synonyms")}
    for word in list(words):
        if word in synonyms:
            words |= content_words(synonyms[word])
    if entry is not None and words:
        found = best_subterm(index, entry, words)
        if found is not None and found[0].title.lower() not in ("specified nec",):
            return billable_choice(codeset, found[0].codes[0], words)
    for drug in find_drugs(note.text, start, end, drug_table):
        if drug.row is None:
            continue
        columns = dict(drug.row.columns)
        category = columns.get("adverse_effect") or columns.get("poisoning_accidental") or ""
        for row in sorted(read_table("allergy_drug_classes"), key=lambda row: -len(row["prefix"])):
            if category.startswith(row["prefix"]):
                return row["code"]
    return None


@guideline_steps.register("chartcoder.guidelines.allergies.v1")
def code_allergy_status(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Allergy status Z88 / Z91.0 (I.C.21.c.3); an allergy-list entry is not a current reaction (T78.4-)."""
    index, drug_table = context.index("index"), context.index("drug")
    if index is None or drug_table is None:
        return
    note = note_of(context)
    statuses = allergy_status_codes(note, index, drug_table, context.codeset)
    entries = add_codes(draft, statuses, context.codeset, threshold=context.threshold)
    spans = [(piece.start, piece.end) for entry in entries for mention in entry.mentions for piece in mention.evidence]
    for entry in draft.in_category(*REACTION_CODE_PREFIXES):
        if all(_is_allergy_statement(mention, spans) for mention in entry.mentions):
            draft.remove(entry.code, f"an allergy documented as status, not a reaction treated now ({GUIDELINE})")


def _is_allergy_statement(mention, spans: list[tuple[int, int]]) -> bool:
    return mention.section == "allergies" or any(
        start - 40 <= mention.start and mention.end <= end + 40 for start, end in spans
    )
