"""Import an ICD-10-CM release as CDC publishes it: ``chartcoder vocab import-release PATH...``.

CDC/NCHS publishes each fiscal year (and each April update) on https://www.cdc.gov/nchs/icd/icd-10-cm/files.html
(also linked from https://www.cms.gov/medicare/coding-billing/icd-10-codes) as zips. chartcoder reads them as
downloaded, or the files unpacked:

- "Code Descriptions" zip: ``Code Descriptions/icd10cm-order-<year>.txt`` (the order file: every code, header
  flag, short and long title; it decides which 7th-character codes exist). Required.
- "Table and Index" zip: ``Table and Index/icd10cm-tabular-<year>.xml`` (the Tabular List, required) and the
  Alphabetic Index: ``icd10cm-index-<year>.xml``, ``-eindex-``, ``-drug-``, ``-neoplasm-`` (optional).
- Conversion table (optional): a text export (``.txt``, ``.csv`` or ``.tsv``) of CDC's conversion table, one
  row per current code: current code, effective date, previous code(s).

Everything is parsed and validated before anything is written; the release is then written as one artifact
``<home>/codeset/<effective date>/`` through :func:`vocab.artifact.write_artifact` (a staging folder renamed
into place). A broken input raises :class:`ReleaseImportError` and leaves every release as it was.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from vocab.codes import looks_like_code, normalize_code
from vocab.codeset import CodeSet
from vocab.errors import IndexFormatError, VocabError

__all__ = [
    "MAX_INVALID_INDEX_SHARE",
    "ImportedRelease",
    "ReleaseFiles",
    "ReleaseImportError",
    "find_release_files",
    "import_release",
    "read_conversion_table",
    "read_order_file",
]

# An Index that names more of its codes outside its own Tabular List than this share is of another release
# (or damaged): refused, rather than building a lexicon that silently lacks those terms.
MAX_INVALID_INDEX_SHARE = 0.02
_MAX_MEMBER_BYTES = 512 << 20  # larger than any CDC file by far; guards against a zip bomb

# File kind -> pattern of the base name (CDC's names, case-insensitive; "icd10cm-tabular-April-1-2026.xml").
_KINDS = {
    "tabular": re.compile(r"tabular.*\.xml$", re.I),
    "order": re.compile(r"order.*\.txt$", re.I),
    "eindex": re.compile(r"eindex.*\.xml$", re.I),
    "drug": re.compile(r"drug.*\.xml$", re.I),
    "neoplasm": re.compile(r"neoplasm.*\.xml$", re.I),
    "index": re.compile(r"icd10cm[-_ ]?index.*\.xml$", re.I),
    "conversion": re.compile(r"conversion.*\.(txt|csv|tsv)$", re.I),
}


class ReleaseImportError(VocabError):
    """Release files that cannot be imported as they are: what is missing or broken, and where."""


@dataclass
class ReleaseFiles:
    """The release's files by kind, extracted to a private folder when they came in a zip."""

    files: dict[str, Path] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def add(self, kind: str, path: Path, origin: str) -> None:
        if kind in self.files:
            raise ReleaseImportError(
                f"Two {kind} files were given ({self.files[kind].name} and {origin}); import one release at a time."
            )
        self.files[kind] = path


@dataclass(frozen=True)
class ImportedRelease:
    """What :func:`import_release` built: the release, where, and the validation figures it printed."""

    name: str
    effective: date
    folder: Path
    counts: dict[str, int]
    index_reports: dict[str, dict[str, Any]]
    conversions: int
    replaced: bool
    bundled_index: bool


def _kind_of(name: str) -> str | None:
    base = name.rsplit("/", 1)[-1]
    for kind, pattern in _KINDS.items():
        if pattern.search(base):
            return kind
    return None


def find_release_files(paths: Sequence[Path], scratch: Path) -> ReleaseFiles:
    """Sort the given zips, folders and files into the kinds a release needs (zip members go to ``scratch``)."""
    found = ReleaseFiles()
    for path in paths:
        if not path.exists():
            raise ReleaseImportError(f"No such file or folder: {path}")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                _add_file(found, child, scratch)
        else:
            _add_file(found, path, scratch)
    return found


