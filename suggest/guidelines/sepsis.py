"""Sepsis: the organism and severe sepsis (I.C.1.d.1.a, I.C.1.d.1.b, I.C.1.d.2).

- I.C.1.d.1.a: sepsis is coded by its systemic infection; A41.9 "unspecified organism" only when the note names
  none. The organism is read from the lines that speak of the sepsis ("sepsis", "septic", "bacteremia"): the
  Tabular titles of A40-A41 say which code ("E. coli" -> A41.51, "MRSA" -> A41.02).
- I.C.1.d.1.b / I.C.1.d.2: severe sepsis (R65.20) and septic shock (R65.21) are added after the systemic
  infection code when the note says so and does not negate it.
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps
from suggest.guidelines.specificity import more_specific_code
from vocab.text import normalize_tokens

__all__ = ["code_sepsis"]

_SEPSIS_CODES = ("A40", "A41")
_SEPSIS_WORD = re.compile(r"\b(?:sepsis|septic|bacteremia|urosepsis|septicemia)\b")
_NEGATED = r"(?:no|not|without|w/o|ruled out|r/o|negative for|denies)\W+(?:\w+\W+){0,3}"
_SHOCK = re.compile(r"septic shock")
_SEVERE = re.compile(r"severe sepsis|sepsis with (?:acute )?(?:multi)?organ dysfunction")
_ORGANISMS = {
    "mrsa": ("methicillin", "resistant", "staphylococcus", "aureus"),
    "mssa": ("methicillin", "susceptible", "staphylococcus", "aureus"),
    "gbs": ("streptococcus", "group", "b"),
    "pseudomonal": ("pseudomona",),
}


@guideline_steps.register("chartcoder.guidelines.sepsis.v1")
def code_sepsis(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Organism-specific sepsis code, then severe sepsis / septic shock (I.C.1.d)."""
    sepsis = draft.in_category(*_SEPSIS_CODES)
    if not sepsis:
        return
    lines = _sepsis_lines(context.lowered)
    words: set[str] = set()
    for line in lines:
        for word in normalize_tokens(line):
            words.add(word)
            words.update(_ORGANISMS.get(word, ()))
    for entry in sepsis:
        better = more_specific_code(entry.code, words, context.codeset)
        if better is not None and better.startswith(_SEPSIS_CODES) and better not in draft:
            old = entry.code
            entry.code = better
            entry.cite("I.C.1.d.1.a", f"sepsis coded by its organism, not {old}")
    strongest = max(sepsis, key=lambda entry: entry.score)
    severity = _severity(lines)
    if severity is not None and severity in context.codeset.codes:
        added = draft.add(DraftCode(code=severity, score=strongest.score, mentions=list(strongest.mentions)))
        section = "I.C.1.d.2" if severity == "R65.21" else "I.C.1.d.1.b"
        added.cite(section, "severe sepsis coded after the systemic infection")


def _sepsis_lines(lowered: str) -> list[str]:
    """Each line (without its line break) that names the sepsis, in note order: found from the words, not by a
    pattern that reads every line to its end from each of its characters (8 ms on a long note)."""
    lines = []
    line_end = -1
    for match in _SEPSIS_WORD.finditer(lowered):
        if match.start() < line_end:
            continue  # another word of the line already taken
        line_start = lowered.rfind("\n", 0, match.start()) + 1
        line_end = lowered.find("\n", match.end())
        if line_end < 0:
            line_end = len(lowered)
        lines.append(lowered[line_start:line_end])
    return lines


def _severity(lines: list[str]) -> str | None:
    for pattern, code in ((_SHOCK, "R65.21"), (_SEVERE, "R65.20")):
        for line in lines:
            if pattern.search(line) and not re.search(_NEGATED + pattern.pattern, line):
                return code
    return None
