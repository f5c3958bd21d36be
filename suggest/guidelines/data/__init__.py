"""Reviewed data tables of the guideline layer (each file's header says where its rows come from)."""

from __future__ import annotations

from importlib import resources

__all__ = ["read_table"]


def read_table(name: str) -> list[list[str]]:
    """The rows of a tab-separated table in this folder, comments (``#``) and blank lines skipped."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
