"""The small reviewed tables the guideline rules read (``suggest/guidelines/data/*.tsv``), as dicts by header.

Each file starts with ``#`` lines saying where its rows came from, then a tab-separated header and rows; the
rows are read by :func:`suggest.guidelines.data.read_table`, once per process (packaged data, never changed).
"""

from __future__ import annotations

from functools import lru_cache

from suggest.guidelines.data import read_table as read_rows

__all__ = ["read_table"]


@lru_cache(maxsize=16)
def read_table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``data/<name>.tsv`` as dicts keyed by the header."""
    header, *rows = read_rows(f"{name}.tsv")
    for number, cells in enumerate(rows, start=2):
        if len(cells) != len(header):
            raise ValueError(f"{name}.tsv data line {number}: {len(cells)} cells, the header has {len(header)}")
    return tuple(dict(zip(header, cells, strict=True)) for cells in rows)
