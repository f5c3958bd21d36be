"""The vocabulary a running chartcoder needs: code set, imported indexes and the search lexicon.

:func:`build_vocabulary` writes the artifact (no network: the Tabular List comes from an installed
package, the Alphabetic Index from the files bundled in this one or downloaded by the user from CDC);
:func:`load_vocabulary` reads it back, loading the larger parts only when first used.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from vocab.artifact import (
    PART_SUFFIX,
    ArtifactManifest,
    codeset_folder,
    default_home,
    read_manifest,
    read_part,
    write_artifact,
)
from vocab.codes import compact_code
from vocab.codeset import NOTE_FIELDS, Code, CodeSet
from vocab.errors import ChartcoderError, CodeSetFormatError, UnknownCodeError, VocabError
from vocab.lexicon import (
    Abbreviations,
    LexiconTerm,
    index_terms,
    load_abbreviations,
    see_terms,
    tabular_terms,
    unique_terms,
)
from vocab.releases import effective_date, migrate_single_release, release_folder
from vocab.search import CodeSearch, SearchResult

__all__ = [
    "INDEX_SOURCES",
    "Vocabulary",
    "build_code_search",
    "build_vocabulary",
    "ensure_vocabulary",
    "lexicon_terms",
    "load_vocabulary",
]

INDEX_SOURCES = ("index", "eindex", "drug", "neoplasm")


@dataclass
class Vocabulary:
    folder: Path
    manifest: ArtifactManifest
    codeset: CodeSet
    _search: CodeSearch | None = None
    _indexes: dict[str, Any] = field(default_factory=dict)

    @property
    def release(self) -> str:
        return self.codeset.release

    @property
    def code_set(self) -> str:
        """The release's name in outputs (``ICD-10-CM FY2027``): from the release, never a constant."""
        return f"ICD-10-CM {self.release}"

    @property
    def effective(self) -> date:
        """The day this release takes effect (its folder's name, see :mod:`vocab.releases`)."""
        return effective_date(self.release)

    @property
    def home(self) -> Path:
        """The data folder this release belongs to (``<home>/codeset/<date>/``, or ``<home>/codeset/`` of a
        single-release home not yet migrated)."""
        return self.folder.parent if self.folder.name == "codeset" else self.folder.parent.parent

    @property
    def code_search(self) -> CodeSearch:
        if self._search is None:
            self._search = CodeSearch.from_state(read_part(self.folder, self.manifest, "lexicon"))
            self.codeset.with_prefix("A00", limit=1)  # sorts the code list once now, not on a coder's first query
        return self._search

    def search(
        self, query: str, limit: int = 10, billable_only: bool = False, within: tuple[str, ...] | None = None
    ) -> list[SearchResult]:
        return self.code_search.search(self.codeset, query, limit=limit, billable_only=billable_only, within=within)

    def index_sources(self) -> list[str]:
        return [source for source in INDEX_SOURCES if f"index-{source}{PART_SUFFIX}" in self.manifest.files]

    def index_origin(self, source: str) -> str | None:
        """ "bundled" (shipped in the package) or "imported" (the user's file) for an index the artifact holds."""
        if source not in self.index_sources():
            return None
        from vocab.bundled_index import IMPORTED_ORIGIN

        return self.manifest.sources.get(f"index_{source}_origin", IMPORTED_ORIGIN)  # older artifacts: imports

    def index(self, source: str) -> Any:
        """The imported :class:`vocab.index.AlphabeticIndex` for ``source``, or None if none was imported."""
        if source not in self.index_sources():
            return None
        if source not in self._indexes:
            from vocab.index import AlphabeticIndex

            self._indexes[source] = AlphabeticIndex.from_records(
                read_part(self.folder, self.manifest, f"index-{source}")
            )
        return self._indexes[source]

    def conversion_rows(self) -> tuple[tuple[str, str, str], ...]:
        """The release's conversion table as ``(previous code, current code, effective date)`` rows (empty when
        the release came without one)."""
        if f"conversion{PART_SUFFIX}" not in self.manifest.files:
            return ()
        rows = read_part(self.folder, self.manifest, "conversion")
        return tuple((str(old), str(new), str(day)) for old, new, day in rows)

    def describe(self, text: str) -> dict[str, Any]:
        """Everything known about one code, as plain data (CLI ``codes show``, HTTP ``/v1/codes/{code}``)."""
        codeset = self.codeset
        code = self._resolve_with_hint(text)
        chapter, block = codeset.chapter_of(code.code), codeset.block_of(code.code)
        seventh = codeset.seventh_characters(code.code)
        return {
            "code": code.code,
            "description": code.description,
            "billable": code.billable,
            "valid": True,
            "release": self.code_set,
            "chapter": {"id": chapter.id, "title": chapter.title},
            "block": {"id": block.id, "title": block.title},
            "parents": [{"code": a.code, "description": a.description} for a in codeset.ancestors(code.code)],
            "children": [
                {
                    "code": child,
                    "description": codeset.codes[child].description,
                    "billable": codeset.codes[child].billable,
                }
                for child in code.children
            ],
            "notes": {
                field: [{"from": where, "note": note} for where, note in codeset.inherited_notes(code.code, field)]
                for field in NOTE_FIELDS
            },
            "seventh_characters": seventh,
            "needs_seventh_character": codeset.needs_seventh_character(code.code),
            "billable_descendants": 0 if code.billable else len(codeset.billable_descendants(code.code)),
            "terms": [{"term": term, "source": source} for term, source in self.code_search.terms_for(code.code)],
        }

    def _resolve_with_hint(self, text: str) -> Code:
        """The code, or an :class:`UnknownCodeError` that names the nearest code above it, if any."""
        try:
            return self.codeset.resolve(text)
        except UnknownCodeError as error:
            compact = compact_code(text)
            for length in range(len(compact) - 1, 2, -1):
                nearest = self.codeset.get(compact[:length])
                if nearest is not None:
                    raise UnknownCodeError(
                        f"{error} The nearest code above it is {nearest.code} ({nearest.description})."
                    ) from None
            raise

    def info(self) -> dict[str, Any]:
        counts = dict(self.manifest.counts)
        return {
            "release": self.release,
            "code_set": self.code_set,
            "effective": self.effective.isoformat(),
            "folder": str(self.folder),
            "created": self.manifest.created,
            "indexes": self.index_sources(),
            "index_origins": {source: self.index_origin(source) for source in self.index_sources()},
            "counts": counts,
            "sources": self.manifest.sources,
        }


