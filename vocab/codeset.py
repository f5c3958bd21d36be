"""The ICD-10-CM code set: codes, titles, hierarchy, instructional notes and 7th characters.

A :class:`CodeSet` is built once from the Tabular List (see :mod:`vocab.build`), saved as a versioned,
hash-checked artifact, and loaded from disk in a fraction of a second. Nothing here imports the
Tabular List package: loading never rebuilds.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from vocab.codes import CODE_REFERENCE_RE, compact_code, normalize_code, with_placeholders
from vocab.errors import InvalidCodeError, UnknownCodeError

__all__ = [
    "NOTE_FIELDS",
    "Code",
    "CodeRange",
    "CodeSet",
    "Grouping",
]

# Instructional notes carried per code, in the order the Tabular List prints them.
NOTE_FIELDS = (
    "inclusion_terms",
    "includes",
    "excludes1",
    "excludes2",
    "code_first",
    "use_additional",
    "code_also",
    "notes",
)


class Code(NamedTuple):
    """One code of the Tabular List (category, subcategory or 7th-character code).

    A named tuple rather than a dataclass: 98,000 of them are built at every start, and tuples build
    several times faster.
    """

    code: str
    description: str
    billable: bool
    parent: str | None
    children: tuple[str, ...]
    chapter: str
    block: str
    inclusion_terms: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    excludes1: tuple[str, ...] = ()
    excludes2: tuple[str, ...] = ()
    code_first: tuple[str, ...] = ()
    use_additional: tuple[str, ...] = ()
    code_also: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    seventh_note: str | None = None
    seventh_characters: tuple[tuple[str, str], ...] = ()

    @property
    def level(self) -> int:
        """3 for a category, up to 7 for a code with a 7th character."""
        return len(self.code.replace(".", ""))


@dataclass(frozen=True, slots=True)
class Grouping:
    """A chapter ("9") or a block ("I10-I1A") with its title, range and the notes printed under it."""

    id: str
    title: str
    first: str
    last: str
    chapter: str
    inclusion_terms: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    excludes1: tuple[str, ...] = ()
    excludes2: tuple[str, ...] = ()
    code_first: tuple[str, ...] = ()
    use_additional: tuple[str, ...] = ()
    code_also: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CodeRange:
    """A reference from a note: one code ("Z79.4"), a branch ("E10.-") or a span ("N18.1-N18.6")."""

    first: str
    last: str
    text: str
    _first_compact: str = field(init=False, repr=False, compare=False)
    _last_compact: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_first_compact", self.first.replace(".", ""))
        object.__setattr__(self, "_last_compact", self.last.replace(".", ""))

    def covers(self, code: str) -> bool:
        return self.covers_compact(compact_code(code))

    def covers_compact(self, compact: str) -> bool:
        """``covers`` for a code already in compact form (``E1122``), for hot loops."""
        last = self._last_compact
        return self._first_compact <= compact and compact[: len(last)] <= last


_SPACE_RE = re.compile(r"\s+")


@lru_cache(maxsize=65_536)  # a release has a few thousand distinct notes, read again for every note coded
def parse_code_references(note: str) -> tuple[CodeRange, ...]:
    """Code references inside an instructional note, e.g. ``"type 1 diabetes mellitus (E10.-)"``.

    ``"N18.1-N18.6"`` is one span; ``"E10.-"`` and ``"O24.4-"`` name a branch, which a span from and to the
    same code already covers.
    """
    ranges = []
    for match in CODE_REFERENCE_RE.finditer(note):
        first, last = match.group("first"), match.group("last") or match.group("first")
        ranges.append(CodeRange(first=normalize_code(first), last=normalize_code(last), text=match.group(0)))
    return tuple(ranges)


@dataclass
class CodeSet:
    """All codes of one release, with chapters and blocks, queried by canonical or loose code text."""

    release: str
    codes: dict[str, Code]
    chapters: dict[str, Grouping]
    blocks: dict[str, Grouping]
    metadata: dict[str, str] = field(default_factory=dict)
    # Prior code -> current codes, from the release's conversion table (set on load from its own artifact part,
    # never stored in the tabular part: the code set's hash stays that of the Tabular List).
    successors: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def successor(self, text: str) -> str | None:
        """The one current code the conversion table names for a prior code, or None (none, or several: a coder
        must choose)."""
        try:
            found = self.successors.get(normalize_code(text), ())
        except InvalidCodeError:
            return None
        return found[0] if len(found) == 1 and found[0] in self.codes else None

    def share_with(self, other: CodeSet) -> int:
        """Hold ``other``'s record of every code that is the same in both releases (most of them: a release
        changes a few hundred codes), so that two releases in one process keep one copy; how many were shared."""
        shared = 0
        for code, record in self.codes.items():
            theirs = other.codes.get(code)
            if theirs is not None and theirs is not record and theirs == record:
                self.codes[code] = theirs
                shared += 1
        return shared

    # --- storage: plain values (the artifact stores msgpack, never a pickle) ------------------------
    def to_state(self) -> dict[str, Any]:
        """Plain values (str, bool, None, tuples) in field order; :meth:`from_state` reads them back."""
        return {
            "release": self.release,
            "metadata": dict(self.metadata),
            "codes": [tuple(code) for code in self.codes.values()],
            "chapters": [_grouping_row(grouping) for grouping in self.chapters.values()],
            "blocks": [_grouping_row(grouping) for grouping in self.blocks.values()],
        }

    @classmethod
    def from_state(cls, state: Any) -> CodeSet:
        # Code is a named tuple: its fields are rows of the stored list (nested tuples stay tuples).
        codes = [Code._make(row) for row in state["codes"]]
        chapters = [Grouping(*row) for row in state["chapters"]]
        blocks = [Grouping(*row) for row in state["blocks"]]
        return cls(
            release=str(state["release"]),
            codes={code.code: code for code in codes},
            chapters={grouping.id: grouping for grouping in chapters},
            blocks={grouping.id: grouping for grouping in blocks},
            metadata=dict(state["metadata"]),
        )

    # --- lookup -------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self.get(text) is not None

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes.values())

    def get(self, text: str) -> Code | None:
        """The code for ``text`` in any accepted spelling, or None (also None for text that is not a code)."""
        try:
            return self.codes.get(normalize_code(text))
        except InvalidCodeError:
            return None

    def resolve(self, text: str) -> Code:
        """Like :meth:`get` but raising a clear error: :class:`InvalidCodeError` or :class:`UnknownCodeError`."""
        # the engine asks with canonical codes (block_of, inherited_notes: 80,000 calls on 300 notes); a canonical
        # key is its own normal form, so the lookup comes first and the regex normalising only on a miss
        code = self.codes.get(text) if isinstance(text, str) else None
        if code is not None:
            return code
        canonical = normalize_code(text)
        code = self.codes.get(canonical)
        if code is None:
            raise UnknownCodeError(f"{canonical} is not a code in ICD-10-CM {self.release}.")
        return code

    def is_valid(self, text: str) -> bool:
        return self.get(text) is not None

    def is_billable(self, text: str) -> bool:
        code = self.get(text)
        return code is not None and code.billable

    # --- hierarchy ----------------------------------------------------------------------------------
    @cached_property
    def _sorted_compact(self) -> list[str]:
        return sorted(code.replace(".", "") for code in self.codes)

    def ancestors(self, text: str) -> list[Code]:
        """Parent first, category last."""
        code = self.resolve(text)
        chain = []
        while code.parent is not None:
            code = self.codes[code.parent]
            chain.append(code)
        return chain

    def descendants(self, text: str) -> list[Code]:
        found: list[Code] = []
        stack = list(reversed(self.resolve(text).children))
        while stack:
            code = self.codes[stack.pop()]
            found.append(code)
            stack.extend(reversed(code.children))
        return found

    def billable_descendants(self, text: str) -> list[Code]:
        """A billable code itself, or every billable code under a category / subcategory."""
        code = self.resolve(text)
        if code.billable:
            return [code]
        found = self._billable_descendants_cache.get(code.code)
        if found is None:
            found = tuple(descendant for descendant in self.descendants(code.code) if descendant.billable)
            self._billable_descendants_cache[code.code] = found
        return list(found)

    @cached_property
    def _billable_descendants_cache(self) -> dict[str, tuple[Code, ...]]:
        return {}

    def with_prefix(self, prefix: str, limit: int | None = None) -> list[Code]:
        """Codes whose compact form starts with ``prefix`` (``"e112"`` -> E11.2, E11.21, ...), in code order."""
        compact = prefix.strip().upper().replace(".", "").replace(" ", "")
        if not compact:
            return []
        keys = self._sorted_compact
        start = bisect.bisect_left(keys, compact)
        found: list[Code] = []
        for key in keys[start:]:
            if not key.startswith(compact) or (limit is not None and len(found) >= limit):
                break
            found.append(self.codes[normalize_code(key)])
        return found

    def chapter_of(self, text: str) -> Grouping:
        return self.chapters[self.resolve(text).chapter]

    def block_of(self, text: str) -> Grouping:
        return self.blocks[self.resolve(text).block]

    # --- instructional notes ------------------------------------------------------------------------
    def inherited_notes(self, text: str, note_field: str) -> list[tuple[str, str]]:
        """``(where, note)`` pairs for a note field on the code, its ancestors, its block and chapter.

        Notes printed under a category apply to every code in it, so a coder reads upwards.
        """
        if note_field not in NOTE_FIELDS:
            raise ValueError(f"unknown note field {note_field!r}; expected one of {', '.join(NOTE_FIELDS)}")
        code = self.resolve(text)
        key = (code.code, note_field)
        notes = self._inherited_notes_cache.get(key)
        if notes is None:
            sources: list[tuple[str, Code | Grouping]] = [(code.code, code)]
            sources += [(ancestor.code, ancestor) for ancestor in self.ancestors(code.code)]
            sources.append((code.block, self.blocks[code.block]))
            sources.append((f"chapter {code.chapter}", self.chapters[code.chapter]))
            notes = tuple((where, note) for where, source in sources for note in getattr(source, note_field))
            self._inherited_notes_cache[key] = notes
        return list(notes)

    @cached_property
    def _inherited_notes_cache(self) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
        # read for every candidate of every note; a code's notes never change within a release
        return {}

    def seventh_characters(self, text: str) -> dict[str, str]:
        """The 7th characters that apply to a code, inherited from the nearest ancestor that defines them."""
        code = self.resolve(text)
        for candidate in [code, *self.ancestors(code.code)]:
            if candidate.seventh_characters:
                return dict(candidate.seventh_characters)
        return {}

    def needs_seventh_character(self, text: str) -> bool:
        code = self.resolve(text)
        return not code.billable and code.level < 7 and bool(self.seventh_characters(code.code))

    def build_seventh(self, text: str, seventh: str) -> Code:
        """``build_seventh("S52.521", "A")`` -> S52.521A, with placeholder X where the code is short."""
        base = self.resolve(text)
        allowed = self.seventh_characters(base.code)
        if not allowed:
            raise InvalidCodeError(f"{base.code} takes no 7th character.")
        if seventh.upper() not in allowed:
            choices = ", ".join(f"{char} ({meaning})" for char, meaning in allowed.items())
            raise InvalidCodeError(f"{seventh!r} is not a 7th character for {base.code}; choose one of: {choices}.")
        return self.resolve(with_placeholders(base.code, seventh))

    @cached_property
    def _excludes1_cache(self) -> dict[str, list[tuple[str, CodeRange]]]:
        return {}

    def excludes1_references(self, text: str) -> list[tuple[str, CodeRange]]:
        """Code ranges that the code's Excludes1 notes (own and inherited) name (parsed once per code)."""
        code = self.resolve(text).code
        cached = self._excludes1_cache.get(code)
        if cached is None:
            cached = [
                (note, reference)
                for _, note in self.inherited_notes(code, "excludes1")
                for reference in parse_code_references(note)
            ]
            self._excludes1_cache[code] = cached
        return cached

    def excludes1_conflict(self, first: str, second: str) -> str | None:
        """The Excludes1 note that forbids coding ``first`` and ``second`` together, or None.

        Excludes1 means "not coded here": the pair is a conflict whichever side prints the note.
        """
        conflicts = self.excludes1_conflicts([first, second])
        return conflicts[0][2] if conflicts else None

    def excludes1_conflicts(self, codes: Sequence[str]) -> list[tuple[int, int, str]]:
        """``(i, j, note)`` for every pair ``codes[i]``, ``codes[j]`` (i < j) that an Excludes1 note forbids
        together, in pair order. The note is the first of ``codes[i]``'s notes that names ``codes[j]``, else the
        first of ``codes[j]``'s that names ``codes[i]``. Each reference finds the codes it covers by bisection
        in the sorted list, rather than being tried against every other code."""
        compact = [compact_code(code) for code in codes]
        order = sorted(range(len(codes)), key=compact.__getitem__)
        keys = [compact[index] for index in order]
        naming: dict[tuple[int, int], str] = {}  # (notes of, code named) -> the first such note
        for this, code in enumerate(codes):
            for note, reference in self.excludes1_references(code):
                if reference.covers_compact(compact[this]):
                    continue
                for other in _covered(reference, keys, order):
                    if other != this:
                        naming.setdefault((this, other), note)
        conflicts = []
        for i, j in sorted({(min(pair), max(pair)) for pair in naming}):
            conflicts.append((i, j, naming.get((i, j)) or naming[(j, i)]))
        return conflicts

    # --- counts -------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        billable = sum(1 for code in self.codes.values() if code.billable)
        return {
            "codes": len(self.codes),
            "billable_codes": billable,
            "categories": sum(1 for code in self.codes.values() if code.level == 3),
            "chapters": len(self.chapters),
            "blocks": len(self.blocks),
        }

    def iter_billable(self) -> Iterable[Code]:
        return (code for code in self.codes.values() if code.billable)


def _grouping_row(grouping: Grouping) -> tuple[Any, ...]:
    return tuple(getattr(grouping, column.name) for column in fields(Grouping))


def _covered(reference: CodeRange, sorted_compact: list[str], order: list[int]) -> Iterator[int]:
    """Indices (into the caller's list) of the codes in ``sorted_compact`` that ``reference`` covers."""
    position = bisect.bisect_left(sorted_compact, reference._first_compact)
    while position < len(sorted_compact) and reference.covers_compact(sorted_compact[position]):
        yield order[position]
        position += 1


def collapse_space(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()