def _add_file(found: ReleaseFiles, path: Path, scratch: Path) -> None:
    if path.suffix.lower() == ".zip":
        _add_zip(found, path, scratch)
        return
    kind = _kind_of(path.name)
    if kind is None:
        found.ignored.append(str(path))
    else:
        found.add(kind, path, str(path))


def _add_zip(found: ReleaseFiles, path: Path, scratch: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                kind = None if member.is_dir() else _kind_of(member.filename)
                if kind is None:
                    found.ignored.append(f"{path.name}:{member.filename}")
                    continue
                if member.file_size > _MAX_MEMBER_BYTES:
                    raise ReleaseImportError(f"{path.name}:{member.filename} is larger than any CDC release file.")
                folder = scratch / str(len(found.files))  # CDC's own file name, kept for the manifest's sources
                folder.mkdir()
                target = folder / member.filename.rsplit("/", 1)[-1]
                target.write_bytes(archive.read(member))
                found.add(kind, target, f"{path.name}:{member.filename}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
        raise ReleaseImportError(f"{path} is not a readable zip file ({error}); download it again.") from None


def read_order_file(path: Path) -> set[str]:
    """The codes of CDC's order file (fixed columns: order number 1-5, code 7-13, header flag 15, titles)."""
    codes = set()
    try:
        lines = path.read_text(encoding="utf-8", errors="strict").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ReleaseImportError(f"Cannot read the order file {path.name}: {error}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        code = line[6:13].strip()
        if not (line[:5].strip().isdigit() and line[14:15] in {"0", "1"} and looks_like_code(code)):
            raise ReleaseImportError(
                f"{path.name} line {number} is not an order-file row (order number, code, header flag, titles)."
            )
        codes.add(code)
    if not codes:
        raise ReleaseImportError(f"The order file {path.name} is empty.")
    return codes


_ROW_SPLIT = re.compile(r"\t|,|\|")


def read_conversion_table(path: Path) -> list[tuple[str, str, str]]:
    """``(previous code, current code, effective date)`` rows of a conversion table's text export; the header
    and title lines (no code in the first column) are skipped."""
    rows = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ReleaseImportError(f"Cannot read the conversion table {path.name}: {error}") from None
    for line in text.splitlines():
        cells = [cell.strip().strip('"') for cell in _ROW_SPLIT.split(line)]
        if len(cells) < 3 or not looks_like_code(cells[0]):
            continue
        current, effective = normalize_code(cells[0]), cells[1]
        for previous in re.split(r"[\s;]+", " ".join(cells[2:])):
            if previous and looks_like_code(previous.rstrip(".-")):
                rows.append((normalize_code(previous.rstrip(".-")), current, effective))
    return rows


def import_release(paths: Sequence[Path], home: Path, *, bundled_index: bool = True) -> ImportedRelease:
    """Validate a release's files and write it beside the home's other releases (see the module docstring).

    ``bundled_index``: a release that brings no Alphabetic Index is given the one bundled in the package,
    validated against the release's Tabular List (codes not valid in it are left out); False builds it from
    the Tabular List's terms only.
    """
    with tempfile.TemporaryDirectory(prefix="chartcoder-release-") as scratch:
        files = find_release_files(paths, Path(scratch))
        _require(files)
        codeset = _read_tabular(files)
        indexes, reports = _read_indexes(files, codeset)
        conversion = read_conversion_table(files.files["conversion"]) if "conversion" in files.files else []
        _check_conversion(conversion, codeset)
        return _write(home, codeset, indexes, reports, conversion, with_bundled=bundled_index and not indexes)


def _require(files: ReleaseFiles) -> None:
    missing = [
        f"the {what} ({pattern})"
        for kind, what, pattern in (
            ("tabular", "Tabular List XML", "icd10cm-tabular-<year>.xml, in the 'Table and Index' zip"),
            ("order", "order file", "icd10cm-order-<year>.txt, in the 'Code Descriptions' zip"),
        )
        if kind not in files.files
    ]
    if missing:
        raise ReleaseImportError(
            f"The release lacks {' and '.join(missing)}. Give both CDC zips (or their files); nothing was imported."
        )


def _read_tabular(files: ReleaseFiles) -> CodeSet:
    from vocab.build import build_codeset
    from vocab.releases import effective_date

    confirmed = read_order_file(files.files["order"])
    try:
        codeset = build_codeset(files.files["tabular"], confirmed_codes=confirmed)
        effective_date(codeset.release)
    except VocabError as error:
        raise ReleaseImportError(f"{error} Nothing was imported.") from None
    except (KeyError, IndexError, AttributeError) as error:  # parsed XML without the Tabular List's structure
        raise ReleaseImportError(
            f"{files.files['tabular'].name} is XML but not a Tabular List ({type(error).__name__}: {error})."
        ) from None
    if len(codeset) == 0:
        raise ReleaseImportError(f"{files.files['tabular'].name} holds no codes: it is not a Tabular List.")
    absent = sorted(code for code in confirmed if normalize_code(code) not in codeset.codes)
    if absent:
        raise ReleaseImportError(
            f"The order file names {len(absent):,} codes the Tabular List lacks (first: {', '.join(absent[:5])}): "
            "the two files are from different releases. Nothing was imported."
        )
    return codeset


def _read_indexes(files: ReleaseFiles, codeset: CodeSet) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    from vocab.index import INDEX_SOURCES, read_index, validate_codes

    indexes, reports = [], {}
    for source in INDEX_SOURCES:
        path = files.files.get(source)
        if path is None:
            continue
        try:
            index = read_index(path)
        except IndexFormatError as error:
            raise ReleaseImportError(f"{error} Nothing was imported.") from None
        validation = validate_codes(index, codeset.is_valid, tabular=f"the {codeset.release} tabular list")
        share = len(validation.invalid) / max(validation.total_codes, 1)
        reports[source] = {
            "file": path.name,
            "entries": len(index.terms),
            "codes": validation.total_codes,
            "invalid": len(validation.invalid),
            "examples": [item.code for item in validation.invalid[:5]],
        }
        examples = ", ".join(item.code for item in validation.invalid[:5])
        if share > MAX_INVALID_INDEX_SHARE:
            raise ReleaseImportError(
                f"The {source} index names {len(validation.invalid):,} of its {validation.total_codes:,} codes that "
                f"are not in the release's Tabular List ({share:.0%}; first: "
                f"{examples}): it is of another release or damaged. Nothing was imported."
            )
        indexes.append(index)
    return indexes, reports


def _check_conversion(rows: Iterable[tuple[str, str, str]], codeset: CodeSet) -> None:
    unknown = sorted({current for _, current, _ in rows if current not in codeset.codes})
    if unknown:
        raise ReleaseImportError(
            f"The conversion table maps to {len(unknown):,} codes the release's Tabular List lacks "
            f"(first: {', '.join(unknown[:5])}): it is of another release. Nothing was imported."
        )


def _write(
    home: Path,
    codeset: CodeSet,
    indexes: list[Any],
    reports: dict[str, dict[str, Any]],
    conversion: list[tuple[str, str, str]],
    *,
    with_bundled: bool,
) -> ImportedRelease:
    from vocab.releases import effective_date, migrate_single_release, release_folder
    from vocab.vocabulary import build_vocabulary

    migrate_single_release(home)
    effective = effective_date(codeset.release)
    replaced = (release_folder(home, effective) / "manifest.json").is_file()
    vocabulary = build_vocabulary(
        home, codeset=codeset, indexes=indexes, bundled_index=with_bundled, conversion=conversion
    )
    return ImportedRelease(
        name=codeset.release,
        effective=effective,
        folder=vocabulary.folder,
        counts=dict(vocabulary.manifest.counts),
        index_reports=reports,
        conversions=len(conversion),
        replaced=replaced,
        bundled_index=with_bundled,
    )
