"""The ICD-10-CM Alphabetic Index: official CDC XML files and the CSV conversion -> term tree -> coded paths.

Four indexes share one shape here, an :class:`AlphabeticIndex` of :class:`IndexTerm` rows in document order:

- ``index``: the Index to Diseases and Injuries (official ``ICD10CM.index`` XML, or the CSV conversion);
- ``eindex``: the External Cause of Injuries Index (same XML format);
- ``drug`` and ``neoplasm``: the Table of Drugs and Chemicals and the Neoplasm Table, whose codes sit in
  table columns (``IndexTerm.columns``) rather than in ``IndexTerm.codes``.

A coder walks the index from a main term down through subterms; :meth:`AlphabeticIndex.coded_paths` flattens
that walk into one :class:`CodedPath` per printed code. Index codes are only pointers: codes ending with
``-`` are incomplete, and every code must be confirmed in the Tabular List (:func:`validate_codes`).

Everything is parsed in explicit ``read_*`` calls with the standard library only; nothing runs at import.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from vocab.codes import looks_like_code, normalize_code
from vocab.errors import IndexFormatError

__all__ = [
    "CSV_HEADER",
    "DRUG_COLUMNS",
    "INDEX_SOURCES",
    "NEOPLASM_COLUMNS",
    "AlphabeticIndex",
    "CodedPath",
    "IndexTerm",
    "IndexValidation",
    "InvalidIndexCode",
    "read_index",
    "read_index_csv",
    "read_index_xml",
    "validate_codes",
]

INDEX_SOURCES = ("index", "eindex", "drug", "neoplasm")

# Stable keys for the table columns, in the order the official tables print them.
DRUG_COLUMNS = (
    "poisoning_accidental",
    "poisoning_intentional",
    "poisoning_assault",
    "poisoning_undetermined",
    "adverse_effect",
    "underdosing",
)
NEOPLASM_COLUMNS = (
    "malignant_primary",
    "malignant_secondary",
    "in_situ",
    "benign",
    "uncertain_behavior",
    "unspecified_behavior",
)

CSV_HEADER = ("RowID", "Letter", "Level", "Term", "See", "SeeAlso", "NonEssModif", "Code")

_XML_ROOT = "ICD10CM.index"
_RECORDS_FORMAT = "chartcoder.alphabetic-index"
_RECORDS_VERSION = 1

# Column headings as the tables print them, lower-cased with parenthesised parts and punctuation removed.
_KNOWN_COLUMN_HEADINGS = {
    "poisoning accidental": "poisoning_accidental",
    "poisoning intentional self harm": "poisoning_intentional",
    "poisoning assault": "poisoning_assault",
    "poisoning undetermined": "poisoning_undetermined",
    "adverse effect": "adverse_effect",
    "underdosing": "underdosing",
    "malignant primary": "malignant_primary",
    "malignant secondary": "malignant_secondary",
    "ca in situ": "in_situ",
    "carcinoma in situ": "in_situ",
    "benign": "benign",
    "uncertain behavior": "uncertain_behavior",
    "unspecified behavior": "unspecified_behavior",
}

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_RELEASE_DATE_RE = re.compile(rf"({_MONTHS})[-_ ](\d{{1,2}})[-_ ,]+(\d{{4}})", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_SIMPLE_MODIFIERS_RE = re.compile(r"\s*(?:\([^()]*\)\s*)+")
_MODIFIER_GROUP_RE = re.compile(r"\(([^()]*)\)")
_SPACE_BEFORE_COMMA_RE = re.compile(r"\s+([,;])")
_XML_ENCODING_RE = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_UTF8_NAMES = {"utf-8", "utf8"}
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_COMPRESSED_SUFFIXES = (".gz", ".xz")
_MAX_DECOMPRESSED_BYTES = 256 << 20


# --------------------------------------------------------------------------------------------- data types


@dataclass(frozen=True, slots=True)
class IndexTerm:
    """One main term or subterm, as printed, with what it points to."""

    id: int
    parent: int | None
    level: int
    title: str
    nemod: tuple[str, ...]
    codes: tuple[str, ...]
    manifestation: tuple[str, ...]
    see: str | None
    see_also: str | None
    columns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CodedPath:
    """One printed code and the walk that leads to it, e.g. Pneumonia > aspiration -> J69.0."""

    path: tuple[str, ...]
    code: str
    nemod: tuple[str, ...]
    column: str | None
    term_id: int
    source: str


@dataclass(frozen=True, slots=True)
class InvalidIndexCode:
    path: tuple[str, ...]
    code: str
    reason: str
    column: str | None = None


@dataclass(frozen=True, slots=True)
class IndexValidation:
    total_codes: int
    valid: int
    invalid: tuple[InvalidIndexCode, ...]


@dataclass(frozen=True, slots=True, weakref_slot=True)  # weakly referable: what the engine derives from it
class AlphabeticIndex:
    """An index as a tree of terms; ``terms[i].id == i`` and a parent always precedes its children."""

    source: str
    release: str
    terms: tuple[IndexTerm, ...]
    # Navigation tables derived from `terms` in __post_init__ (the instance is frozen, hence object.__setattr__).
    _children: tuple[tuple[IndexTerm, ...], ...] = field(init=False, repr=False, compare=False)
    _main_terms: tuple[IndexTerm, ...] = field(init=False, repr=False, compare=False)
    _mains_by_title: dict[str, tuple[IndexTerm, ...]] = field(init=False, repr=False, compare=False)
    _mains_by_form: dict[str, tuple[IndexTerm, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.source not in INDEX_SOURCES:
            raise IndexFormatError(f"Unknown index source {self.source!r}: expected one of {INDEX_SOURCES}.")
        children, mains = _link_terms(self.terms)
        object.__setattr__(self, "_children", children)
        object.__setattr__(self, "_main_terms", tuple(mains))
        object.__setattr__(self, "_mains_by_title", _group_mains(mains, lambda title: (_match_key(title),)))
        object.__setattr__(self, "_mains_by_form", _group_mains(mains, _title_forms))

    def __len__(self) -> int:
        return len(self.terms)

    def term(self, term_id: int) -> IndexTerm:
        """The term with this id; :class:`IndexError` for an id this index does not have."""
        if not 0 <= term_id < len(self.terms):
            raise IndexError(f"No term {term_id} in this index of {len(self.terms)} terms.")
        return self.terms[term_id]

    def path(self, term_id: int) -> tuple[str, ...]:
        """Titles from the main term down to this term."""
        titles: list[str] = []
        term: IndexTerm | None = self.term(term_id)
        while term is not None:
            titles.append(term.title)
            term = None if term.parent is None else self.terms[term.parent]
        return tuple(reversed(titles))

    def children(self, term_id: int) -> tuple[IndexTerm, ...]:
        self.term(term_id)  # range check: a negative id must not wrap around
        return self._children[term_id]

    def main_terms(self) -> tuple[IndexTerm, ...]:
        return self._main_terms

    def find(self, *path: str) -> IndexTerm | None:
        """Walk titles case-insensitively from a main term: ``find("Pneumonia", "aspiration")``.

        Titles are compared without their non-essential modifiers, as stored. ``None`` when no such walk.
        """
        if not path:
            return None
        wanted = tuple(_match_key(step) for step in path)
        return self._walk_titles(self._mains_by_title.get(wanted[0], ()), wanted)

    def _walk_titles(self, candidates: Sequence[IndexTerm], wanted: tuple[str, ...]) -> IndexTerm | None:
        for term in candidates:  # titles can repeat (e.g. two "with" branches): try each in order
            if _match_key(term.title) != wanted[0]:
                continue
            if len(wanted) == 1:
                return term
            found = self._walk_titles(self._children[term.id], wanted[1:])
            if found is not None:
                return found
        return None

    def coded_paths(self) -> Iterator[CodedPath]:
        """One :class:`CodedPath` per printed code (``codes``, then table ``columns``), in document order."""
        paths: list[tuple[str, ...]] = []
        nemods: list[tuple[str, ...]] = []
        path: tuple[str, ...]
        nemod: tuple[str, ...]
        for term in self.terms:  # parents precede children, so their paths are already known
            if term.parent is None:
                path, nemod = (term.title,), term.nemod
            else:
                path, nemod = paths[term.parent] + (term.title,), nemods[term.parent] + term.nemod
            paths.append(path)
            nemods.append(nemod)
            for code in term.codes:
                yield CodedPath(path, code, nemod, None, term.id, self.source)
            for column, code in term.columns:
                yield CodedPath(path, code, nemod, column, term.id, self.source)

    def cross_references(self) -> Iterator[tuple[IndexTerm, str, str]]:
        """``(term, "see" | "see_also", target)`` for every cross-reference, in document order."""
        for term in self.terms:
            if term.see:
                yield term, "see", term.see
            if term.see_also:
                yield term, "see_also", term.see_also

    def resolve_see(self, term_id: int) -> IndexTerm | None:
        """The term a "see" reference points to, e.g. "Disease, kidney" -> Disease, diseased > kidney.

        The target is read as a main term followed by comma-separated subterms. Terms that list alternative
        forms ("Disease, diseased") also match on any one form, because that is how the index cites them;
        comparisons ignore case, a plural "s" ("Complications" cites "Complication(s)") and a trailing
        NEC/NOS. The deepest term reached is returned (a trailing instruction such as "by site" is not a
        term); ``None`` when no main term matches, as for "Table of Drugs and Chemicals".
        """
        target = self.term(term_id).see
        return None if not target else self.resolve_reference(target)

    def resolve_reference(self, target: str) -> IndexTerm | None:
        """The deepest term reached by the cross-reference text ``target`` (see :meth:`resolve_see`)."""
        parts = _title_forms(target)  # "Resistance (to), drug" -> ("resistance", "drug"), like a title
        if not parts:
            return None
        _, term = self._deepest_match(self._mains_by_form.get(parts[0], ()), parts)
        return term

    def _deepest_match(self, candidates: Sequence[IndexTerm], parts: tuple[str, ...]) -> tuple[int, IndexTerm | None]:
        best_consumed, best_term = 0, None
        if not parts:
            return best_consumed, best_term
        for term in candidates:
            for consumed_here in _title_matches(term.title, parts):
                consumed_below, deeper = self._deepest_match(self._children[term.id], parts[consumed_here:])
                if consumed_here + consumed_below > best_consumed:
                    best_consumed, best_term = consumed_here + consumed_below, deeper or term
        return best_consumed, best_term

    def to_records(self) -> dict[str, Any]:
        """A plain form (dicts, lists, str, int, None) that survives JSON and pickling; ids are positions."""
        return {
            "format": _RECORDS_FORMAT,
            "version": _RECORDS_VERSION,
            "source": self.source,
            "release": self.release,
            "terms": [_term_to_row(term) for term in self.terms],
        }

    @classmethod
    def from_records(cls, records: Mapping[str, Any]) -> AlphabeticIndex:
        """Rebuild from :meth:`to_records`; :class:`IndexFormatError` for anything else."""
        if not isinstance(records, Mapping) or records.get("format") != _RECORDS_FORMAT:
            raise IndexFormatError("These records are not a chartcoder Alphabetic Index.")
        if records.get("version") != _RECORDS_VERSION:
            raise IndexFormatError(
                f"Alphabetic Index records of version {records.get('version')!r} cannot be read; "
                f"this chartcoder reads version {_RECORDS_VERSION}."
            )
        rows = records.get("terms")
        if not isinstance(rows, Sequence):
            raise IndexFormatError("Alphabetic Index records have no list of terms.")
        terms = tuple(_term_from_row(position, row) for position, row in enumerate(rows))
        return cls(
            source=_expect_str(records.get("source"), "source"),
            release=_expect_str(records.get("release"), "release"),
            terms=terms,
        )


# ------------------------------------------------------------------------------------------- tree helpers


def _link_terms(
    terms: tuple[IndexTerm, ...],
) -> tuple[tuple[tuple[IndexTerm, ...], ...], list[IndexTerm]]:
    """Children per term and the main terms, checking that ids, parents and levels form a tree."""
    children: list[list[IndexTerm]] = [[] for _ in terms]
    mains: list[IndexTerm] = []
    for position, term in enumerate(terms):
        if term.id != position:
            raise IndexFormatError(f"Index term at position {position} has id {term.id}: ids must be positions.")
        if term.parent is None:
            if term.level != 0:
                raise IndexFormatError(f"Index term {position} has no parent but level {term.level}.")
            mains.append(term)
            continue
        if not 0 <= term.parent < position:
            raise IndexFormatError(f"Index term {position} has parent {term.parent}, which does not precede it.")
        if terms[term.parent].level + 1 != term.level:
            raise IndexFormatError(
                f"Index term {position} is at level {term.level} under a term at level {terms[term.parent].level}."
            )
        children[term.parent].append(term)
    empty: tuple[IndexTerm, ...] = ()
    return tuple(tuple(kids) if kids else empty for kids in children), mains


def _group_mains(mains: list[IndexTerm], keys_of: Callable[[str], tuple[str, ...]]) -> dict[str, tuple[IndexTerm, ...]]:
    grouped: dict[str, list[IndexTerm]] = {}
    for term in mains:
        for key in dict.fromkeys(keys_of(term.title)):  # each term once per distinct key, in order
            grouped.setdefault(key, []).append(term)
    return {key: tuple(terms) for key, terms in grouped.items()}


def _match_key(text: str) -> str:
    return " ".join(text.split()).casefold()


_QUALIFIER_SUFFIXES = (" nec", " nos")


def _reference_form(text: str) -> str:
    """The loose key cross-references are matched on: "Complications NEC" and "complication" agree."""
    key = _match_key(text)
    for suffix in _QUALIFIER_SUFFIXES:
        key = key.removesuffix(suffix)
    return key.removesuffix("s")


@lru_cache(maxsize=1 << 16)
def _title_forms(title: str) -> tuple[str, ...]:
    """ "Disease, diseased" -> ("disease", "diseased"): the comma-separated forms of a title, as loose keys."""
    _, essential = _split_modifiers(title)
    return tuple(form for form in (_reference_form(piece) for piece in essential.split(",")) if form)


def _title_matches(title: str, parts: tuple[str, ...]) -> tuple[int, ...]:
    """How many reference parts ``title`` can consume: all its forms in order, or any single one of them."""
    own = _title_forms(title)
    if not own:
        return ()
    matches: list[int] = []
    if parts[: len(own)] == own:
        matches.append(len(own))
    if len(own) > 1 and parts[0] in own:
        matches.append(1)
    return tuple(matches)


# -------------------------------------------------------------------------------------- text and codes


def _collapse_space(text: str) -> str:
    return " ".join(text.split())


def _tidy_title(text: str) -> str:
    """Collapse whitespace and drop the space a removed modifier leaves before a comma."""
    return _SPACE_BEFORE_COMMA_RE.sub(r"\1", _collapse_space(text))


def _split_modifiers(text: str) -> tuple[tuple[str, ...], str]:
    """Split non-essential modifiers from essential text.

    ``"(acute) (double)"`` -> ``(("acute", "double"), "")``. The official files sometimes wrap essential
    words in the modifier markup (``"(stepping) exercise (class)"``); those words are returned as the
    second element, with the spacing they had, so the caller can put them back into the title.
    """
    if _SIMPLE_MODIFIERS_RE.fullmatch(text):
        groups = (_collapse_space(group) for group in _MODIFIER_GROUP_RE.findall(text))
        return tuple(group for group in groups if group), ""
    return _split_nested_modifiers(text)


def _split_nested_modifiers(text: str) -> tuple[tuple[str, ...], str]:
    """The slow path for nested "(accidental(ly))" or unbalanced parentheses."""
    modifiers: list[str] = []
    essential: list[str] = []
    depth = 0
    group_start = 0
    for position, char in enumerate(text):
        if char == "(":
            if depth == 0:
                group_start = position + 1
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                modifiers.append(text[group_start:position])
        elif depth == 0 and char != ")":  # a stray ")" outside any group is a typo in the source
            essential.append(char)
    if depth:  # an unclosed "(" runs to the end of the text
        modifiers.append(text[group_start:])
    cleaned = (_collapse_space(modifier) for modifier in modifiers)
    return tuple(modifier for modifier in cleaned if modifier), "".join(essential)


@lru_cache(maxsize=1 << 16)
def _printed_code(text: str) -> str:
    """A code as printed, in dotted upper case where code-shaped: "e1122" -> "E11.22", "c44.-" -> "C44.-".

    Text that is not code-shaped is kept as printed (collapsed), so that validation can report it.
    """
    printed = _collapse_space(text)
    suffix = ".-" if printed.endswith(".-") else "-" if printed.endswith("-") else ""
    stem = printed[: len(printed) - len(suffix)]
    if not looks_like_code(stem):
        return printed
    return normalize_code(stem) + suffix


def _code_stem(code: str) -> str:
    """What the Tabular List is asked about: "E11.2-" -> "E11.2", "C44.-" -> "C44"."""
    return code.rstrip("-").rstrip(".")


def _is_blank_cell(text: str) -> bool:
    """Table cells print "-" or "--" where no code applies."""
    return not text.strip().strip("-")


# ------------------------------------------------------------------------------------------ file access


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when its name ends with ``.gz`` or ``.xz`` (as the bundled copies do)."""
    compression = _compression(path)
    try:
        if compression is None:
            return path.read_bytes()
        return _decompressed(path, compression)
    except FileNotFoundError:
        raise IndexFormatError(f"Alphabetic Index file {path} does not exist.") from None
    except IsADirectoryError:
        raise IndexFormatError(f"{path} is a directory, not an Alphabetic Index file.") from None
    except OSError as error:
        raise IndexFormatError(f"Cannot read Alphabetic Index file {path}: {error.strerror or error}.") from None


