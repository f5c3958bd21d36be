"""Walking the Alphabetic Index the way a coder does: from a main term, the subterm the note's words name.

Shared by the rule modules that read Index entries ("History, family", "History, personal > allergy",
"Status", "Absence", the External Cause Index): word overlap between the note's phrase and the subterm
titles (non-essential modifiers count too), the deepest best-matching subterm wins; a printed code that is
incomplete ("Z90.1-") or not billable becomes the billable child the words support, else its default child.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from functools import lru_cache

from suggest.guidelines.derived import derived_table
from vocab.codeset import CodeSet
from vocab.index import AlphabeticIndex, IndexTerm
from vocab.lexicon import Abbreviations
from vocab.text import STOPWORDS, normalize_tokens

__all__ = ["best_subterm", "billable_choice", "content_words", "expanded_words", "level_words", "subterm_rows"]

_WITHOUT_RE = re.compile(r"\bwithout\b.*$", re.IGNORECASE)
_SIDES = {"l": "left", "lt": "left", "r": "right", "rt": "right", "b": "bilateral", "bilat": "bilateral"}
# Words every title has: they say nothing about which child code the note supports.
_GENERIC_WORDS = frozenset({"disease", "disorder", "condition", "history", "family", "personal", "status"})
_DEFAULT_WORDS = ("unspecified", "other", "without complication")
# Words that qualify a subterm but never name one alone ("bilateral" must not pick "oophorectomy, bilateral").
_QUALIFIERS = frozenset(
    "left right bilateral unilateral acquired status history personal family chronic acute total partial "
    "complete post s p female male drug medication medicament medicinal agent substance".split()
)


@lru_cache(maxsize=65536)
def content_words(text: str) -> frozenset[str]:
    return frozenset(word for word in normalize_tokens(text) if word not in STOPWORDS and len(word) > 1)


def best_subterm(
    index: AlphabeticIndex, parent: IndexTerm, words: AbstractSet[str], min_overlap: int = 1, follow_see: bool = True
) -> tuple[IndexTerm, int] | None:
    """The coded subterm under ``parent`` sharing the most words with ``words`` (deeper wins a tie).

    Every subterm is read (a food allergy sits under "food"); a subterm whose words match but that only says
    "see X" is followed to X's subterms ("Status, transplant - see Transplant").
    """
    best: tuple[tuple[int, int, int], IndexTerm] | None = None

    def consider(term: IndexTerm, path_words: frozenset[str], path_titles: frozenset[str], depth: int) -> None:
        nonlocal best
        matched = len(path_words & words)
        # title words of the walk the note does not say count against it ("kidney stones" beats "malignant
        # neoplasm, kidney" for "calculus of kidney"); non-essential modifiers only ever help
        key = (matched - len(path_titles - words), matched, depth)
        if (term.codes or term.columns) and matched >= min_overlap and (best is None or key > best[0]):
            best = (key, term)

    for child, title_words, path_words, path_titles, depth in subterm_rows(index, parent):
        if not (title_words & words) - _QUALIFIERS:
            continue
        consider(child, path_words, path_titles, depth)
        if child.see and not child.codes and follow_see:
            target = index.resolve_see(child.id)
            if target is not None:
                consider(target, path_words, path_titles, depth)
                found = best_subterm(index, target, words - path_words, min_overlap, follow_see=False)
                if found is not None:
                    found_titles = content_words(found[0].title)
                    consider(found[0], path_words | found_titles, path_titles | found_titles, depth + 1)

    if best is None:
        return None
    return best[1], len(_path_words(index, best[1], parent) & words)


def subterm_rows(
    index: AlphabeticIndex, parent: IndexTerm, keep: bool = True
) -> list[tuple[IndexTerm, frozenset[str], frozenset[str], frozenset[str], int]]:
    """Every subterm under ``parent`` with its words, the words of its walk (titles and modifiers; titles
    only) and its depth - computed once per index entry (the Index is read-only while the engine runs).
    ``keep=False``: a caller that keeps what it derives from the rows itself (once per entry) has them
    computed without keeping them (tens of MB over the Index's large main terms)."""
    walks = derived_table("index_walk.subterm_rows", index)
    key = parent.id
    if key not in walks:
        rows: list[tuple[IndexTerm, frozenset[str], frozenset[str], frozenset[str], int]] = []

        # a large entry ("Disease") has thousands of subterms: a row shares an equal set it already holds (a walk
        # without non-essential modifiers has the same words and titles) rather than keep a copy of it
        def visit(term: IndexTerm, path_words: frozenset[str], path_titles: frozenset[str], depth: int) -> None:
            for child in index.children(term.id):
                titles = content_words(_WITHOUT_RE.sub("", child.title))
                modifiers = content_words(" ".join(child.nemod))
                title_words = titles | modifiers if modifiers else titles
                walk_words = path_words | title_words if path_words else title_words
                if path_titles is path_words and titles is title_words:
                    walk_titles = walk_words
                else:
                    walk_titles = path_titles | titles if path_titles else titles
                rows.append((child, title_words, walk_words, walk_titles, depth))
                visit(child, walk_words, walk_titles, depth + 1)

        nothing: frozenset[str] = frozenset()
        visit(parent, nothing, nothing, 0)
        if not keep:
            return rows
        walks[key] = rows
    return walks[key]


def _path_words(index: AlphabeticIndex, term: IndexTerm, parent: IndexTerm) -> set[str]:
    words: set[str] = set()
    current: IndexTerm | None = term
    while current is not None and current.id != parent.id:
        words |= level_words(current)
        current = None if current.parent is None else index.term(current.parent)
    return words


def level_words(term: IndexTerm) -> frozenset[str]:
    """The words one level of an Index walk says: its title and non-essential modifiers, less a "without" clause."""
    return content_words(_WITHOUT_RE.sub("", " ".join((term.title, *term.nemod))))


def expanded_words(text: str, abbreviations: Abbreviations | None = None) -> set[str]:
    """The content words of ``text`` plus those of each reviewed abbreviation's first sense ("CABG")."""
    words = set(content_words(text))
    words.update(_SIDES[side] for side in map(str.lower, _LETTERS_RE.findall(text)) if side in _SIDES)
    if abbreviations is not None:
        sense_words = _sense_words(abbreviations)
        for word in _ABBREVIATION_RE.findall(text):
            found = sense_words.get(word)
            if found is None:
                if len(sense_words) > _SENSE_WORDS_LIMIT:
                    sense_words.clear()
                found = sense_words[word] = _abbreviation_words(word, abbreviations)
            if found:
                words |= found
    return words


_LETTERS_RE = re.compile(r"[A-Za-z]+")
_ABBREVIATION_RE = re.compile(r"[A-Za-z][A-Za-z0-9/]+")
_SENSE_WORDS_LIMIT = 50_000


def _sense_words(abbreviations: Abbreviations) -> dict[str, frozenset[str]]:
    """Word as written -> the words it adds as an abbreviation: the same for every note, so worked out once per
    word (a note's words are looked up, not expanded again)."""
    return derived_table("index_walk.sense_words", abbreviations)


def _abbreviation_words(word: str, abbreviations: Abbreviations) -> frozenset[str]:
    senses = abbreviations.expand(word.lower())
    # a word in lower case is the English word unless chartcoder's reviewed list has it ("copd"): "cold
    # snare" is no chronic obstructive lung disease (COLD), "a central scar" no SCAR
    if senses and (abbreviations.is_reviewed(word.lower()) or (len(senses) == 1 and not word.islower())):
        return content_words(senses[0])
    return frozenset()


def billable_choice(codeset: CodeSet, printed: str, words: AbstractSet[str]) -> str | None:
    """A billable code for an Index pointer: itself, or the descendant whose title the words support."""
    code = printed.rstrip("-").rstrip(".")
    record = codeset.get(code)
    if record is None:
        return None
    if record.billable:
        return record.code
    options = codeset.billable_descendants(record.code)
    if not options:
        return None

    def support(option) -> tuple[int, int, int]:
        # words the child adds to its parent's title: each one the note says counts for it, each one it does
        # not say counts against it ("obesity" must not be chosen for hypothyroidism); "unspecified" / "other"
        # are neutral and make the default child win a tie
        extra = content_words(option.description) - content_words(record.description) - _GENERIC_WORDS
        neutral = {word for word in extra if word in ("unspecified", "other")}
        said = len(extra & words)
        default = int(any(word in option.description.lower() for word in _DEFAULT_WORDS))
        return (said - len(extra - words - neutral), default, -len(option.code))

    return max(options, key=support).code
