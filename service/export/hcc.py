"""The HCC column of the exports: a code's CMS-HCC V28 category, from the risk-adjustment module.

CMS pays year Y+1 on the diagnoses of dates of service in year Y; chartcoder serves the V28 mapping of the
payment years it ships (:data:`suggest.risk_adjustment.PAYMENT_YEARS`), so an encounter whose payment year is not
served is given the nearest one served (V28 is the whole model from payment year 2026 on). A code mapping to two
categories (E08.311 -> 37 and 298) gives both, joined with ";". A code with no category leaves the cell empty.
"""

from __future__ import annotations

from datetime import date

from suggest.risk_adjustment import PAYMENT_YEARS, hcc_for

__all__ = ["hcc_category", "payment_year_for"]


def payment_year_for(service_date: date) -> int:
    """The CMS payment year that the diagnoses of ``service_date`` count for, clamped to the years served."""
    wanted = service_date.year + 1
    return min(PAYMENT_YEARS, key=lambda year: (abs(year - wanted), -year))


def hcc_category(code: str, service_date: date) -> str | None:
    """The CMS-HCC V28 categories of ``code`` for an encounter on ``service_date``; None where it maps to none."""
    categories = hcc_for(code, payment_year_for(service_date))
    return ";".join(category.hcc for category in categories) or None
