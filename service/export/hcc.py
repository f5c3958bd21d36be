"""The HCC column of the exports: a code's CMS-HCC category, where risk adjustment provides one.

This is the seam between the exports and the risk-adjustment work (issue 20, point 3): until a CMS-HCC mapping is
installed here, every code's category is unknown and the column is left empty (never guessed).
"""

from __future__ import annotations

from datetime import date

__all__ = ["hcc_category"]


def hcc_category(code: str, service_date: date) -> str | None:
    """The CMS-HCC category of ``code`` for an encounter on ``service_date``; None where none is known."""
    return None