def _compression(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return suffix if suffix in _COMPRESSED_SUFFIXES else None


def _decompressed(path: Path, compression: str) -> bytes:
    """Read at most ``_MAX_DECOMPRESSED_BYTES`` (the official main index is about 10 MB): a small file that
    inflates without end is refused, not allowed to fill the memory."""
    import gzip
    import lzma  # standard library; a Python built without liblzma only loses .xz support

    opener = gzip.open if compression == ".gz" else lzma.open
    try:
        with opener(path, "rb") as stream:
            data = stream.read(_MAX_DECOMPRESSED_BYTES + 1)
    except (EOFError, gzip.BadGzipFile, lzma.LZMAError, zlib.error) as error:
        raise IndexFormatError(f"{path} is not a readable {compression} file: {error}.") from None
    if len(data) > _MAX_DECOMPRESSED_BYTES:
        raise IndexFormatError(
            f"{path} decompresses to more than {_MAX_DECOMPRESSED_BYTES >> 20} MiB; ICD-10-CM index files are "
            "far smaller."
        )
    return data


def _format_suffix(path: Path) -> str:
    """ ".csv" for "index_2025.csv" and "index_2025.csv.gz": the suffix under any compression suffix."""
    inner = path.with_suffix("") if _compression(path) else path
    return inner.suffix.lower()


def _decode_utf8(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IndexFormatError(
            f"{path} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "an Alphabetic Index file must be UTF-8."
        ) from None


def _strip_bom_and_space(data: bytes) -> bytes:
    return data[len(_UTF8_BOM) :].lstrip() if data.startswith(_UTF8_BOM) else data.lstrip()


def _looks_like_xml(data: bytes) -> bool:
    return _strip_bom_and_space(data[:1024]).startswith(b"<") or data.startswith(_UTF16_BOMS)


def _looks_like_csv(data: bytes) -> bool:
    return _strip_bom_and_space(data[:1024]).startswith(b"RowID,")


# ------------------------------------------------------------------------------------------- entry points


def read_index(path: str | Path) -> AlphabeticIndex:
    """Read any supported index file: a ``.csv`` conversion, or an official CDC index or table XML.

    Either may be compressed (``.gz``, ``.xz``), as the copies bundled in ``vocab/data/index`` are.
    """
    path = Path(path)
    data = _read_bytes(path)
    if _format_suffix(path) == ".csv":
        return _parse_csv(path, data)
    if _looks_like_xml(data):
        return _parse_xml(path, data)
    if _looks_like_csv(data):
        return _parse_csv(path, data)
    raise IndexFormatError(
        f"{path} is neither an ICD-10-CM index XML file nor an index CSV (header {','.join(CSV_HEADER)})."
    )


def read_index_xml(path: str | Path) -> AlphabeticIndex:
    """Read an official ``ICD10CM.index`` XML file: the main index, the eindex, or the drug/neoplasm table."""
    path = Path(path)
    return _parse_xml(path, _read_bytes(path))


def read_index_csv(path: str | Path) -> AlphabeticIndex:
    """Read the CSV conversion of the Index to Diseases (``RowID,Letter,Level,Term,...``)."""
    path = Path(path)
    return _parse_csv(path, _read_bytes(path))


# -------------------------------------------------------------------------------------------------- CSV


def _parse_csv(path: Path, data: bytes) -> AlphabeticIndex:
    text = _decode_utf8(path, data)
    if "\x00" in text:  # csv raises a bare "line contains NUL"; name the real problem instead
        raise IndexFormatError(f"{path} contains NUL bytes: it is a binary file, not an index CSV.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        _check_csv_header(path, header)
        terms = _csv_terms(path, reader)
    except csv.Error as error:
        raise IndexFormatError(f"{path} is not a readable CSV file (line {reader.line_num}): {error}.") from None
    if not terms:
        raise IndexFormatError(f"{path} has a header but no index terms.")
    return AlphabeticIndex(source="index", release=_csv_release(path), terms=tuple(terms))


def _check_csv_header(path: Path, header: list[str] | None) -> None:
    found = tuple(cell.strip() for cell in header) if header else ()
    if found != CSV_HEADER:
        shown = ",".join(found)[:120] if found else "nothing"
        raise IndexFormatError(
            f"{path} is not an Alphabetic Index CSV: expected the header {','.join(CSV_HEADER)}, found {shown}."
        )


def _csv_terms(path: Path, rows: Iterator[list[str]]) -> list[IndexTerm]:
    """Rebuild the tree: the parent of a row is the nearest earlier row one level up."""
    terms: list[IndexTerm] = []
    open_branch: list[int] = []  # open_branch[level] = id of the latest term at that level
    for line_number, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != len(CSV_HEADER):
            raise IndexFormatError(f"{path}, line {line_number}: expected {len(CSV_HEADER)} fields, found {len(row)}.")
        level = _csv_level(path, line_number, row[2], len(open_branch))
        parent = open_branch[level - 1] if level else None
        del open_branch[level:]
        open_branch.append(len(terms))
        terms.append(_csv_term(len(terms), parent, level, row))
    return terms


def _csv_level(path: Path, line_number: int, text: str, open_depth: int) -> int:
    try:
        level = int(text)
    except ValueError:
        raise IndexFormatError(f"{path}, line {line_number}: level {text!r} is not a number.") from None
    if not 0 <= level <= open_depth:
        raise IndexFormatError(
            f"{path}, line {line_number}: level {level} does not follow a term at level {open_depth - 1}."
        )
    return level


_CUT_TITLES_PATH = Path(__file__).parent / "data" / "index" / "csv_cut_titles.tsv"


@lru_cache(maxsize=1)
def csv_cut_titles() -> dict[tuple[int, str, str, str], str]:
    """The reviewed rest of each title the CSV conversion cut at a glued letter group, by (level, term,
    modifier, code) as the CSV has them (``vocab/data/index/csv_cut_titles.tsv``, which says where they come from)."""
    rows = (line.split("\t") for line in _CUT_TITLES_PATH.read_text(encoding="utf-8").splitlines())
    body = [row for row in rows if row[0] and not row[0].startswith("#")][1:]
    return {(int(level), term, modifier, code): rest for level, term, modifier, code, rest in body}


def _csv_term(term_id: int, parent: int | None, level: int, row: list[str]) -> IndexTerm:
    _, _, _, term_text, see, see_also, modifiers_text, code = row
    title = _collapse_space(term_text)
    nemod: tuple[str, ...] = ()
    # "Cancer(o)phobia" came out as "Cancer" + "(o)", the rest lost: put the printed rest back after the group,
    # where the conversion leaves the words that follow a modifier (handled just below).
    modifiers_text += csv_cut_titles().get((level, title, modifiers_text.strip(), code.strip()), "")
    if modifiers_text:
        nemod, essential = _split_modifiers(modifiers_text)
        if essential.strip():
            # The conversion moved the words after a modifier into the modifier column. They belong to the
            # title; a group glued to the next word ("Amnes(t)ic") was glued to the previous one as well.
            title = _tidy_title(title + essential)
    return IndexTerm(
        id=term_id,
        parent=parent,
        level=level,
        title=title,
        nemod=nemod,
        codes=(_printed_code(code),) if code.strip() else (),
        manifestation=(),
        see=_collapse_space(see) or None,
        see_also=_collapse_space(see_also) or None,
    )


def _csv_release(path: Path) -> str:
    year = _YEAR_RE.search(path.name)
    return f"FY{year.group(1)}" if year else "unknown"


# -------------------------------------------------------------------------------------------------- XML


def _parse_xml(path: Path, data: bytes) -> AlphabeticIndex:
    _check_xml_encoding(path, data)
    _refuse_doctype(path, data)
    try:
        root = ET.fromstring(data)  # noqa: S314 - safe: no DTD, hence no entity expansion (see _refuse_doctype)
    except ET.ParseError as error:
        raise IndexFormatError(f"{path} is not well-formed XML: {error}.") from None
    if root.tag != _XML_ROOT:
        raise IndexFormatError(
            f"{path} is XML but not an ICD-10-CM index: its root element is <{root.tag}>, expected <{_XML_ROOT}>."
        )
    columns = _column_keys(root)
    source = _table_kind(path, columns) if columns else _index_kind(path, root)
    terms = _xml_terms(root, columns)
    if not terms:
        raise IndexFormatError(f"{path} is an ICD-10-CM index file without any terms.")
    return AlphabeticIndex(source=source, release=_xml_release(path, root), terms=tuple(terms))


def _check_xml_encoding(path: Path, data: bytes) -> None:
    """Give non-UTF-8 bytes a clear message instead of expat's "not well-formed (invalid token)"."""
    if data.startswith(_UTF16_BOMS):
        return
    declared = _XML_ENCODING_RE.match(data[:512].removeprefix(_UTF8_BOM))
    if declared is None or declared.group(1).decode("ascii").lower() in _UTF8_NAMES:
        _decode_utf8(path, data)


def _refuse_doctype(path: Path, data: bytes) -> None:
    """Entity-expansion attacks need a DTD, and the CDC files have none: refuse any file that declares one."""
    text = data.decode("utf-16", errors="replace") if data.startswith(_UTF16_BOMS) else data
    found = "<!DOCTYPE" in text.upper() if isinstance(text, str) else _DOCTYPE_RE.search(text) is not None
    if found:
        raise IndexFormatError(f"{path} declares a DTD (<!DOCTYPE>); ICD-10-CM index files have none.")


def _index_kind(path: Path, root: ET.Element) -> str:
    title = _collapse_space(_element_text(root.find("title"))).casefold()
    return "eindex" if "external cause" in title or "eindex" in path.name.casefold() else "index"


def _table_kind(path: Path, columns: Mapping[int, str]) -> str:
    keys = set(columns.values())
    if keys & set(DRUG_COLUMNS):
        return "drug"
    if keys & set(NEOPLASM_COLUMNS):
        return "neoplasm"
    name = path.name.casefold()
    for kind in ("drug", "neoplasm"):
        if kind in name:
            return kind
    raise IndexFormatError(f"{path} has table columns ({', '.join(keys)}) of neither the Drug nor the Neoplasm table.")


def _column_keys(root: ET.Element) -> dict[int, str]:
    """``{column number: stable key}`` from ``<indexHeading>``; empty for the plain indexes."""
    heading = root.find("indexHeading")
    if heading is None:
        return {}
    keys: dict[int, str] = {}
    for head in heading.findall("head"):
        number = _column_number(head)
        if number is None or number == 1:  # column 1 holds the term itself ("Substance", "Neoplasm")
            continue
        key = _column_key(_element_text(head), number)
        keys[number] = key if key not in keys.values() else f"{key}_{number}"
    return keys


def _column_key(heading: str, number: int) -> str:
    """ "Poisoning Accidental (unintentional)" -> "poisoning_accidental"; unknown headings get a slug."""
    _, essential = _split_modifiers(heading)
    words = re.sub(r"[^0-9a-z]+", " ", essential.casefold()).split()
    known = _KNOWN_COLUMN_HEADINGS.get(" ".join(words))
    return known or "_".join(words) or f"column_{number}"


def _column_number(element: ET.Element) -> int | None:
    try:
        return int(element.get("col", ""))
    except ValueError:
        return None


def _xml_release(path: Path, root: ET.Element) -> str:
    """ "FY2026 (April 1, 2026)" from <version> and a dated file name; "FY2026" when only the year is known."""
    version = _collapse_space(_element_text(root.find("version")))
    dated = _RELEASE_DATE_RE.search(path.name)
    year = version if version.isdigit() else (dated.group(3) if dated else _first_year(path.name))
    if not year:
        return "unknown"
    if dated is None:
        return f"FY{year}"
    month, day, calendar_year = dated.groups()
    return f"FY{year} ({month.capitalize()} {int(day)}, {calendar_year})"


def _first_year(text: str) -> str:
    found = _YEAR_RE.search(text)
    return found.group(1) if found else ""


def _xml_terms(root: ET.Element, columns: Mapping[int, str]) -> list[IndexTerm]:
    """Terms in document order (pre-order), with levels from the nesting itself."""
    terms: list[IndexTerm] = []
    pending: list[tuple[ET.Element, int | None, int]] = []
    for letter in reversed(root.findall("letter")):
        pending.extend((main, None, 0) for main in reversed(letter.findall("mainTerm")))
    while pending:
        element, parent, level = pending.pop()
        term_id = len(terms)
        terms.append(_xml_term(element, term_id, parent, level, columns))
        pending.extend((child, term_id, level + 1) for child in reversed(element.findall("term")))
    return terms


def _xml_term(
    element: ET.Element, term_id: int, parent: int | None, level: int, columns: Mapping[int, str]
) -> IndexTerm:
    title, nemod = _xml_title(element)
    codes = [_printed_code(_element_text(code)) for code in element.findall("code")]
    manifestation = tuple(_printed_code(_element_text(manif)) for manif in element.findall("manif"))
    codes.extend(code for code in manifestation if looks_like_code(_code_stem(code)))
    return IndexTerm(
        id=term_id,
        parent=parent,
        level=level,
        title=title,
        nemod=nemod,
        codes=tuple(codes),
        manifestation=manifestation,
        see=_xml_see(element),
        see_also=_joined_text(element, "seeAlso"),
        columns=_xml_cells(element, columns),
    )


def _xml_title(element: ET.Element) -> tuple[str, tuple[str, ...]]:
    """Title text without the ``<nemod>`` parts, and those parts as modifiers (inline or as siblings)."""
    title = element.find("title")
    if title is None:
        title = element.find("diff")  # addenda files may carry the title as a <diff>
    essential: list[str] = []
    modifiers: list[str] = []
    if title is not None:
        _collect_title(title, essential, modifiers)
    for sibling in element.findall("nemod"):
        sibling_modifiers, sibling_words = _split_modifiers(_element_text(sibling))
        modifiers.extend(sibling_modifiers)
        essential.append(" " + sibling_words)
    return _tidy_title("".join(essential)), tuple(modifiers)


def _collect_title(node: ET.Element, essential: list[str], modifiers: list[str]) -> None:
    essential.append(node.text or "")
    for child in node:
        if child.tag == "nemod":
            child_modifiers, child_words = _split_modifiers(_element_text(child))
            modifiers.extend(child_modifiers)
            essential.append(child_words)
        elif child.tag != "old":  # addenda: <old> holds text the update removed
            _collect_title(child, essential, modifiers)
        essential.append(child.tail or "")


def _xml_see(element: ET.Element) -> str | None:
    """The "see" target; "see category T71" / "see subcategory T75.0" are kept as such instructions."""
    targets = [_collapse_space(_element_text(see)) for see in element.findall("see")]
    targets += [f"category {_collapse_space(_element_text(cat))}" for cat in element.findall("seecat")]
    targets += [f"subcategory {_collapse_space(_element_text(sub))}" for sub in element.findall("subcat")]
    joined = "; ".join(target for target in targets if target)
    return joined or None


def _joined_text(element: ET.Element, tag: str) -> str | None:
    texts = (_collapse_space(_element_text(child)) for child in element.findall(tag))
    return "; ".join(text for text in texts if text) or None


def _xml_cells(element: ET.Element, columns: Mapping[int, str]) -> tuple[tuple[str, str], ...]:
    cells: list[tuple[str, str]] = []
    for cell in element.findall("cell"):
        text = _element_text(cell)
        if _is_blank_cell(text):
            continue
        number = _column_number(cell)
        key = columns.get(number, f"column_{number}") if number is not None else "column_unknown"
        cells.append((key, _printed_code(text)))
    return tuple(cells)


def _element_text(element: ET.Element | None) -> str:
    """All text inside ``element``, leaving out ``<old>`` (text an addenda update removed)."""
    if element is None:
        return ""
    parts = [element.text or ""]
    for child in element:
        if child.tag != "old":
            parts.append(_element_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# -------------------------------------------------------------------------------------------- records


def _term_to_row(term: IndexTerm) -> list[Any]:
    return [
        term.parent,
        term.level,
        term.title,
        list(term.nemod),
        list(term.codes),
        list(term.manifestation),
        term.see,
        term.see_also,
        [[key, code] for key, code in term.columns],
    ]


def _term_from_row(position: int, row: Any) -> IndexTerm:
    if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != 9:
        raise IndexFormatError(f"Alphabetic Index record {position} is not a list of 9 fields.")
    parent, level, title, nemod, codes, manifestation, see, see_also, columns = row
    what = f"record {position}"
    if parent is not None and not isinstance(parent, int):
        raise IndexFormatError(f"Alphabetic Index {what}: parent must be an integer or null.")
    if not isinstance(level, int):
        raise IndexFormatError(f"Alphabetic Index {what}: level must be an integer.")
    return IndexTerm(
        id=position,
        parent=parent,
        level=level,
        title=_expect_str(title, f"{what} title"),
        nemod=_expect_strings(nemod, f"{what} nemod"),
        codes=_expect_strings(codes, f"{what} codes"),
        manifestation=_expect_strings(manifestation, f"{what} manifestation"),
        see=None if see is None else _expect_str(see, f"{what} see"),
        see_also=None if see_also is None else _expect_str(see_also, f"{what} see_also"),
        columns=_expect_columns(columns, what),
    )


def _expect_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise IndexFormatError(f"Alphabetic Index records: {what} must be text, not {type(value).__name__}.")
    return value


def _expect_strings(values: Any, what: str) -> tuple[str, ...]:
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise IndexFormatError(f"Alphabetic Index records: {what} must be a list of text.")
    return tuple(_expect_str(value, what) for value in values)


def _expect_columns(values: Any, what: str) -> tuple[tuple[str, str], ...]:
    columns: list[tuple[str, str]] = []
    for pair in _expect_sequence(values, f"{what} columns"):
        key_and_code = _expect_strings(pair, f"{what} column")
        if len(key_and_code) != 2:
            raise IndexFormatError(f"Alphabetic Index records: {what} columns must be [key, code] pairs.")
        columns.append((key_and_code[0], key_and_code[1]))
    return tuple(columns)


def _expect_sequence(values: Any, what: str) -> Sequence[Any]:
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise IndexFormatError(f"Alphabetic Index records: {what} must be a list.")
    return values


# ----------------------------------------------------------------------------------------- validation


def validate_codes(
    index: AlphabeticIndex,
    is_known: Callable[[str], bool],
    *,
    tabular: str = "the tabular list",
) -> IndexValidation:
    """Check every printed code against a Tabular List; report each unknown one with its path.

    ``is_known`` receives dotted codes with a trailing "-" removed ("E11.2-" -> "E11.2"). ``tabular`` names
    the list in the reasons, e.g. ``"the FY2026 tabular list"``. Bracketed manifestation text that is not a
    code is reported as "not code-shaped" rather than skipped.
    """
    problems: dict[str, str | None] = {}  # the tables repeat codes thousands of times: judge each once

    def problem(code: str) -> str | None:
        if code not in problems:
            stem = _code_stem(code)
            if not looks_like_code(stem):
                problems[code] = "not code-shaped"
            else:
                problems[code] = None if is_known(normalize_code(stem)) else f"not in {tabular}"
        return problems[code]

    total = 0
    invalid: list[InvalidIndexCode] = []
    for coded in index.coded_paths():
        total += 1
        reason = problem(coded.code)
        if reason is not None:
            invalid.append(InvalidIndexCode(coded.path, coded.code, reason, coded.column))
    for term in index.terms:
        for printed in term.manifestation:
            if printed not in term.codes:  # code-shaped ones were already checked as codes
                total += 1
                invalid.append(InvalidIndexCode(index.path(term.id), printed, "not code-shaped"))
    return IndexValidation(total_codes=total, valid=total - len(invalid), invalid=tuple(invalid))
