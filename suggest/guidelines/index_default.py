"""A main term's default code beside the code of a subterm below it is one condition read twice (I.B.1, I.B.2).

A coder locates a term in the Alphabetic Index and reads down its subterms to the most specific code the
documentation supports (I.B.1); the code printed at the entry above is the default for when nothing more is said.
When the list holds both ("HCV" read as "Hepatitis, C" -> B19.20, and "chronic hepatitis C" as "Hepatitis, C,
chronic" -> B18.2; "dependence" as "Dependence" -> F19.20 beside "Dependence, nicotine, cigarettes" -> F17.210),
the default is the same condition at a lower level of detail (I.B.2): it is not proposed (its score drops below
the threshold, so it is only listed, with the reason in its rationale). Only codes of one Tabular block are read
so: "Hypertension" (I10) and "Hypertension, pulmonary" (I27.20) are two conditions of different blocks, both
reported.
"""

from __future__ import annotations

from collections import defaultdict

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet
from vocab.index import AlphabeticIndex

__all__ = ["drop_index_defaults", "is_default_above"]

SECTION = "I.B.2"
# A demoted default's score, as a fraction of the threshold: below it, so listed and not proposed.
LISTED_FACTOR = 0.9
# Index entries printing each code, exactly ("B19.20") or as a stem ("I82.40-"), built once per Index (a table
# derived from the Index, held as long as the Index lives: suggest/guidelines/derived.py).
_Printed = tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]
# Pairs of codes answered at most before the table of answers starts afresh (a few bytes each).
_PAIRS_LIMIT = 200_000


@guideline_steps.register("chartcoder.guidelines.index_default.v1")
def drop_index_defaults(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """List, not propose, a code printed at an Index entry above the entry of another proposed code of its block:
    the subterm's code is the condition at the level of detail the note supports (I.B.1, I.B.2)."""
    index = context.index("index")
    if index is None:
        return
    proposed = [entry for entry in draft.entries if entry.score >= context.threshold and _affirmed(entry)]
    if len(proposed) < 2:
        return
    # only two codes of one Tabular block can be one condition read twice: the pairs across blocks (most of a
    # note's n * n pairs) are not asked
    block = {entry: context.codeset.block_of(entry.code) for entry in proposed}
    for general in proposed:
        if general not in draft.entries:
            continue
        specific = next(
            (
                other
                for other in proposed
                if other is not general
                and block[other] == block[general]
                and other in draft.entries
                and is_default_above(index, context.codeset, general.code, other.code)
                # entries both ways ("Rhinitis, allergic" prints J30.1 above J30.89 and J30.89 above J30.1): the
                # Index does not rank the two, so neither is the other's default
                and not is_default_above(index, context.codeset, other.code, general.code)
            ),
            None,
        )
        if specific is not None:
            # listed for the coder below the proposed codes, not proposed: the words may yet be a second
            # condition the coder knows of, and a listed code costs no claim line
            general.score = min(general.score, context.threshold * LISTED_FACTOR)
            general.cite(
                SECTION,
                f"the Index entry above {specific.code}'s: the same condition at less detail than {specific.code}; "
                "listed, not proposed",
            )


def is_default_above(index: AlphabeticIndex, codeset: CodeSet, general: str, specific: str) -> bool:
    """Whether an Index entry printing ``general`` lies above an entry printing ``specific`` (two codes of one
    Tabular block): ``general`` is the main term's or subterm's default for the condition ``specific`` names."""
    # asked for each ordered pair of proposed codes of every note: answered once per pair and release
    known = derived_table("index_default.default_above", index, codeset)
    pair = (general, specific)
    above = known.get(pair)
    if above is None:
        if len(known) > _PAIRS_LIMIT:
            known.clear()  # the pairs are the notes' codes: a service running for months must not keep them all
        above = known[pair] = _is_default_above(index, codeset, general, specific)
    return above


def _is_default_above(index: AlphabeticIndex, codeset: CodeSet, general: str, specific: str) -> bool:
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
    # asked for each pair of proposed codes of every note: worked out once per code (the Index is read-only)
    known = derived_table("index_default.entries_printing", index)
    if code in known:
        return known[code]
    exact, stems = _printed(index)
    found = list(exact.get(code, ()))
    compact = code.replace(".", "")
    for length in range(3, len(compact)):
        stem = compact[:length]
        found.extend(stems.get(stem, ()))
    known[code] = tuple(found)
    return known[code]


def _printed(index: AlphabeticIndex) -> _Printed:
    table = derived_table("index_default.printed", index)
    if "printed" not in table:
        exact: dict[str, list[int]] = defaultdict(list)
        stems: dict[str, list[int]] = defaultdict(list)
        for term in index.terms:
            for printed in term.codes:
                if printed.endswith("-"):
                    stems[printed.rstrip("-").rstrip(".").replace(".", "")].append(term.id)
                else:
                    exact[printed].append(term.id)
        table["printed"] = (
            {code: tuple(ids) for code, ids in exact.items()},
            {code: tuple(ids) for code, ids in stems.items()},
        )
    return table["printed"]


def _affirmed(entry: DraftCode) -> bool:
    return any(mention.assertion == "present" for mention in entry.mentions)
