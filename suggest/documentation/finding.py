"""A documentation-integrity finding: what is incomplete or inconsistent in a chart, and where.

The seam between the checks (one small module per check family in this package) and everything that shows
or acts on a finding: the CLI's ``check`` command, the ``documentation`` list beside ``suggestions`` in every
output, the review page's panel and the provider queries drafted from a finding. Plain frozen data, like the
records in :mod:`suggest.types`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from suggest.types import Evidence

__all__ = ["SEVERITIES", "Finding", "Severity"]

# error: the chart cannot be coded as it stands (no signature, discharge before admission); warning: a coder
# should look before submitting (a conflict between sections); info: an opportunity (a more specific code).
Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding on one note.

    ``kind`` is stable and dotted, family first ("completeness.signature_missing",
    "inconsistency.laterality", "specificity.heart_failure_type"): stored with queries, counted in stats,
    filtered on in the queue. ``basis`` names the guideline or policy it rests on ("ICD-10-CM Official
    Guidelines I.B.14", "CMS Conditions of Participation 482.24(c)(1)"). ``indicators`` are the clinical
    indicators a provider query quotes: evidence spans, never paraphrase. ``codes`` are the suggested codes the
    finding concerns (the unspecified code a specificity finding points at). ``needs_query``: only the provider
    can resolve it, so the coder may raise a query from it.
    """

    kind: str
    severity: Severity
    message: str
    basis: str
    evidence: tuple[Evidence, ...] = ()
    indicators: tuple[Evidence, ...] = ()
    codes: tuple[str, ...] = ()
    needs_query: bool = False

    @property
    def family(self) -> str:
        return self.kind.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "family": self.family,
            "severity": self.severity,
            "message": self.message,
            "basis": self.basis,
            "evidence": [item.to_dict() for item in self.evidence],
            "indicators": [item.to_dict() for item in self.indicators],
            "codes": list(self.codes),
            "needs_query": self.needs_query,
        }
