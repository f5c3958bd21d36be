"""The registry of documentation checks (``chartcoder.documentation.<family>.v1``) and the default list."""

from __future__ import annotations

from collections.abc import Callable

import catalogue

from suggest.documentation.context import NoteFacts
from suggest.documentation.finding import Finding

__all__ = ["DEFAULT_CHECKS", "DocumentationCheck", "documentation_checks", "run_checks"]

DocumentationCheck = Callable[[NoteFacts], list[Finding]]

# Registered with ``@documentation_checks.register("chartcoder.documentation.<family>.v1")``.
documentation_checks = catalogue.create("chartcoder", "documentation", entry_points=False)

DEFAULT_CHECKS: tuple[str, ...] = (
    "chartcoder.documentation.completeness.v1",
    "chartcoder.documentation.dates.v1",
    "chartcoder.documentation.attributes.v1",
    "chartcoder.documentation.negation.v1",
    "chartcoder.documentation.copy_forward.v1",
    "chartcoder.documentation.demographics.v1",
    "chartcoder.documentation.specificity.v1",
    "chartcoder.documentation.indicators.v1",
)


def run_checks(facts: NoteFacts, checks: tuple[str, ...] = DEFAULT_CHECKS) -> list[Finding]:
    """Every finding of the named checks, in check order."""
    findings: list[Finding] = []
    for name in checks:
        check: DocumentationCheck = documentation_checks.get(name)
        findings.extend(check(facts))
    return findings