def build_vocabulary(
    home: Path | None = None,
    codeset: CodeSet | None = None,
    indexes: Iterable[Any] = (),
    *,
    bundled_index: bool | None = None,
    conversion: Iterable[tuple[str, str, str]] | None = None,
) -> Vocabulary:
    """Write a complete artifact: tabular, Alphabetic Indexes, lexicon.

    Each index source (index, eindex, drug, neoplasm) comes from, in order of precedence: ``indexes`` (files
    being imported now), an earlier import of the user's (kept across rebuilds), then the Index bundled in
    the package (:mod:`vocab.bundled_index`). ``bundled_index``: True imports the bundled files for the
    sources still missing, False leaves them out, None (default) means True when building the bundled
    Tabular List (``codeset`` not given, as ``chartcoder vocab build`` does) and otherwise keeps the
    bundled indexes the artifact already had (``import-index`` adding files to a built home).
    ``conversion``: the release's conversion table, ``(previous code, current code, effective date)`` rows
    (:mod:`vocab.release_import`); None keeps the one the artifact already had.
    """
    with_bundled = codeset is None if bundled_index is None else bundled_index
    if codeset is None:
        from vocab.build import build_codeset  # the Tabular List package is slow to read: only when building

        codeset = build_codeset()
    home = home or default_home()
    migrate_single_release(home)
    folder = release_folder(home, effective_date(codeset.release))
    chosen = _chosen_indexes(folder, list(indexes), with_bundled, keep_bundled=bundled_index is None)
    abbreviations = load_abbreviations()
    search = build_code_search(codeset, lexicon_terms(codeset, (index for index, _ in chosen.values())), abbreviations)
    parts: dict[str, Any] = {"tabular": codeset.to_state(), "lexicon": search.to_state()}
    for source, (index, _) in chosen.items():
        parts[f"index-{source}"] = index.to_records()
    rows = _previous_conversion(folder) if conversion is None else [(old, new, day) for old, new, day in conversion]
    if rows:
        parts["conversion"] = rows
    counts = {
        **codeset.counts(),
        "lexicon_terms": search.term_count,
        "abbreviations": len(abbreviations),
        **{f"index_{source}_entries": len(index.terms) for source, (index, _) in chosen.items()},
        # printed codes not valid in this Tabular List (an Index of another release may name some): left out
        **{f"index_{source}_invalid_codes": _invalid_codes(index, codeset) for source, (index, _) in chosen.items()},
    }
    counts["index_entries"] = sum(len(index.terms) for index, _ in chosen.values())
    if rows:
        counts["conversion_rows"] = len(rows)
    sources = dict(codeset.metadata)
    for source, (index, origin) in chosen.items():
        sources[f"index_{source}"] = index.release
        sources[f"index_{source}_origin"] = origin
    manifest = write_artifact(folder, parts, codeset.release, counts, sources)
    codeset.successors = _successors(rows)
    return Vocabulary(folder=folder, manifest=manifest, codeset=codeset, _search=search)


