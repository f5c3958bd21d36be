"""Present-on-admission indicators for inpatient notes (Appendix I, Official Guidelines FY2026).

Y: present at the time of the order for inpatient admission (conditions diagnosed before admission, in the
emergency department, or documented as present on admission); N: not present (developed during the stay:
"hospital day 3", "hospital-acquired", "postoperative"); W: the provider cannot clinically determine it;
"1": the code is on the Appendix I exempt list (``data/poa_exempt.tsv``) or is an injury / poisoning /
external cause code with 7th character D or S. Outpatient notes get no POA indicator.
"""

from __future__ import annotations

import re
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.data import read_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps
from suggest.types import PoaIndicator

__all__ = ["assign_poa", "is_poa_exempt"]

# Words that place the onset after the admission order (Appendix I: "conditions that develop during an
# outpatient encounter ... prior to admission are POA"; those developing during the stay are not).
_ACQUIRED = re.compile(
    r"hospital[- ]acquired|nosocomial|developed (?:on |during |after )|(?:on |by )?hospital day \d|\bhd ?\d\b|"
    r"post[- ]?op(?:erative)?(?:ly)?\b|during (?:the |this )?(?:hospitali[sz]ation|admission|stay)|"
    r"after admission|not present on admission|iatrogenic|in[- ]hospital (?:fall|onset)"
)
_UNDETERMINED = re.compile(r"unable to (?:clinically )?determine|clinically undetermined|cannot be determined")
_PRESENT = re.compile(
    r"present on admission|on admission|at admission|admitted (?:with|for)|in the ed\b|prior to admission"
)


@lru_cache(maxsize=1)
def _exempt_prefixes() -> tuple[str, ...]:
    return tuple(row[0] for row in read_table("poa_exempt.tsv"))


def is_poa_exempt(code: str) -> bool:
    """Appendix I: on the exempt list, or an injury, poisoning or external cause code for a subsequent
    encounter (D) or a sequela (S)."""
    if code.startswith(_exempt_prefixes()):
        return True
    compact = code.replace(".", "")
    return compact[0] in "STVWXY" and len(compact) == 7 and compact[6] in "DS"


@guideline_steps.register("chartcoder.guidelines.poa.v1")
def assign_poa(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Set ``poa`` on every code of an inpatient note (Appendix I); the principal diagnosis is POA "Y" unless
    the note says otherwise."""
    if context.setting != "inpatient":
        return
    for entry in draft.entries:
        entry.poa = _indicator(entry, context)
        if entry.poa != "Y":
            entry.cite("Appendix I", f"POA {entry.poa}")


def _indicator(entry: DraftCode, context: GuidelineContext) -> PoaIndicator:
    if is_poa_exempt(entry.code):
        return "1"
    sentences = [_sentence_around(context.text, mention.start, mention.end) for mention in entry.mentions]
    if any(_PRESENT.search(sentence) for sentence in sentences):
        return "Y"
    if any(_ACQUIRED.search(sentence) for sentence in sentences):
        return "N"
    if any(_UNDETERMINED.search(sentence) for sentence in sentences):
        return "W"
    return "Y"


def _sentence_around(text: str, start: int, end: int) -> str:
    """The note's sentence (or list line) around a mention, lower-cased."""
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start), text.rfind(";", 0, start))
    right_candidates = [position for position in (text.find(".", end), text.find("\n", end)) if position != -1]
    right = min(right_candidates) if right_candidates else len(text)
    return text[left + 1 : right].lower()
