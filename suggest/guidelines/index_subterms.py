"""The Index subterm the note names, from the code's own Index entry (I.B.1 Alphabetic Index and Tabular List;
I.B.2 level of detail).

A code is found by locating the term in the Alphabetic Index, then reading down its subterms (I.B.1). The ranker
reaches a code by its Tabular title, often the default ("Rhinitis, allergic" -> J30.9, "Dermatitis, contact"
-> L25.9), while the Index prints the code the note's words name a level further down ("Rhinitis, allergic,
due to pollen" -> J30.1; "Dermatitis, contact, due to plants" -> L23.7). For each code in the list the step
finds the Index entries that print it and walks again from the entry above them with the words the note says of
the finding (its affirmed mentions' sentences): a subterm of the same category whose every title word the note
says, and that names more of them than the code's own entry, replaces the code (I.B.2: the highest level of
detail the documentation supports). Non-essential modifiers only ever help; a code of another category is never
reached this way (that is a different finding, for the combination and sequencing steps).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import NamedTuple

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.index_walk import billable_choice, content_words, expanded_words, subterm_rows
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet
from vocab.index import AlphabeticIndex, IndexTerm
from vocab.lexicon import Abbreviations, load_abbreviations

__all__ = ["index_subterm_code", "refine_by_index_subterm"]

SECTION = "I.B.1"
_SKIPPED_ASSERTIONS = ("negated", "family", "hypothetical")
# Title words that say nothing the note must state ("NEC" entries, the subterm "with" itself).
_FILLER = frozenset({"nec", "nos", "with", "due", "other", "specified", "unspecified", "type"})
# Words either side of a mention that still describe it ("ADHD, combined presentation").
_WINDOW = 6
_NUMBER_RE = re.compile(r"\b\d+[a-z]?\b")
_CATCH_ALL_RE = re.compile(r"\b(?:NEC|NOS|other|specified|unspecified)\b", re.IGNORECASE)
_PARENTHESIS_RE = re.compile(r"\([^)]*\)")
# Leading letters that make two words one ("hyperactive" / "hyperactivity").
_STEM = 7
_NEC_RE = re.compile(r"\bNEC\b")
_WITHOUT_RE = re.compile(r"\bwithout\b.*$", re.IGNORECASE)
# A phrase the note denies ("w/o macular edema", "no coma"): its words name no subterm.
_DENIED_RE = re.compile(
    r"\b(?:w/o|without|no|not|negative for|neg for)\s+[a-z][a-z \-]*?"
    r"(?=\s+(?:d/t|due|with|w/|and|but|or)\b|[,.;:()\n]|$)",
    re.IGNORECASE,
)


@guideline_steps.register("chartcoder.guidelines.index_subterms.v1")
def refine_by_index_subterm(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Replace each code by the same-category code of the Index subterm the note's words name (I.B.1, I.B.2)."""
    index = context.index("index")
    if index is None:
        return
    for entry in list(draft.entries):
        if entry not in draft.entries:
            continue
        if not any(own_words and walks for own_words, walks, _ in _code_walks(index, entry.code)):
            continue  # no Index entry of the code leads further down: the note's words are not read for it
        words = _words_of(entry, context)
        if not words:
            continue
        better = index_subterm_code(index, context.codeset, entry.code, words)
        if better is None:
            continue
        old = entry.code
        note = f"the Alphabetic Index subterm the note names leads to {better}, not {old}"
        if better in draft:  # already listed: it takes this entry's evidence
            draft.replace(
                [old], DraftCode(code=better, score=entry.score, mentions=list(entry.mentions)), SECTION, note
            )
            continue
        entry.code = better
        entry.refined_from.append(old)
        entry.cite(SECTION, note)


def index_subterm_code(index: AlphabeticIndex, codeset: CodeSet, code: str, words: AbstractSet[str]) -> str | None:
    """The billable code of ``code``'s category that an Index subterm below or beside ``code``'s own entry
    prints, when ``words`` say every essential word of the walk to it and more of them than ``code``'s own
    entry (as many, when that entry is an "NEC" one); None otherwise."""
    best: tuple[tuple[int, int], str] | None = None
    for own_words, walks, by_word in _code_walks(index, code):
        if not own_words or not own_words <= words:
            continue  # the note does not name this entry of the code
        # only the walks one of whose words the note says can be said in full (one in a few hundred is), taken
        # in the entry's order: the first of equally good walks wins
        named = {position for word in (*words, "") for position in by_word.get(word, ())}
        for position in sorted(named):
            walk = walks[position]
            if not walk.required <= words:
                continue
            chosen = billable_choice(codeset, walk.printed, words)
            if chosen is None or chosen == code or chosen[:3] != code[:3] or _below_dependence(code, chosen):
                continue
            key = (walk.new_words, walk.depth)
            if best is None or key > best[0]:
                best = (key, chosen)
    return best[1] if best is not None else None


def _below_dependence(code: str, chosen: str) -> bool:
    """A dependence code (F1x.2-) read again as abuse or use ("alcohol use disorder, severe" is dependence):
    dependence stands for abuse and use of the same substance, never the reverse (I.C.5.b.2)."""
    return code[:2] == "F1" and code[4:5] == "2" and chosen[4:5] != "2"


class _Walk(NamedTuple):
    """One subterm walk from a code's entry: its essential words, how many of them the code's own entry does
    not already say, the code the subterm prints and its depth."""

    required: frozenset[str]
    new_words: int
    printed: str
    depth: int


class _EntryWalks(NamedTuple):
    """An Index entry printing a code: its essential words, its subterm walks, and the walks by each of their
    essential words (position in ``walks``; a walk of no essential word under "")."""

    own_words: frozenset[str]
    walks: tuple[_Walk, ...]
    by_word: dict[str, tuple[int, ...]]


