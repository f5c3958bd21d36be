"""Documentation integrity: incomplete and inconsistent charts, found so a coder can query the provider."""

from suggest.documentation.finding import SEVERITIES, Finding, Severity

__all__ = ["SEVERITIES", "Finding", "Severity"]
