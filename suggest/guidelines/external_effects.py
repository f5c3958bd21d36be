"""Codes of an external cause's effect need the external cause (I.A.19, I.C.19).

Chapter 19 keeps, beside the injuries of named body regions, codes whose whole meaning is an external event:
injury of an unspecified body region (T14), effects of radiation, heat, cold, air pressure, asphyxiation and
other external causes (T66-T77) and traumatic complications (T79). A code is assigned on the provider's
statement that the condition exists (I.A.19); a lone word the lexicon also files there is no such statement:
"heat packs" is no effect of heat (T67.9), "freezing at doorways" in Parkinson disease no effect of cold
(T69.9), "secondhand smoke exposure" no "other effect of external causes" (T75.89), "septic shock" no traumatic
shock (T79.4), a pressure-ulcer "wound" no injury (T14.8). Such a code stays only when a sentence holding its
evidence states the event (a fall, a burn, exposure to cold, heat stroke, an assault ...); otherwise it leaves
the list with the reason. Allergic and anaphylactic reactions (T78) are the allergy step's.
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.registry import guideline_steps

__all__ = ["EXTERNAL_EFFECT_CATEGORIES", "require_external_event", "states_external_event"]

GUIDELINE = "I.A.19"
EXTERNAL_EFFECT_CATEGORIES = ("T14", "T66", "T67", "T68", "T69", "T70", "T71", "T73", "T74", "T75", "T76", "T79")
# An external event said in so many words; not a symptom ("freezing" of gait) nor a device ("heat packs").
_EVENT_RE = re.compile(
    r"\b(injur\w*|trauma\w*|fell|falls?|fallen|falling|slipp\w*|tripp\w*|struck|hit (?:by|with|on|in|against)|"
    r"accident\w*|mv[ac]s?|collision|crash\w*|assault\w*|abuse[sd]?|abusive|neglect\w*|maltreat\w*|"
    r"burn(?:s|ed)?|scald\w*|bit(?:e|ten)|stung|sting|exposed to|exposure to (?!(?:second|tobacco|smoke|cig))|"
    r"heat ?stroke|heat (?:exhaustion|cramps?|syncope|edema|fatigue|prostration)|sunstroke|hypotherm\w*|"
    r"frostbit\w*|frozen|immersion|drown\w*|electrocut\w*|electric (?:shock|current)|lightning|altitude|"
    r"barotrauma|decompression|asphyx\w*|chok(?:ed|ing)|strangul\w*|suffocat\w*|hanging|starvation|"
    r"deprivation|motion sickness|radiation (?:sickness|exposure)|irradiat\w*|laceration|contusion|"
    r"fractur\w*|sprain\w*)\b",
    re.IGNORECASE,
)


def states_external_event(sentence: str) -> bool:
    """Whether ``sentence`` states an external event (a fall, a burn, exposure to cold, an assault ...)."""
    return _EVENT_RE.search(sentence) is not None


@guideline_steps.register("chartcoder.guidelines.external_effects.v1")
def require_external_event(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """T14, T66-T77 and T79 codes leave the list unless a sentence of their evidence states the external event
    (I.A.19: a code is assigned on the provider's statement that the condition exists; I.C.19)."""
    for entry in draft.in_category(*EXTERNAL_EFFECT_CATEGORIES):
        sentences = [
            context.sentence_around(mention.start, mention.end)
            for mention in entry.mentions
            if mention.assertion not in ("negated", "family", "hypothetical")
        ]
        if not any(states_external_event(sentence) for sentence in sentences):
            draft.remove(entry.code, f"no external event stated for this effect of an external cause ({GUIDELINE})")
