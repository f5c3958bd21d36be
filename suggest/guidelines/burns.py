"""Burns by site (I.C.19.d.4): a code for each burn site; the unspecified body region (T30) leaves when a site is
coded.

"When coding burns, assign separate codes for each burn site. Category T30, Burn and corrosion, body region
unspecified is extremely vague and should rarely be used" (I.C.19.d.4). When the list holds a burn or corrosion
of a stated site (T20-T28), a T30 code says nothing more and leaves; alone, it stays (the note names no site).
"""

from __future__ import annotations

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.registry import guideline_steps

__all__ = ["GUIDELINE", "drop_unspecified_burn_region"]

GUIDELINE = "I.C.19.d.4"
_SITE_BURNS = ("T20", "T21", "T22", "T23", "T24", "T25", "T26", "T27", "T28")
_UNSPECIFIED_REGION = "T30"


@guideline_steps.register("chartcoder.guidelines.burns.v1")
def drop_unspecified_burn_region(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """T30 (body region unspecified) leaves when a burn or corrosion of a stated site is listed (I.C.19.d.4)."""
    sites = [entry for entry in draft.in_category(*_SITE_BURNS) if entry.score >= context.threshold]
    if not sites:
        return
    for entry in draft.in_category(_UNSPECIFIED_REGION):
        draft.remove(
            entry.code,
            f"a burn site is coded ({sites[0].code}): the unspecified body region is not reported ({GUIDELINE})",
        )
