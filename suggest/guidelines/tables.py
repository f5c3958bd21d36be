"""The small reviewed tables the guideline rules read (``suggest/guidelines/data/*.tsv``).

Each file starts with ``#`` lines saying where its rows came from, then a tab-separated header and rows.
Read once per process (packaged data, never changed at run time).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

__all__ = ["read_table"]


@lru_cache(maxsize=16)
def read_table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``data/<name>.tsv`` as dicts keyed by the header."""
    text = resources.files("suggest.guidelines.data").joinpath(f"{name}.tsv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    header = lines[0].split("\t")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(header):
            raise ValueError(f"{name}.tsv data line {number}: {len(cells)} cells, the header has {len(header)}")
        rows.append(dict(zip(header, cells, strict=True)))
    return tuple(rows)
