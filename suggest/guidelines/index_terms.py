"""Locating a stated diagnosis in the Alphabetic Index (I.B.1): main term, then the subterms the words name.

"To select a code in the classification that corresponds to a diagnosis or reason for visit documented in a
medical record, first locate the term in the Alphabetic Index, and then verify the code in the Tabular List"
(I.B.1). The ranker finds codes by their Tabular titles and misses the ones only the Index spells the note's way
("pulmonary emboli" is "Embolism, pulmonary"; "pressure ulcer of sacrum, stage 3" is "Ulcer, pressure, stage 3,
sacral region"). For each diagnosis the provider states (the first clause of each line of the diagnosis and
assessment sections) the step finds the Index main terms the clause names and walks their subterms with the
clause's words (word stems, so "emboli" is "embolism"; abbreviations spelled out; denied phrases left out): the
deepest subterm whose every essential title word the clause says gives the code, verified in the Tabular List
(billable, or the child the words support). A code whose category the list already holds is left to the
specificity steps; a main term alone (no subterm named) or a catch-all entry gives nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Set as AbstractSet
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.index_walk import billable_choice, content_words, expanded_words, subterm_rows
from suggest.guidelines.note import AddedCode, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet
from vocab.index import AlphabeticIndex, IndexTerm
from vocab.lexicon import Abbreviations, load_abbreviations

__all__ = ["GUIDELINE", "code_index_terms", "stated_diagnosis_codes"]

GUIDELINE = "I.B.1"
_SECTIONS = ("diagnoses", "preoperative_diagnosis", "assessment_and_plan")
# Shortest word compared by its form ("emboli" / "embolism"); shorter words must match exactly.
_STEM = 5
# Main terms that name no condition by themselves (they only lead to one through a subterm the ranker reads).
_GENERIC_MAIN_TERMS = frozenset(
    "condition complication findings history status presence absence admission "
    "encounter examination problem use observation injury abnormal abnormality anomaly change".split()
)
# Main terms that name a condition only with a subterm of two or more words ("Disorder, attention-deficit
# hyperactivity"): one shared word ("Disease, kidney") is what the ranker reads already.
_BROAD_MAIN_TERMS = frozenset({"disease", "disorder", "syndrome"})
_FILLER = frozenset({"nec", "nos", "with", "due", "other", "specified", "unspecified", "type", "site", "by"})
_CATCH_ALL_RE = re.compile(r"\b(?:NEC|NOS|other|specified|unspecified)\b", re.IGNORECASE)
_PARENTHESIS_RE = re.compile(r"\([^)]*\)")
_CLAUSE_END_RE = re.compile(r"\s[-\u2013]\s|;|:|\.\s|\.$|\n")
_LIST_MARK_RE = re.compile(r"^\s*(?:#|\d+[.)]|[-*\u2022])\s*")
_DENIED_RE = re.compile(
    r"\b(?:w/o|without|no|not|negative for|neg for)\s+[a-z][a-z \-]*?"
    r"(?=\s+(?:d/t|due|with|w/|and|but|or)\b|[,.;:()\n]|$)",
    re.IGNORECASE,
)
# Diseases (A00-N99): injuries need their 7th character, pregnancy, external causes and Z codes have their own
# steps, and symptoms (R) are integral to a diagnosis more often than not.
_DISEASE_CHAPTERS = ("A00", "N99")
_SHORT_RE = re.compile(r"(?<![A-Za-z0-9.])(?:[A-Za-z]|\d{1,2}[a-z]?)(?![A-Za-z0-9/])")
# A diagnosis the clause itself rules out, after the finding ("PE has been ruled out"), is not coded (II.H, IV.H);
# "r/o" / "rule out" before a finding is an uncertain diagnosis, which II.H codes as established: not matched.
_RULED_OUT_RE = re.compile(
    r"\b(?:(?:was|were|been|is|are)\s+)?(?:ruled out|excluded)\b|\bno evidence of\b", re.IGNORECASE
)
# A clause about the past or the family is no diagnosis of this encounter (the history steps code it).
_HISTORY_RE = re.compile(r"^\s*(?:h/o|hx|history|fh|family|s/p|status post|prior|previous|past)\b", re.IGNORECASE)


@guideline_steps.register("chartcoder.guidelines.index_terms.v1")
def code_index_terms(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Codes of the Index entries the stated diagnoses name, when their category is not yet listed (I.B.1)."""
    index = context.index("index")
    if index is None:
        return
    listed = {code[:3] for code in draft.codes()}
    added = []
    for item, broader in _stated_diagnoses(note_of(context), index, context.codeset):
        if item.code[:3] not in listed:
            added.append(item)
            continue
        # a listed code printed on an entry above the one the clause names is that entry's default: refine it
        for entry in draft.in_category(item.code[:3]):
            if entry.code in broader and item.code not in draft:
                old = entry.code
                entry.code = item.code
                entry.refined_from.append(old)
                entry.cite(GUIDELINE, f"{item.rationale}: the subterm the diagnosis names, below {old}")
    add_codes(draft, added, context.codeset, threshold=context.threshold)


