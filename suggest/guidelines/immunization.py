"""Encounter for immunization, Z23 (I.C.21.c.2): a vaccine the note says was given at this encounter.

"Code Z23 is for encounters for inoculations and vaccinations ... Z23 may be used as a secondary code if the
inoculation is given as a routine part of preventive health care" (I.C.21.c.2). The step reads each sentence
of the note for a vaccine or toxoid (the generic words and the common abbreviations of the CDC vaccine names)
together with its administration at this visit ("given", "administered", "given today"); a vaccine declined,
deferred, not needed or only recorded in the history ("last tetanus unknown", "flu shot in October") is no
encounter for immunization.
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.folding import folded_note, says_any
from suggest.guidelines.note import AddedCode, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps

__all__ = ["GUIDELINE", "code_immunization", "immunization_given"]

GUIDELINE = "I.C.21.c.2"
CODE = "Z23"
# A vaccine or toxoid: the generic words, then the CDC vaccine-name abbreviations notes use (CVX short names).
_VACCINE_RE = re.compile(
    r"\b(?:vaccines?|vaccinations?|vaccinated|immuni[sz]ations?|immuni[sz]ed|toxoid|booster|flu shot|"
    r"Tdap|Td|DTaP|IPV|MMR|MMRV|Hib|PCV\d*|PPSV\d*|HPV\d*|Shingrix|Havrix|Engerix|Heplisav|Gardasil|"
    r"Prevnar|Pneumovax|Boostrix|Adacel|Fluzone|Flublok)\b",
    re.IGNORECASE,
)
# Every match of _VACCINE_RE holds one of these words: a sentence without any is not scanned.
_VACCINE_WORDS = (
    "vaccin",
    "immuni",
    "toxoid",
    "boost",
    "flu shot",
    "td",
    "dtap",
    "ipv",
    "mmr",
    "hib",
    "pcv",
    "ppsv",
    "hpv",
    "shingrix",
    "havrix",
    "engerix",
    "heplisav",
    "gardasil",
    "prevnar",
    "pneumovax",
    "adacel",
    "fluzone",
    "flublok",
)
# Given at this visit: the administration verbs, not "received" alone (a history entry reads that way).
_GIVEN_RE = re.compile(
    r"\b(?:given|administered|gave|administer(?:ed)? today|received today|given today|injected)\b", re.IGNORECASE
)
_NOT_GIVEN_RE = re.compile(
    r"\b(?:declined|refused|deferred|defer|not given|not needed|no vaccine|will give|to be given|due for|"
    r"next visit|at next|recommend(?:ed)?|offered)\b",
    re.IGNORECASE,
)


def immunization_given(note: NoteView) -> AddedCode | None:
    """Z23 with the first sentence saying a vaccine was given at this encounter, or None."""
    lowered = folded_note(note)
    for sentence in note.sentences() if says_any(lowered, _VACCINE_WORDS) else ():
        if not says_any(lowered, _VACCINE_WORDS, sentence.start, sentence.end):
            continue
        vaccine = _VACCINE_RE.search(sentence.text)
        if vaccine is None or _GIVEN_RE.search(sentence.text) is None or _NOT_GIVEN_RE.search(sentence.text):
            continue
        start = sentence.start + vaccine.start()
        evidence = (note.evidence(start, sentence.end),)
        return AddedCode(CODE, evidence, "a vaccine was given at this encounter", GUIDELINE)
    return None


@guideline_steps.register("chartcoder.guidelines.immunization.v1")
def code_immunization(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Z23 when the note says a vaccine was given at this encounter (I.C.21.c.2)."""
    found = immunization_given(note_of(context))
    if found is not None:
        add_codes(draft, [found], context.codeset, threshold=context.threshold)