def _previous_conversion(folder: Path) -> list[tuple[str, str, str]]:
    """The conversion table of the artifact being rebuilt (``import-index`` on an imported release keeps it)."""
    try:
        return list(_load_folder(folder).conversion_rows())
    except VocabError:
        return []


def _chosen_indexes(
    folder: Path, given: list[Any], with_bundled: bool, *, keep_bundled: bool
) -> dict[str, tuple[Any, str]]:
    """``{source: (index, origin)}`` in :data:`INDEX_SOURCES` order, by the precedence of :func:`build_vocabulary`."""
    from vocab.bundled_index import BUNDLED_ORIGIN, IMPORTED_ORIGIN, read_bundled_indexes

    chosen: dict[str, tuple[Any, str]] = {index.source: (index, IMPORTED_ORIGIN) for index in given}
    origins = {IMPORTED_ORIGIN, BUNDLED_ORIGIN} if keep_bundled and not with_bundled else {IMPORTED_ORIGIN}
    for source, previous in _previous_indexes(folder, skip=set(chosen), origins=origins).items():
        chosen[source] = previous
    if with_bundled:
        missing = [source for source in INDEX_SOURCES if source not in chosen]
        chosen.update((index.source, (index, BUNDLED_ORIGIN)) for index in read_bundled_indexes(missing))
    return {source: chosen[source] for source in INDEX_SOURCES if source in chosen}


def _invalid_codes(index: Any, codeset: CodeSet) -> int:
    from vocab.index import validate_codes

    return len(validate_codes(index, codeset.is_valid).invalid)


def lexicon_terms(codeset: CodeSet, indexes: Iterable[Any] = ()) -> list[LexiconTerm]:
    """Every searchable term: the Tabular List's, then each index's coded paths and the "see" references
    that lead to a code, without duplicates."""
    terms: list[LexiconTerm] = list(tabular_terms(codeset))
    for index in indexes:
        terms.extend(index_terms(index.coded_paths(), codeset))
        terms.extend(see_terms(index, codeset))
    return unique_terms(terms)


def build_code_search(
    codeset: CodeSet, terms: list[LexiconTerm], abbreviations: Abbreviations | None = None
) -> CodeSearch:
    """Index ``terms``, link each abbreviation to the code its sense names, and index again with those links."""
    abbreviations = abbreviations or load_abbreviations()
    search = CodeSearch.build(terms, abbreviations)
    linked = _abbreviation_terms(search, codeset, abbreviations)
    return CodeSearch.build(unique_terms([*terms, *linked]), abbreviations)


