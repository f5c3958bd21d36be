"""Documentation integrity: incomplete and inconsistent charts, found so a coder can query the provider."""

from suggest.documentation.finding import SEVERITIES, Finding, Severity
from suggest.documentation.query import QueryDraft, draft_query

__all__ = ["SEVERITIES", "Finding", "QueryDraft", "Severity", "draft_query"]
