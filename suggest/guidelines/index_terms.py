"""Locating a stated diagnosis in the Alphabetic Index (I.B.1): main term, then the subterms the words name.

"To select a code in the classification that corresponds to a diagnosis or reason for visit documented in a
medical record, first locate the term in the Alphabetic Index, and then verify the code in the Tabular List"
(I.B.1). The ranker finds codes by their Tabular titles and misses the ones only the Index spells the note's way
("pulmonary emboli" is "Embolism, pulmonary"; "pressure ulcer of sacrum, stage 3" is "Ulcer, pressure, stage 3,
sacral region"). For each diagnosis the provider states (the first clause of each line of the diagnosis and
assessment sections) the step finds the Index main terms the clause names and walks their subterms with the
clause's words (word stems, so "emboli" is "embolism"; abbreviations spelled out; the Index's own word for a site
the clause names its way, "sigmoid" is "intestine, large" (``site_words``); denied phrases left out): the
deepest subterm whose every essential title word the clause says gives the code, verified in the Tabular List
(billable, or the child the words support); between subterms the clause names equally, the code whose Tabular
title says more of the clause. A listed code printed on an entry above the one the clause names is refined to
it; a listed code of the category that the ranker read from most of the clause's words becomes the clause's code
(the provider's statement, read through the Index); otherwise a specific code of a listed category is a separate
finding ("with" combinations: E11.00 for "HHS in DM2" beside E11.22, I.A.15) and is added. A clause may name a
second condition: the best walk from another main term is kept too when it says words the first does not, or
when the first code's "use additional code" note asks for it (I11.0 -> I50.-). A main term whose lead is a
name of two or more words ("Poison ivy ... dermatitis" L23.7) is a walk of its own, and a specific code beats an
unspecified one of the same category the clause also names. A one-word main term alone (no subterm named), a
catch-all entry, or an unspecified code of a listed category gives nothing. A diagnosis may stand on its
heading's line ("POSTOPERATIVE DIAGNOSIS: ...") or, unlisted, on the line under "Assessment:"; an entry naming
its condition ("peritonitis NEC") is no catch-all; one of a title's "X or Y" alternatives said is enough. A
refined code takes the clause as a mention (where the provider states it) and the confidence of a code the rule
adds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.index_walk import billable_choice, content_words, expanded_words, subterm_rows
from suggest.guidelines.note import (
    RULE_SCORE,
    AddedCode,
    NoteView,
    add_codes,
    calibrated_confidence,
    guideline_mention,
    note_of,
)
from suggest.guidelines.registry import guideline_steps
from suggest.guidelines.site_words import index_site_words
from vocab.codeset import CodeSet, parse_code_references
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
# A diagnosis stated on its heading's line ("POSTOPERATIVE DIAGNOSIS: Acute perforated appendicitis").
_HEADING_RE = re.compile(r"^\s*(?:[A-Za-z-]+\s+){0,3}(?:diagnos[ie]s|impression)\s*:\s*", re.IGNORECASE)
# A heading alone on its line ("Assessment:"): the line after it states the assessment's diagnosis.
_HEADING_LINE_RE = re.compile(r"^\s*(?:assessment|impression|a)(?:\s*(?:&|and|/)\s*(?:plan|p))?\s*:\s*$", re.IGNORECASE)
_LIST_MARK_RE = re.compile(r"^\s*(?:#|\d+[.)]|[-*\u2022])\s*")
_DENIED_RE = re.compile(
    r"\b(?:w/o|without|no|not|negative for|neg for)\s+[a-z][a-z \-]*?"
    r"(?=\s+(?:d/t|due|with|w/|and|but|or)\b|[,.;:()\n]|$)",
    re.IGNORECASE,
)
# Diseases (A00-N99) and injuries by body region (S00-S99: the specificity step gives the walk's code the
# encounter's 7th character, I.C.19.a); pregnancy, external causes, poisonings (T) and Z codes have their own
# steps, and symptoms (R) are integral to a diagnosis more often than not.
_CODED_CHAPTERS = (("A00", "N99"), ("S00", "S99"))
# "-oid" ("resembling") makes a word of its own from a root: "hemorrhoids" is no form of "hemorrhage", nor
# "lymphoid" of "lymphoma" ("hemorrhoidal" is a form of "hemorrhoids": both are the -oid word).
_OID = "oid"
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
    """Codes of the Index entries the stated diagnoses name: added, or refining the listed code that reads the
    same finding less specifically (I.B.1, I.A.15)."""
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
        refined = [entry for entry in draft.in_category(item.code[:3]) if entry.code in broader]
        if not refined and _is_specific(context, item):
            # the ranker's reading of most of the clause's words is the same finding read less well (I.B.1)
            refined = _readers(draft, item)[:1]
        if item.code in draft:
            continue
        for entry in refined[:1]:
            # the provider's own statement of the diagnosis: as sure as a code added from it, and stated there
            if entry.score < RULE_SCORE:  # placed by the rule; its confidence stays on the ranker's scale
                entry.confidence = calibrated_confidence(entry.calibrated_score, context.threshold)
                entry.score = RULE_SCORE
            entry.mentions.append(guideline_mention(item.evidence, item.code))
            old = entry.code
            entry.code = item.code
            entry.refined_from.append(old)
            entry.cite(GUIDELINE, f"{item.rationale}: the subterm the diagnosis names, not {old}")
        if not refined and _is_specific(context, item):
            # a "with" combination the diagnosis names beside the category's other codes (E11.00 for "HHS in
            # DM2" beside E11.22): a separate finding of the same category (I.A.15, I.B.9)
            added.append(item)
    add_codes(draft, added, context.codeset, threshold=context.threshold)


def _is_specific(context: GuidelineContext, item: AddedCode) -> bool:
    """A code that names its finding: not an unspecified or "other" catch-all (those only ever restate a listed
    code of the category less specifically, I.B.2)."""
    title = context.codeset.codes[item.code].description.lower()
    return "unspecified" not in title and not title.startswith("other ")


def _readers(draft: CodeSetDraft, item: AddedCode) -> list[DraftCode]:
    """Listed codes of ``item``'s category whose own mentions (naming the code, an ancestor or a descendant:
    not a combination's components) rest on most of the clause's words, best score first: the ranker's reading
    of the finding the clause states."""
    clause = item.evidence[0]
    found = []
    for entry in draft.in_category(item.code[:3]):
        own = [code.replace(".", "") for code in (entry.code, *entry.refined_from)]
        for mention in entry.mentions:
            if mention.assertion in ("negated", "family", "hypothetical") or not _names(mention.codes, own):
                continue
            inside = clause.start <= mention.start and mention.end <= clause.end
            if inside and 2 * (mention.end - mention.start) >= clause.end - clause.start:
                found.append(entry)
                break
    return sorted(found, key=lambda entry: entry.score, reverse=True)


def _names(codes: tuple[str, ...], own: list[str]) -> bool:
    compacts = [code.replace(".", "") for code in codes]
    return any(code.startswith(mine) or mine.startswith(code) for code in compacts for mine in own)


def stated_diagnosis_codes(note: NoteView, index: AlphabeticIndex, codeset: CodeSet) -> list[AddedCode]:
    """One code per stated diagnosis clause that an Index main term and subterm walk reach."""
    return [item for item, _ in _stated_diagnoses(note, index, codeset)]


def _stated_diagnoses(
    note: NoteView, index: AlphabeticIndex, codeset: CodeSet
) -> list[tuple[AddedCode, frozenset[str]]]:
    """Each clause's code with the codes printed on the entries above it (the walk's broader readings)."""
    found: list[tuple[AddedCode, frozenset[str]]] = []
    seen: set[str] = set()
    after_heading = False
    for line in note.lines(*_SECTIONS):
        first_line, after_heading = after_heading, bool(_HEADING_LINE_RE.match(line.text))
        if line.section == "assessment_and_plan" and not _LIST_MARK_RE.match(line.text) and not first_line:
            # an assessment states its diagnoses as list items, or one diagnosis on the heading's next line;
            # the rest is plan and reasoning
            continue
        text = _LIST_MARK_RE.sub("", _HEADING_RE.sub("", line.text))
        clause_end = _CLAUSE_END_RE.search(text)
        clause = text[: clause_end.start()] if clause_end else text
        if len(clause.strip()) < 4 or _HISTORY_RE.match(clause) or _RULED_OUT_RE.search(clause):
            continue
        offset = line.start + (len(line.text) - len(line.text.lstrip())) + line.text.lstrip().find(clause.strip()[:8])
        for code, path, broader in _walk_clause(index, codeset, _DENIED_RE.sub(" ", clause)):
            if code in seen:
                continue
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
) -> list[tuple[str, tuple[str, ...], frozenset[str]]]:
    """The clause's best Index walk, and a second one from another main term when the clause names a second
    condition the first walk leaves out ("hypertensive heart disease w/ chronic HFpEF": the Tabular's "use
    additional code to identify the type of heart failure", I.A.15, I.B.9 multiple coding)."""
    words = expanded_words(clause, _abbreviations()) | _short_tokens(clause)
    words |= index_site_words(words)  # the Index's word for a site the clause names its own way ("sigmoid")
    walks = sorted(_clause_walks(index, codeset, words), key=lambda walk: walk[0], reverse=True)
    if not walks:
        return []
    first = walks[0]
    if _unspecified(codeset, first[1]):
        # another entry names the same category's condition with the words the first leaves unread ("poison
        # ivy" beside "Dermatitis, contact, allergic" L23.9): its specific code is the reading (I.B.2, I.A.9)
        first = next(
            (
                walk
                for walk in walks[1:]
                if walk[1][:3] == first[1][:3] and walk[4] - first[4] and not _unspecified(codeset, walk[1])
            ),
            first,
        )
    chosen = [first]
    for walk in walks:
        if walk[3].id == first[3].id or walk[1][:3] == first[1][:3]:
            continue
        if (walk[4] - first[4] and walk[0] >= (3, 0, 0)) or _asks_for(codeset, first[1], walk[1]):
            chosen.append(walk)  # a second condition the clause names, or one the first code asks to add
        break
    return [(code, index.path(term.id), _broader_codes(index, term)) for _, code, term, _, _ in chosen]


def _unspecified(codeset: CodeSet, code: str) -> bool:
    return "unspecified" in codeset.codes[code].description.lower()


def _asks_for(codeset: CodeSet, code: str, other: str) -> bool:
    """Whether ``code``'s Tabular "use additional code" notes name ``other``'s codes (I11.0: "type of heart
    failure (I50.-)")."""
    return any(
        reference.covers(other)
        for _, note in codeset.inherited_notes(code, "use_additional")
        for reference in parse_code_references(note)
    )


def _clause_walks(
    index: AlphabeticIndex, codeset: CodeSet, words: AbstractSet[str]
) -> list[tuple[tuple[int, int, int], str, IndexTerm, IndexTerm, frozenset[str]]]:
    """(key, code, subterm, main term, the essential words it uses) of each Index walk whose every essential word
    the clause says, the best walk per main term."""
    best: dict[int, tuple[tuple[int, int, int], str, IndexTerm, IndexTerm, frozenset[str]]] = {}
    said: dict[str, bool] = {}  # main terms and their walks share words: each is looked for once per clause
    for main, main_words in _terms_named(_main_table(index), words, said):
        for child, required, depth in _main_walks(index, main):
            if not all(_said_once(word, words, said) for word in required):
                continue
            if main_words & _BROAD_MAIN_TERMS and len(required) < 2:
                continue
            code = billable_choice(codeset, child.codes[0], words)
            if code is None or not _coded_chapter(code):
                continue
            key = (len(required) + len(main_words), depth, _title_support(codeset, code, words))
            if main.id not in best or key > best[main.id][0]:
                best[main.id] = (key, code, child, main, _used(words, required | main_words))
    # a lead of two or more words the clause says ("Poison ivy, oak, sumac or other plant dermatitis" L23.7) is a
    # specific condition by itself, unlike a one-word main term ("Dermatitis") whose own code a subterm refines
    for main, lead_words in _terms_named(_compound_table(index), words, said):
        code = billable_choice(codeset, main.codes[0], words)
        if code is None or not _coded_chapter(code) or main.id in best:
            continue
        key = (len(lead_words), 0, _title_support(codeset, code, words))
        best[main.id] = (key, code, main, main, _used(words, lead_words))
    return list(best.values())


def _coded_chapter(code: str) -> bool:
    return any(first <= code[:3] <= last for first, last in _CODED_CHAPTERS)


def _terms_named(
    table: dict[str, list[tuple[IndexTerm, frozenset[str]]]], words: AbstractSet[str], said: dict[str, bool]
) -> list[tuple[IndexTerm, frozenset[str]]]:
    """The terms of a stem table (:func:`_stem_table`) whose every word the clause says, each once (a term stands
    under the first letters of each of its words); ``said`` keeps each word's answer for the clause."""
    named = []
    seen: set[int] = set()
    for prefix in {word[:_STEM] for word in words}:
        for term, term_words in table.get(prefix, ()):
            if term.id in seen:
                continue
            seen.add(term.id)
            if all(_said_once(word, words, said) for word in term_words):
                named.append((term, term_words))
    return named


def _said_once(word: str, words: AbstractSet[str], said: dict[str, bool]) -> bool:
    """:func:`_said`, answered once per word and clause."""
    if word not in said:
        said[word] = _said(word, words)
    return said[word]


def _compound_table(index: AlphabeticIndex) -> dict[str, list[tuple[IndexTerm, frozenset[str]]]]:
    """Coded main terms of a lead of two or more words, by the first letters of each lead word."""
    return _stem_table(index, "index_terms.compound_table", _compound_lead)


def _compound_lead(main: IndexTerm) -> frozenset[str]:
    lead = _essential(main.title)
    catch_all = _CATCH_ALL_RE.search(main.title.split(",")[0])
    if not main.codes or len(lead) < 2 or lead & _GENERIC_MAIN_TERMS or catch_all:
        return frozenset()
    return lead


def _title_support(codeset: CodeSet, code: str, words: AbstractSet[str]) -> int:
    """How many of the clause's words the code's Tabular title says: two subterms the clause names equally
    ("hyperosmolar hyperglycemic state": "with hyperosmolarity" E11.00, "with hyperglycemia" E11.65) are
    verified in the Tabular List, whose title says more of the clause (I.B.1)."""
    title = _title_words(codeset.codes[code].description)
    return sum(1 for word in words if len(word) >= _STEM and any(_same_stem(word, own) for own in title))


@lru_cache(maxsize=16_384)
def _title_words(title: str) -> frozenset[str]:
    return content_words(title.replace("-", " "))


def _used(words: AbstractSet[str], essential: frozenset[str]) -> frozenset[str]:
    """The clause's words that a walk's essential words say."""
    return frozenset(word for word in words if any(_same_stem(own, word) or own == word for own in essential))


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
    stem = word[:_STEM]  # two forms of one word share their first _STEM letters (see _same_stem): compared first
    return any(other[:_STEM] == stem and _same_stem(word, other) for other in words)


def _same_stem(word: str, other: str) -> bool:
    """Two forms of one word: one a prefix of the other at most three letters apart ("emboli" / "embolism"), or
    an adjective and its noun that differ in their last letters only ("perforated" / "perforation",
    "hypertensive" / "hypertension", "metastatic" / "metastasis"); a verb form ("stricturing") is not the noun
    ("stricture"), nor an "-oid" word its root's ("hemorrhoids" / "hemorrhage")."""
    if len(other) < _STEM or abs(len(other) - len(word)) > 3:
        return False
    if other.startswith(word) or word.startswith(other):
        return True
    if word.endswith("ing") or other.endswith("ing"):
        return False
    shared = max(min(len(word), len(other)) - 3, _STEM + 2)
    if word[:shared] != other[:shared]:
        return False
    return (_OID in word[shared - 1 :]) == (_OID in other[shared - 1 :])


def _short_tokens(text: str) -> set[str]:
    """Single letters and numbers that name an entry ("hepatitis C", "stage 3", "class 2", "type 1")."""
    return {token.lower() for token in _SHORT_RE.findall(text)}


def _main_table(index: AlphabeticIndex) -> dict[str, list[tuple[IndexTerm, frozenset[str]]]]:
    """Main terms by the first letters of each essential word (built once per Index)."""
    return _stem_table(index, "index_terms.main_table", _named_main_words)


def _named_main_words(main: IndexTerm) -> frozenset[str]:
    words = _main_words(main.title)
    return frozenset() if not words or words & _GENERIC_MAIN_TERMS else words


def _stem_table(
    index: AlphabeticIndex, name: str, words_of: Callable[[IndexTerm], frozenset[str]]
) -> dict[str, list[tuple[IndexTerm, frozenset[str]]]]:
    """Main terms by the first letters of each of their ``words_of`` (none: left out), built once per Index."""
    cached = derived_table(name, index)
    if "table" not in cached:
        table: dict[str, list[tuple[IndexTerm, frozenset[str]]]] = defaultdict(list)
        for main in index.main_terms():
            words = words_of(main)
            for word in words:
                table[word[:_STEM]].append((main, words))
        cached["table"] = dict(table)
    stem_table: dict[str, list[tuple[IndexTerm, frozenset[str]]]] = cached["table"]
    return stem_table


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
    """A walk through an entry that names nothing but "other" / "specified" / "NEC" ("specified NEC"), or that
    ends on one; an entry naming its condition ("peritonitis NEC") is no catch-all on the way below it."""
    current: IndexTerm | None = term
    while current is not None and current.id != main.id:
        if _CATCH_ALL_RE.search(current.title) and (current is term or not _essential(current.title)):
            return True
        current = None if current.parent is None else index.term(current.parent)
    return False


def _essential(title: str) -> frozenset[str]:
    """The words an entry's title needs said: before its first comma, the first of "X or Y" alternatives
    ("perforation or rupture" is said by "perforated")."""
    text = _PARENTHESIS_RE.sub(" ", title.split(",")[0].split(" or ")[0])
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
