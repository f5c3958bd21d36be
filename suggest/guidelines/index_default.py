"""A main term's default code beside the code of a subterm below it is one condition read twice (I.B.1, I.B.2).

A coder locates a term in the Alphabetic Index and reads down its subterms to the most specific code the
documentation supports (I.B.1); the code printed at the entry above is the default for when nothing more is said.
When the list holds both ("HCV" read as "Hepatitis, C" -> B19.20, and "chronic hepatitis C" as "Hepatitis, C,
chronic" -> B18.2; "dependence" as "Dependence" -> F19.20 beside "Dependence, nicotine, cigarettes" -> F17.210),
the default is the same condition at a lower level of detail (I.B.2): it leaves, and the subterm's code lists it
as ``replaces``. Only codes of one Tabular block are read so: "Hypertension" (I10) and "Hypertension, pulmonary"
(I27.20) are two conditions of different blocks, both reported.
"""

from __future__ import annotations

from collections import defaultdict

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet
from vocab.index import AlphabeticIndex

__all__ = ["drop_index_defaults", "is_default_above"]

SECTION = "I.B.2"
# Index entries printing each code, exactly ("B19.20") or as a stem ("I82.40-"), built once per Index.
_Printed = tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]
_PRINTED: dict[int, tuple[AlphabeticIndex, _Printed]] = {}


@guideline_steps.register("chartcoder.guidelines.index_default.v1")
def drop_index_defaults(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Remove a proposed code printed at an Index entry above the entry of another proposed code of its block: the
    subterm's code is the condition at the level of detail the note supports (I.B.1, I.B.2)."""
    index = context.index("index")
    if index is None:
        return
    proposed = [entry for entry in draft.entries if entry.score >= context.threshold and _affirmed(entry)]
    if len(proposed) < 2:
        return
    for general in proposed:
        if general not in draft.entries:
            continue
        specific = next(
            (
                other
                for other in proposed
                if other is not general
                and other in draft.entries
                and is_default_above(index, context.codeset, general.code, other.code)
            ),
            None,
        )
        if specific is not None:
            draft.replace(
                [general.code],
                specific,
                SECTION,
                f"Index subterm below the entry of {general.code}: the same condition at the level of detail "
                "the note supports",
            )


def is_default_above(index: AlphabeticIndex, codeset: CodeSet, general: str, specific: str) -> bool:
    """Whether an Index entry printing ``general`` lies above an entry printing ``specific`` (two codes of one
    Tabular block): ``general`` is the main term's or subterm's default for the condition ``specific`` names."""
    if general == specific or specific.startswith(general) or general.startswith(specific):
        return False
    if codeset.block_of(general) != codeset.block_of(specific):
        return False
    above = set(_entries_printing(index, general))
    if not above:
        return False
    for term_id in _entries_printing(index, specific):
        parent = index.term(term_id).parent
        while parent is not None:
            if parent in above:
                return True
            parent = index.term(parent).parent
    return False


def _entries_printing(index: AlphabeticIndex, code: str) -> tuple[int, ...]:
    exact, stems = _printed(index)
    found = list(exact.get(code, ()))
    compact = code.replace(".", "")
    for length in range(3, len(compact)):
        stem = compact[:length]
        found.extend(stems.get(stem, ()))
    return tuple(found)


def _printed(index: AlphabeticIndex) -> _Printed:
    key = id(index)
    if key not in _PRINTED or _PRINTED[key][0] is not index:
        exact: dict[str, list[int]] = defaultdict(list)
        stems: dict[str, list[int]] = defaultdict(list)
        for term in index.terms:
            for printed in term.codes:
                if printed.endswith("-"):
                    stems[printed.rstrip("-").rstrip(".").replace(".", "")].append(term.id)
                else:
                    exact[printed].append(term.id)
        _PRINTED[key] = (
            index,
            ({code: tuple(ids) for code, ids in exact.items()}, {code: tuple(ids) for code, ids in stems.items()}),
        )
    return _PRINTED[key][1]


def _affirmed(entry: DraftCode) -> bool:
    return any(mention.assertion == "present" for mention in entry.mentions)
