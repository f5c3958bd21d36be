"""A condition's words that name a clinic or service are not a documented condition (IV.J, III).

"Movement Disorders Clinic", "Heart Failure Clinic", "Wound Care Center", "Dialysis Unit", "Liver Transplant
Service", "Addiction med consult" (the service consulted): the words before the place word name where the patient
is seen, not what the patient has. A code whose every mention is such a name leaves the list; the same condition
documented anywhere else in the note (the assessment, the history) is coded from those words (IV.J: code the
conditions documented as coexisting and affecting care).
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps

__all__ = ["drop_place_names", "names_a_place"]

SECTION = "IV.J"
# The words that make the words before them the name of a place or service of care.
_PLACE_AFTER = re.compile(
    r"[ \t]*(?:clinic|clinics|center|centre|unit|service|department|dept|program|institute|team"
    r"|(?:med(?:icine)?[ \t]+)?(?:consult|consultation|consulted)\b)\b",
    re.IGNORECASE,
)


@guideline_steps.register("chartcoder.guidelines.place_names.v1")
def drop_place_names(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Remove codes read only from the name of a clinic, unit or service ("Movement Disorders Clinic") (IV.J)."""
    for entry in list(draft.entries):
        if entry.code.startswith("Z"):
            continue  # "Palliative Care Service" names the service given (Z51.5), which is what a Z code says
        if entry.mentions and all(names_a_place(context.text, piece.end) for piece in _pieces(entry)):
            draft.remove(
                entry.code, f"the words name a clinic or service, not a condition the note documents ({SECTION})"
            )


def names_a_place(text: str, end: int) -> bool:
    """Whether the words ending at ``end`` are followed by a place word on the same line ("... Clinic")."""
    return _PLACE_AFTER.match(text, end) is not None


def _pieces(entry: DraftCode) -> list:
    return [piece for mention in entry.mentions for piece in mention.evidence]