def _previous_indexes(folder: Path, skip: set[str], origins: set[str]) -> dict[str, tuple[Any, str]]:
    """Indexes of the current artifact whose origin is in ``origins``, kept when it is rebuilt.

    An artifact written before the Index was bundled names no origin: its indexes were the user's imports.
    """
    from vocab.bundled_index import IMPORTED_ORIGIN

    if not (folder / "manifest.json").exists():
        return {}
    _refuse_old_indexes(folder)
    try:
        vocabulary = _load_folder(folder)
    except VocabError:  # an unreadable artifact is rebuilt from scratch; a bug still surfaces
        return {}
    kept = {}
    for source in vocabulary.index_sources():
        origin = vocabulary.manifest.sources.get(f"index_{source}_origin", IMPORTED_ORIGIN)
        if source not in skip and origin in origins:
            kept[source] = (vocabulary.index(source), origin)
    return kept


def _refuse_old_indexes(folder: Path) -> None:
    """A pickled (format-1) artifact with imported indexes: rebuilding would drop them without a word."""
    try:
        old = read_manifest(folder, accept_formats=(1,))
    except CodeSetFormatError:
        return  # the current format (or unreadable): load_vocabulary below decides
    if any(name.startswith("index-") for name in old.files):
        raise CodeSetFormatError(
            f"{folder} holds imported Alphabetic Index files in the pickled format of an older chartcoder; "
            "convert it first with `chartcoder models upgrade` (it keeps them), then rebuild."
        )


# Senses are linked through diagnostic terms only: "LH" names a hormone, not "Luteinizing hormone, underdosing".
_LINKABLE_SOURCES = frozenset({"title", "inclusion", "includes", "index"})
_LINK_THRESHOLD = 0.95


def _abbreviation_terms(search: CodeSearch, codeset: CodeSet, abbreviations: Abbreviations) -> list[LexiconTerm]:
    """Link each abbreviation sense to the code whose term it names outright (score >= 0.95)."""
    linked = []
    for abbreviation, senses in abbreviations.senses.items():
        for sense in senses:
            try:
                results = search.search(codeset, sense, limit=1)
            except ChartcoderError:
                continue
            if results and results[0].score >= _LINK_THRESHOLD and results[0].source in _LINKABLE_SOURCES:
                linked.append(LexiconTerm(abbreviation, results[0].code, "abbreviation"))
    return linked


def load_vocabulary(home: Path | None = None, effective: date | None = None) -> Vocabulary:
    """The release effective on ``effective`` (its exact effective date; see :func:`vocab.releases.release_for`
    for a date of service), or the one in force today. A single-release home of an older chartcoder is
    migrated to the dated layout first where the folder is writable (and read as it is where not)."""
    home = home or default_home()
    with contextlib.suppress(OSError):  # a read-only home (a Spark executor's copy) still loads
        migrate_single_release(home)
    folder = codeset_folder(home, effective)
    if effective is not None and not (folder / "manifest.json").is_file():
        from vocab.errors import CodeSetNotBuiltError
        from vocab.releases import list_releases

        known = ", ".join(f"{r.effective} ({r.name})" for r in list_releases(home)) or "none"
        raise CodeSetNotBuiltError(
            f"No ICD-10-CM release effective {effective} in {home}; the releases there: {known}. "
            "Import it with `chartcoder vocab import-release`."
        )
    return _load_folder(folder)


def _load_folder(folder: Path) -> Vocabulary:
    manifest = read_manifest(folder)
    codeset = CodeSet.from_state(read_part(folder, manifest, "tabular"))
    vocabulary = Vocabulary(folder=folder, manifest=manifest, codeset=codeset)
    codeset.successors = _successors(vocabulary.conversion_rows())
    return vocabulary


def _successors(rows: Iterable[tuple[str, str, str]]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for previous, current, _ in rows:
        if current not in found.setdefault(previous, []):
            found[previous].append(current)
    return {previous: tuple(currents) for previous, currents in found.items()}


def ensure_vocabulary(home: Path | None = None, effective: date | None = None) -> Vocabulary:
    """Load the artifact, building it first when there is none (the first run of a fresh install)."""
    from vocab.errors import CodeSetNotBuiltError

    try:
        return load_vocabulary(home, effective)
    except CodeSetNotBuiltError:
        if effective is not None:  # a release that was never imported is not built from the bundled one
            raise
        return build_vocabulary(home)
