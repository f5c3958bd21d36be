"""Dementia in a disease the note names: the disease, then F02 with the dementia's severity and behaviour
(I.A.13, I.C.5.d).

"Alzheimer's dementia" is indexed "Dementia, in, Alzheimer's disease - see Disease, Alzheimer's", and the
disease's entry sends the dementia to "Dementia, in, diseases specified elsewhere" (F02.8-): the etiology is
coded first and the dementia as a manifestation from F02, whose Tabular "code first the underlying physiological
condition, such as: Alzheimer's (G30.-) ..." note lists the diseases (I.A.13 etiology/manifestation). The F02
codes carry the same severity and behavioural subdivisions as F03 (I.C.5.d): "moderate, with agitation" is
F03.B11 when no cause is named and F02.B11 in a named disease. So an unspecified dementia (F03) whose sentence
names one of the diseases of F02's code-first note becomes the F02 code of the same subdivision, and the
disease's code (the billable code of the note's category that the sentence's words support: "late onset" G30.1)
is added. The diseases come from the Tabular note itself, not from a list of this module's own.
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.index_walk import billable_choice, content_words
from suggest.guidelines.note import AddedCode, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from suggest.types import Evidence
from vocab.codeset import CodeSet, parse_code_references

__all__ = ["GUIDELINE", "code_dementia_in_disease"]

GUIDELINE = "I.A.13"
_UNSPECIFIED = "F03"
_IN_OTHER_DISEASES = "F02"
# Words of the code-first note's phrases that name no disease by themselves ("Huntington's disease" is said by
# "Huntington's"; "Alzheimer's" by "Alzheimer"): the rest must all be in the dementia's sentence.
_GENERIC = frozenset({"disease", "other", "such", "as", "neurocognitive", "disorder", "with"})
_BRACKETS_RE = re.compile(r"\[[^\]]*\]|\([^)]*\)")


@guideline_steps.register("chartcoder.guidelines.dementia.v1")
def code_dementia_in_disease(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """An unspecified dementia whose sentence names a disease of F02's code-first note becomes F02 of the same
    severity and behaviour, after the disease's own code (I.A.13, I.C.5.d)."""
    dementias = draft.in_category(_UNSPECIFIED)
    if not dementias:
        return
    codeset = context.codeset
    twins = _f02_twins(codeset)
    etiologies = _etiologies(codeset)
    note = note_of(context)
    for entry in dementias:
        twin = twins.get(entry.code)
        found = _named_etiology(entry, context, etiologies) if twin else None
        if twin is None or found is None:
            continue
        category, words, mention = found
        etiology = billable_choice(codeset, category, words)
        if etiology is None:
            continue
        evidence = (note.evidence(mention.start, mention.end),)
        rationale = f"dementia in {codeset.codes[etiology].description} is coded to the disease first"
        add_codes(draft, [AddedCode(etiology, evidence, rationale, GUIDELINE)], codeset, threshold=context.threshold)
        old = entry.code
        if twin in draft:
            draft.replace([old], DraftCode(code=twin, score=entry.score, mentions=list(entry.mentions)), GUIDELINE, "")
            continue
        entry.code = twin
        entry.refined_from.append(old)
        entry.cite(GUIDELINE, f"dementia in a disease classified elsewhere ({etiology}), not {old}")
        entry.cite("I.C.5.d", "the same severity and behavioural disturbance")


def _named_etiology(
    entry: DraftCode, context: GuidelineContext, etiologies: tuple[tuple[frozenset[str], str], ...]
) -> tuple[str, frozenset[str], Evidence] | None:
    """(the disease's category, the words of the dementia's sentences, the evidence naming it) when a sentence
    of the dementia's affirmed mentions names a disease of F02's code-first note."""
    for mention in entry.mentions:
        if mention.assertion in ("negated", "family", "hypothetical", "historical"):
            continue
        for piece in mention.evidence:
            words = content_words(context.sentence_around(piece.start, piece.end))
            for required, category in etiologies:
                if all(_said(word, words) for word in required):
                    return category, words, piece
    return None


def _said(word: str, words: frozenset[str]) -> bool:
    """``word`` or a form of it one to three letters longer or shorter ("alzheimer" / "alzheimers")."""
    return word in words or any(
        len(word) >= 5 and (other.startswith(word) or word.startswith(other)) and abs(len(other) - len(word)) <= 3
        for other in words
    )


def _etiologies(codeset: CodeSet) -> tuple[tuple[frozenset[str], str], ...]:
    """(the words naming the disease, its category) for each disease of F02's "code first" note that names one
    category ("Alzheimer's (G30.-)"; not a range such as "intoxications (T36-T65)"): read once per code set."""
    table = derived_table("dementia.etiologies", codeset)
    if "rows" not in table:
        rows = []
        for _, note in codeset.inherited_notes(_IN_OTHER_DISEASES, "code_first"):
            references = parse_code_references(note)
            if len(references) != 1 or references[0].first != references[0].last:
                continue
            words = frozenset(content_words(_BRACKETS_RE.sub(" ", note)) - _GENERIC)
            category = references[0].first.rstrip("-").rstrip(".")
            if words and category in codeset.codes:
                rows.append((words, category))
        table["rows"] = tuple(rows)
    return table["rows"]


def _f02_twins(codeset: CodeSet) -> dict[str, str]:
    """F03 code -> the F02 code of the same subdivision (the title after the first comma: "moderate, with
    agitation"), read once per code set."""
    table = derived_table("dementia.f02_twins", codeset)
    if "twins" not in table:
        in_disease = {
            _subdivision(code.description): code.code for code in codeset.billable_descendants(_IN_OTHER_DISEASES)
        }
        table["twins"] = {
            code.code: in_disease[_subdivision(code.description)]
            for code in codeset.billable_descendants(_UNSPECIFIED)
            if _subdivision(code.description) in in_disease
        }
    return table["twins"]


def _subdivision(title: str) -> str:
    return title.split(",", 1)[1].strip().lower() if "," in title else ""
