"""The term table's cache beside the code set: built once, keyed by the code-set artifact's hashes.

The cache is a :func:`vocab.artifact.write_cached` folder (``<home>/cache/term-table-<key>/``): msgpack of plain
values with a manifest of its sha256, written atomically and read back only when the hash matches. It holds
no pickle, so a cache file someone else wrote cannot run code in the engine.
"""

from __future__ import annotations

import contextlib
import hashlib
from importlib import resources

from suggest.termtable import TABLE_FORMAT, TermTable, build_term_table
from vocab.artifact import read_cached, write_cached
from vocab.vocabulary import Vocabulary

__all__ = ["load_term_table"]


def _table_key(vocabulary: Vocabulary) -> str:
    digest = hashlib.sha256(f"term-table-{TABLE_FORMAT}".encode())
    for name, sha in sorted(vocabulary.manifest.files.items()):
        digest.update(f"{name}={sha};".encode())
    # The table carries the reviewed abbreviations: an edited list must not be read from a stale cache.
    digest.update(resources.files("vocab.data").joinpath("abbreviations.tsv").read_bytes())
    return digest.hexdigest()[:20]


def load_term_table(vocabulary: Vocabulary) -> TermTable:
    """The term table for this vocabulary, from its cache folder, built and cached when missing or damaged."""
    cache = vocabulary.home / "cache" / f"term-table-{_table_key(vocabulary)}"
    table = TermTable.from_state(read_cached(cache))
    if table is not None:
        return table
    table = build_term_table(vocabulary)
    with contextlib.suppress(OSError):  # a read-only home still works; the table is rebuilt at each start
        write_cached(cache, table.to_state())
    return table