def _code_walks(index: AlphabeticIndex, code: str) -> tuple[_EntryWalks, ...]:
    """For each Index entry printing ``code``: its essential words and the subterm walks that could refine it.
    They depend on the Index alone, so they are worked out once per code, not once per note."""
    cached = derived_table("index_subterms.code_walks", index)
    walks = cached.get(code)
    if walks is None:
        walks = tuple(
            _with_words(*_entry_walks(index, index.term(term_id))) for term_id in _entries(index).get(code, ())
        )
        cached[code] = walks
    return walks


def _with_words(own_words: frozenset[str], walks: tuple[_Walk, ...]) -> _EntryWalks:
    by_word: dict[str, list[int]] = defaultdict(list)
    for position, walk in enumerate(walks):
        for word in walk.required or ("",):
            by_word[word].append(position)
    return _EntryWalks(own_words, walks, {word: tuple(positions) for word, positions in by_word.items()})


def _entry_walks(index: AlphabeticIndex, term: IndexTerm) -> tuple[frozenset[str], tuple[_Walk, ...]]:
    known = _stems(_walk_words(index, term, None))  # what the code's own entry already says
    starts = [(term, False)]
    if term.parent is not None and _NEC_RE.search(term.title):
        # "seasonal NEC": a sibling entry the note names is the more specific one (I.A.9.a)
        starts.append((index.term(term.parent), True))
    walks = []
    for start, beside in starts:
        for child, _, _, _, depth in subterm_rows(index, start, keep=False):
            if not child.codes or (beside and _is_within(index, child, term)) or _is_catch_all(index, child, start):
                continue
            required = _walk_words(index, child, start)
            new_words = sum(1 for word in required if word[:_STEM] not in known)
            if new_words and not any(word.isdigit() for word in required):
                walks.append(_Walk(required, new_words, child.codes[0], depth))
    return _required(term), tuple(walks)


def _words(text: str) -> frozenset[str]:
    """Content words and numbers ("stage 4") of ``text``, the filler left out."""
    return (content_words(text) | frozenset(_NUMBER_RE.findall(text))) - _FILLER


def _is_catch_all(index: AlphabeticIndex, term: IndexTerm, start: IndexTerm) -> bool:
    """A walk through a "with" subterm (a combination, the combination step's) or ending on a catch-all
    ("specified NEC", "other"): never a more specific reading of the code (I.A.9, I.A.15)."""
    if _CATCH_ALL_RE.search(term.title):
        return True
    current: IndexTerm | None = term
    while current is not None and current.id != start.id:
        if current.title.strip().lower() in ("with", "without"):
            return True
        current = None if current.parent is None else index.term(current.parent)
    return False


def _stems(words: AbstractSet[str]) -> frozenset[str]:
    return frozenset(word[:_STEM] for word in words)


def _required(term: IndexTerm) -> frozenset[str]:
    """The essential words of one entry's title: before its first comma ("plants, non-food" needs "plants")."""
    return _title_words(term.title)


@lru_cache(maxsize=65_536)
def _title_words(title: str) -> frozenset[str]:
    return _words(_PARENTHESIS_RE.sub(" ", _WITHOUT_RE.sub("", title.split(",")[0])))


def _walk_words(index: AlphabeticIndex, term: IndexTerm, start: IndexTerm | None) -> frozenset[str]:
    """The essential title words of the walk from ``start`` (excluded; None: the main term) down to ``term``."""
    words: frozenset[str] = frozenset()
    current: IndexTerm | None = term
    while current is not None and (start is None or current.id != start.id):
        words |= _required(current)
        current = None if current.parent is None else index.term(current.parent)
    return words


def _is_within(index: AlphabeticIndex, term: IndexTerm, ancestor: IndexTerm) -> bool:
    current: IndexTerm | None = term
    while current is not None:
        if current.id == ancestor.id:
            return True
        current = None if current.parent is None else index.term(current.parent)
    return False


def _entries(index: AlphabeticIndex) -> dict[str, list[int]]:
    """The Index entries printing each code (a code stem "J30.1" as printed), built once per Index."""
    cached = derived_table("index_subterms.entries", index)
    if "entries" not in cached:
        found: dict[str, list[int]] = defaultdict(list)
        for term in index.terms:
            for printed in term.codes:
                found[printed.rstrip("-").rstrip(".")].append(term.id)
        cached["entries"] = dict(found)
    return cached["entries"]


def _words_of(entry: DraftCode, context: GuidelineContext) -> set[str]:
    """The words the note says of the finding: each affirmed mention and at most ``_WINDOW`` words either side in
    its sentence, abbreviations spelled out, denied phrases left out (never words elsewhere, I.B.2)."""
    words: set[str] = set()
    said_near = context.memo("index_subterms.said_near")  # entries share mentions: each is read once per note
    for mention in entry.mentions:
        if mention.assertion in _SKIPPED_ASSERTIONS:
            continue
        key = (mention.start, mention.end)
        said = said_near.get(key)
        if said is None:
            said = said_near[key] = _said_near(context, mention.start, mention.end)
        words |= said
    return words


def _said_near(context: GuidelineContext, start: int, end: int) -> frozenset[str]:
    sentence = context.sentence_around(start, end)
    own = context.lowered[start:end]
    at = sentence.find(own)
    if at != -1:
        before, after = sentence[:at].split()[-_WINDOW:], sentence[at + len(own) :].split()[:_WINDOW]
        sentence = " ".join((*before, own, *after))
    said = _DENIED_RE.sub(" ", sentence)
    return frozenset(expanded_words(said, _abbreviations())) | frozenset(_NUMBER_RE.findall(said))


@lru_cache(maxsize=1)
def _abbreviations() -> Abbreviations:
    return load_abbreviations()
