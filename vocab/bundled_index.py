"""The Alphabetic Index shipped inside the package, so that a fresh install codes with it.

``vocab/data/index/`` holds CDC/NCHS files (US federal works, public domain; provenance in its README.md),
gzip-compressed: the FY2026 External Cause index, Table of Drugs and Chemicals and Neoplasm Table (official
XML, verbatim) and the Index to Diseases and Injuries (the FY2025 CSV conversion: the official FY2026 main
index XML was not available; its codes are validated against the Tabular List at every build, and those not
valid there are left out of the lexicon). ``chartcoder vocab build`` imports them unless ``--no-index``; a
user's own CDC download, imported with ``chartcoder vocab import-index``, takes precedence over them.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources

from vocab.errors import IndexFormatError
from vocab.index import INDEX_SOURCES, AlphabeticIndex, read_index

__all__ = ["BUNDLED_INDEX_FILES", "BUNDLED_ORIGIN", "IMPORTED_ORIGIN", "read_bundled_indexes"]

# Index source -> file in vocab/data/index (the names CDC gives them, which carry the release).
BUNDLED_INDEX_FILES = {
    "index": "index_2025.csv.gz",
    "eindex": "icd10cm-eindex-April-1-2026-XML.xml.gz",
    "drug": "icd10cm-drug-April-1-2026-XML.xml.gz",
    "neoplasm": "icd10cm-neoplasm-April-1-2026-XML.xml.gz",
}

# Where an index in a code-set artifact came from (the manifest's ``index_<source>_origin``).
BUNDLED_ORIGIN = "bundled"
IMPORTED_ORIGIN = "imported"


def read_bundled_indexes(sources: Iterable[str] = INDEX_SOURCES) -> list[AlphabeticIndex]:
    """The bundled indexes of ``sources`` (default: all four), parsed from the package's data files."""
    folder = resources.files("vocab.data") / "index"
    indexes = []
    for source in sources:
        name = BUNDLED_INDEX_FILES[source]
        entry = folder / name
        if not entry.is_file():
            raise IndexFormatError(
                f"The bundled Alphabetic Index file vocab/data/index/{name} is missing from this chartcoder "
                "installation; reinstall chartcoder, or build without it (`chartcoder vocab build --no-index`)."
            )
        with resources.as_file(entry) as path:
            index = read_index(path)
        if index.source != source:  # a packaging mistake, not a user's: say so plainly
            raise IndexFormatError(f"The bundled file {name} holds the {index.source!r} index, not {source!r}.")
        indexes.append(index)
    return indexes
