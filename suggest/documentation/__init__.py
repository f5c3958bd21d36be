"""Documentation integrity: incomplete and inconsistent charts, found so a coder can query the provider.

One small module per check family, each a registered check (``chartcoder.documentation.<family>.v1``, in
:data:`DEFAULT_CHECKS` order) reading a :class:`NoteFacts` and returning :class:`Finding` records:
:mod:`.completeness` (signature, credentials, patient identifier, required sections, an assessment with a
diagnosis), :mod:`.dates`, :mod:`.attributes` (diabetes type, CKD stage, heart failure type, acuity,
laterality), :mod:`.negation`, :mod:`.copy_forward`, :mod:`.demographics` (sex and age), :mod:`.specificity`
(unspecified codes) and :mod:`.indicators` (clinical indicators without a diagnosis).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from suggest.documentation import (  # noqa: F401 - importing the check modules registers them
    attributes,
    completeness,
    copy_forward,
    dates,
    demographics,
    indicators,
    negation,
    specificity,
)
from suggest.documentation.context import NoteFacts, Sex
from suggest.documentation.finding import SEVERITIES, Finding, Severity
from suggest.documentation.query import QueryDraft, draft_query
from suggest.documentation.registry import DEFAULT_CHECKS, documentation_checks, run_checks
from suggest.guidelines.note import NoteView
from suggest.types import Mention, Setting, Suggestion

__all__ = [
    "DEFAULT_CHECKS",
    "SEVERITIES",
    "Finding",
    "NoteFacts",
    "QueryDraft",
    "Severity",
    "check_documentation",
    "documentation_checks",
    "draft_query",
]


def check_documentation(
    view: NoteView,
    setting: Setting = "outpatient",
    suggestions: Sequence[Suggestion] = (),
    mentions: Sequence[Mention] = (),
    *,
    document_type: str | None = None,
    today: date | None = None,
    patient_sex: Sex | None = None,
    patient_age: float | None = None,
    checks: tuple[str, ...] = DEFAULT_CHECKS,
) -> tuple[Finding, ...]:
    """Every documentation finding on one note (never logs the note)."""
    facts = NoteFacts(
        view=view,
        setting=setting,
        suggestions=tuple(suggestions),
        mentions=tuple(mentions),
        document_type=document_type,
        today=today or date.today(),
        patient_sex=patient_sex,
        patient_age=patient_age,
    )
    return tuple(run_checks(facts, checks))
