"""Hypertension with heart disease and / or chronic kidney disease (I.C.9.a.1-3).

The classification presumes a causal link between hypertension and heart involvement (heart failure I50.-,
I51.4-I51.7, I51.89, I51.9) and between hypertension and chronic kidney disease (N18.-) unless the
documentation says they are unrelated, and gives one combination category for each case:

- heart only: I11.0 with heart failure, I11.9 without (I.C.9.a.1); "use additional code to identify type of
  heart failure" keeps the I50.- code;
- kidney only: I12.0 with CKD stage 5 / ESRD, I12.9 with stage 1-4 or unspecified (I.C.9.a.2); the N18 stage
  code stays ("use additional code to identify the stage of chronic kidney disease");
- both: I13.0 (heart failure, CKD 1-4), I13.2 (heart failure, CKD 5 / ESRD), I13.10 and I13.11 without heart
  failure (I.C.9.a.3).

The essential hypertension code I10 and any hypertensive combination the note does not support leave the list,
listed as the chosen code's ``replaces``. The Index's "Hypertension > with" subterms point here.
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps

__all__ = ["combine_hypertension", "hypertensive_code"]

_HYPERTENSION = ("I10", "I11", "I12", "I13")
_HEART_FAILURE = ("I50",)
_HEART_DISEASE = ("I51.4", "I51.5", "I51.6", "I51.7", "I51.89", "I51.9")
_CKD = ("N18",)
_LATE_CKD = ("N18.5", "N18.6")
_UNRELATED = re.compile(
    r"(?:unrelated|not (?:due to|related to|caused by|from|secondary to))\s+(?:to\s+)?(?:htn|hypertension)"
)


def hypertensive_code(heart_failure: bool, heart_disease: bool, ckd: bool, late_ckd: bool) -> str | None:
    """The I11-I13 code for the combination (I.C.9.a.1-3), or None for hypertension alone."""
    heart = heart_failure or heart_disease
    if heart and ckd:
        if heart_failure:
            return "I13.2" if late_ckd else "I13.0"
        return "I13.11" if late_ckd else "I13.10"
    if heart:
        return "I11.0" if heart_failure else "I11.9"
    if ckd:
        return "I12.0" if late_ckd else "I12.9"
    return None


@guideline_steps.register("chartcoder.guidelines.hypertension.v1")
def combine_hypertension(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Replace hypertension and its heart / kidney components by the I11-I13 combination (I.C.9.a)."""
    hypertensive = draft.in_category(*_HYPERTENSION)
    if not hypertensive or _UNRELATED.search(context.lowered):
        return
    failure = draft.in_category(*_HEART_FAILURE)
    heart = draft.in_category(*_HEART_DISEASE)
    kidney = draft.in_category(*_CKD)
    # one CKD stage per patient: the best-supported stage code decides 4th character 0 or 9 (I12) / 0-2 (I13)
    stage = max(kidney, key=lambda entry: entry.score).code if kidney else ""
    code = hypertensive_code(bool(failure), bool(heart), bool(kidney), stage.startswith(_LATE_CKD))
    if code is None or code not in context.codeset.codes:
        return
    sources: list[DraftCode] = [*hypertensive, *failure, *heart, *kidney]
    mentions = [mention for entry in sources for mention in entry.mentions]
    components = [entry.code for entry in [*hypertensive, *heart] if entry.code != code]
    hypertension_score = max(entry.score for entry in hypertensive)
    combination = DraftCode(code=code, score=hypertension_score, mentions=list(dict.fromkeys(mentions)))
    section = {"I11": "I.C.9.a.1", "I12": "I.C.9.a.2", "I13": "I.C.9.a.3"}[code[:3]]
    kept = draft.replace(components, combination, section, "hypertension with heart and/or kidney involvement")
    kept.score = hypertension_score