def stated_diagnosis_codes(note: NoteView, index: AlphabeticIndex, codeset: CodeSet) -> list[AddedCode]:
    """One code per stated diagnosis clause that an Index main term and subterm walk reach."""
    return [item for item, _ in _stated_diagnoses(note, index, codeset)]


def _stated_diagnoses(
    note: NoteView, index: AlphabeticIndex, codeset: CodeSet
) -> list[tuple[AddedCode, frozenset[str]]]:
    """Each clause's code with the codes printed on the entries above it (the walk's broader readings)."""
    found: list[tuple[AddedCode, frozenset[str]]] = []
    seen: set[str] = set()
    for line in note.lines(*_SECTIONS):
        if line.section == "assessment_and_plan" and not _LIST_MARK_RE.match(line.text):
            continue  # an assessment states its diagnoses as list items; the rest is plan and reasoning
        text = _LIST_MARK_RE.sub("", line.text)
        clause_end = _CLAUSE_END_RE.search(text)
        clause = text[: clause_end.start()] if clause_end else text
        if len(clause.strip()) < 4 or _HISTORY_RE.match(clause) or _RULED_OUT_RE.search(clause):
            continue
        offset = line.start + (len(line.text) - len(line.text.lstrip())) + line.text.lstrip().find(clause.strip()[:8])
        result = _walk_clause(index, codeset, _DENIED_RE.sub(" ", clause))
        if result is None or result[0] in seen:
            continue
        code, path, broader = result
        seen.add(code)
        start = max(line.start, offset)
        evidence = (note.evidence(start, min(line.end, start + len(clause.strip()))),)
        found.append((AddedCode(code, evidence, f"Alphabetic Index: {' > '.join(path)}", GUIDELINE), broader))
    return found


def _main_walks(index: AlphabeticIndex, main: IndexTerm) -> tuple[tuple[IndexTerm, frozenset[str], int], ...]:
    """The subterm walks under ``main`` that print a code and are no catch-all, with their essential words: the
    Index's alone, so worked out once per main term, not once per clause."""
    cached = derived_table("index_terms.main_walks", index)
    walks = cached.get(main.id)
    if walks is None:
        walks = tuple(
            (child, required, depth)
            for child, _, _, _, depth in subterm_rows(index, main, keep=False)
            if child.codes and not _is_catch_all(index, child, main) and (required := _walk_words(index, child, main))
        )
        cached[main.id] = walks
    return walks


def _walk_clause(
    index: AlphabeticIndex, codeset: CodeSet, clause: str
) -> tuple[str, tuple[str, ...], frozenset[str]] | None:
    words = expanded_words(clause, _abbreviations()) | _short_tokens(clause)
    best: tuple[tuple[int, int], str, IndexTerm] | None = None
    said: dict[str, bool] = {}  # the walks under a main term share words: each is looked for once per clause
    for main, main_words in _main_terms_named(index, words):
        for child, required, depth in _main_walks(index, main):
            if not all(said[word] if word in said else said.setdefault(word, _said(word, words)) for word in required):
                continue
            if main_words & _BROAD_MAIN_TERMS and len(required) < 2:
                continue
            code = billable_choice(codeset, child.codes[0], words)
            if code is None or not _DISEASE_CHAPTERS[0] <= code[:3] <= _DISEASE_CHAPTERS[1]:
                continue
            key = (len(required) + len(main_words), depth)
            if best is None or key > best[0]:
                best = (key, code, child)
    if best is None:
        return None
    return best[1], index.path(best[2].id), _broader_codes(index, best[2])


