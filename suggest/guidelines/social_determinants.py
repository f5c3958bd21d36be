"""Social determinants of health, Z55-Z65 (I.C.21.c.17, I.B.14), from the statements notes make of them.

"Assign as many SDOH Z codes as are necessary to describe all of the social problems, conditions, or risk factors
documented during the current episode of care" (I.C.21.c.17), and they may be assigned from the documentation of
any clinician involved in the patient's care, or the patient's own report (I.B.14). Notes seldom use the Index's
words ("insurance lapsed after a job change", "uninsured"): the reviewed table ``data/social_determinants.tsv``
lists such statements with the Alphabetic Index entry that names the circumstance ("No, health insurance
coverage"), and the code is that entry's, verified in the Tabular List. A statement in a relative's history says
nothing of the patient's circumstances; one the ranker already coded adds nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.index_walk import billable_choice
from suggest.guidelines.note import AddedCode, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from suggest.guidelines.tables import read_table
from vocab.codeset import CodeSet
from vocab.index import AlphabeticIndex

__all__ = ["GUIDELINE", "social_determinant_codes"]

GUIDELINE = "I.C.21.c.17"
_SKIPPED_SECTIONS = ("family_history",)


@lru_cache(maxsize=1)
def _statements() -> tuple[tuple[re.Pattern[str], tuple[str, ...], tuple[str, ...]], ...]:
    """(statement pattern, gate words, Index path) rows of the reviewed table, compiled once."""
    return tuple(
        (
            re.compile(r"\b(?:" + row["statement"] + r")\b", re.IGNORECASE),
            tuple(row["words"].split()),
            tuple(row["index_path"].split(" > ")),
        )
        for row in read_table("social_determinants")
    )


def social_determinant_codes(note: NoteView, index: AlphabeticIndex, codeset: CodeSet) -> list[AddedCode]:
    """One SDOH code per circumstance the note states, from its Index entry, with the statements as evidence."""
    text = note.text
    lowered = text.lower()
    added = []
    for pattern, gate, path in _statements():
        if not any(word in lowered for word in gate):
            continue
        evidence = tuple(
            note.evidence(match.start(), match.end())
            for match in pattern.finditer(text)
            if note.section_at(match.start()) not in _SKIPPED_SECTIONS
        )
        term = index.find(*path) if evidence else None
        code = billable_choice(codeset, term.codes[0], set()) if term is not None and term.codes else None
        if code is not None:
            why = f"social determinant of health documented: Alphabetic Index {' > '.join(path)}"
            added.append(AddedCode(code, evidence, why, GUIDELINE))
    return added


@guideline_steps.register("chartcoder.guidelines.social_determinants.v1")
def code_social_determinants(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Z55-Z65 codes for the social circumstances the note states (I.C.21.c.17, I.B.14)."""
    index = context.index("index")
    if index is None:
        return
    added = social_determinant_codes(note_of(context), index, context.codeset)
    add_codes(draft, [item for item in added if item.code not in draft], context.codeset, threshold=context.threshold)
