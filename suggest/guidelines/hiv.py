"""HIV: B20 or Z21 on every encounter, never a personal history code (I.C.1.a.2.d, I.C.1.a.2.f).

- I.C.1.a.2.f: "Once a patient has developed an HIV-related illness, the patient should always be assigned code
  B20 on every subsequent admission/encounter"; such a patient is never assigned Z21.
- I.C.1.a.2.d: Z21 for a patient "HIV positive", "known HIV" without documented symptoms; not when the note says
  "AIDS" or "HIV disease", or the patient is treated for, or has, a condition resulting from the HIV (B20).

"History of HIV" is still HIV: the history step leaves it as it is (``data/lifelong_conditions.tsv``, never
Z86.19), and this step decides B20 (AIDS / an HIV-related illness documented anywhere in the note) or Z21.
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.note import guideline_mention, note_of
from suggest.guidelines.registry import guideline_steps

__all__ = ["HIV_DISEASE", "HIV_STATUS", "hiv_disease_span"]

HIV_DISEASE = "I.C.1.a.2.f"
HIV_STATUS = "I.C.1.a.2.d"
# The guideline's own words for HIV disease (I.C.1.a.2.d) and a condition stated as resulting from the HIV.
# "AIDS" only in capitals: "hearing aids", "aids digestion" are not it.
_HIV_DISEASE_RE = re.compile(
    r"\bAIDS\b|\b(?i:HIV disease|symptomatic HIV|HIV[- ](?:related|associated)|"
    r"(?:due to|secondary to|from|related to|associated with|complicating) (?:his |her |the )?HIV)\b"
)
_NEGATED_BEFORE_RE = re.compile(r"\b(?:no|not|without|never|denies|negative for|r/o|rule out)\b[^.;\n]{0,20}$", re.I)


def hiv_disease_span(text: str) -> tuple[int, int] | None:
    """Where the note documents AIDS, HIV disease or an HIV-related condition (not negated), or None."""
    for match in _HIV_DISEASE_RE.finditer(text):
        if not _NEGATED_BEFORE_RE.search(text, max(0, match.start() - 30), match.start()):
            return match.start(), match.end()
    return None


@guideline_steps.register("chartcoder.guidelines.hiv.v1")
def code_hiv(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """B20 when the note documents AIDS / an HIV-related illness (I.C.1.a.2.f: then never Z21), else a "history
    of HIV" is Z21, asymptomatic HIV status (I.C.1.a.2.d); never a personal history code."""
    disease = draft.get("B20")
    status = draft.get("Z21")
    if disease is None and status is None:
        return
    span = hiv_disease_span(context.text)
    if span is not None:
        if status is not None:
            mentions = [guideline_mention((note_of(context).evidence(*span),), "B20"), *status.mentions]
            kept = DraftCode(code="B20", score=status.score, mentions=mentions)
            why = "AIDS / an HIV-related illness documented: B20 on every encounter, never Z21"
            draft.replace(["Z21"], kept, HIV_DISEASE, why)
        elif disease is not None and _only_historical(disease):
            disease.cite(HIV_DISEASE, "HIV-related illness documented: B20 on every encounter, never a history code")
        return
    if disease is not None and status is None and _only_historical(disease):
        kept = DraftCode(code="Z21", score=disease.score, mentions=list(disease.mentions))
        why = "HIV documented as history, no AIDS or HIV-related illness: asymptomatic HIV status, not Z86.19"
        draft.replace(["B20"], kept, HIV_STATUS, why)


def _only_historical(entry: DraftCode) -> bool:
    return bool(entry.mentions) and all(mention.assertion == "historical" for mention in entry.mentions)