def _broader_codes(index: AlphabeticIndex, term: IndexTerm) -> frozenset[str]:
    codes: set[str] = set()
    current = None if term.parent is None else index.term(term.parent)
    while current is not None:
        codes.update(printed.rstrip("-").rstrip(".") for printed in current.codes)
        current = None if current.parent is None else index.term(current.parent)
    return frozenset(codes)


def _said(word: str, words: AbstractSet[str]) -> bool:
    """``word`` or a form of it ("emboli" / "embolism"): one a prefix of the other, at most three letters apart."""
    if word in words:
        return True
    if len(word) < _STEM:
        return False
    return any(
        len(other) >= _STEM and abs(len(other) - len(word)) <= 3 and (other.startswith(word) or word.startswith(other))
        for other in words
    )


def _short_tokens(text: str) -> set[str]:
    """Single letters and numbers that name an entry ("hepatitis C", "stage 3", "class 2", "type 1")."""
    return {token.lower() for token in _SHORT_RE.findall(text)}


def _main_terms_named(index: AlphabeticIndex, words: AbstractSet[str]) -> list[tuple[IndexTerm, frozenset[str]]]:
    table = _main_table(index)
    named = []
    for prefix in {word[:_STEM] for word in words}:
        for main, main_words in table.get(prefix, ()):
            if all(_said(word, words) for word in main_words):
                named.append((main, main_words))
    return named


def _main_table(index: AlphabeticIndex) -> dict[str, list[tuple[IndexTerm, frozenset[str]]]]:
    """Main terms by the first letters of each essential word (built once per Index)."""
    cached = derived_table("index_terms.main_table", index)
    if "table" not in cached:
        table: dict[str, list[tuple[IndexTerm, frozenset[str]]]] = defaultdict(list)
        for main in index.main_terms():
            words = _main_words(main.title)
            if not words or words & _GENERIC_MAIN_TERMS:
                continue
            for word in words:
                table[word[:_STEM]].append((main, words))
        cached["table"] = dict(table)
    main_table: dict[str, list[tuple[IndexTerm, frozenset[str]]]] = cached["table"]
    return main_table


def _main_words(title: str) -> frozenset[str]:
    """A main term's essential words: its first part, and the rest unless it only repeats the word's forms
    ("Failure, failed"; but "Fracture, pathological" needs "pathological")."""
    first, _, rest = title.partition(",")
    words = set(_essential(first))
    for word in _essential(rest):
        if not any(word[:4] == own[:4] for own in words):
            words.add(word)
    return frozenset(words)


def _is_catch_all(index: AlphabeticIndex, term: IndexTerm, main: IndexTerm) -> bool:
    current: IndexTerm | None = term
    while current is not None and current.id != main.id:
        if _CATCH_ALL_RE.search(current.title):
            return True
        current = None if current.parent is None else index.term(current.parent)
    return False


def _essential(title: str) -> frozenset[str]:
    text = _PARENTHESIS_RE.sub(" ", title.split(",")[0])
    return (content_words(text) | _short_tokens(text)) - _FILLER


def _walk_words(index: AlphabeticIndex, term: IndexTerm, main: IndexTerm) -> frozenset[str]:
    stems: set[str] = set()
    current: IndexTerm | None = term
    while current is not None and current.id != main.id:
        if current.title.strip().lower() == "without":
            return frozenset({"\0"})  # a "without" subterm is read only through its "with" sibling
        stems |= _essential(current.title)
        current = None if current.parent is None else index.term(current.parent)
    return frozenset(stems)


@lru_cache(maxsize=1)
def _abbreviations() -> Abbreviations:
    return load_abbreviations()
