"""The term table's cache file beside the code set: built once, keyed by the code-set artifact's hashes."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from suggest.termtable import TABLE_FORMAT, TermTable, build_term_table
from vocab.vocabulary import Vocabulary

__all__ = ["load_term_table"]


def _table_key(vocabulary: Vocabulary) -> str:
    digest = hashlib.sha256(f"term-table-{TABLE_FORMAT}".encode())
    for name, sha in sorted(vocabulary.manifest.files.items()):
        digest.update(f"{name}={sha};".encode())
    return digest.hexdigest()[:20]


def load_term_table(vocabulary: Vocabulary) -> TermTable:
    """The term table for this vocabulary, from its cache file (keyed by the artifact's hashes)."""
    cache = vocabulary.folder.parent / "cache" / f"term-table-{_table_key(vocabulary)}.pkl"
    if cache.exists():
        try:
            with cache.open("rb") as handle:
                table = pickle.load(handle)  # noqa: S301 - written by us, keyed by the artifact's sha256
            if isinstance(table, TermTable) and table.format_version == TABLE_FORMAT:
                return table
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a damaged cache is rebuilt below
    table = build_term_table(vocabulary)
    _write_atomically(cache, table)
    return table


def _write_atomically(path: Path, value: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".term-table-")
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only home still works; the table is rebuilt at each start
