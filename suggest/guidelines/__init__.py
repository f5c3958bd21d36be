"""The guideline layer: from ranked candidate codes to the code set a certified coder would report, in order.

The ranker scores; this layer builds and orders the code set under the ICD-10-CM Official Guidelines for Coding
and Reporting (FY2026). It runs after :func:`suggest.rules.rank_codes` (assertion, billable specificity,
redundancy) and before the final flags (Excludes1, code first / use additional, unspecified).

The step interface (for every guideline area)
---------------------------------------------
A step is a function ``step(draft: CodeSetDraft, context: GuidelineContext) -> None`` registered under a
versioned name and listed, in order, in :data:`DEFAULT_STEPS`::

    from suggest.guidelines.registry import guideline_steps

    @guideline_steps.register("chartcoder.guidelines.tobacco.v1")
    def code_tobacco(draft: CodeSetDraft, context: GuidelineContext) -> None:
        '''Tobacco use and dependence (I.C.5.b.1): ...'''

- read the note through ``context`` (:class:`GuidelineContext`: code set, imported Alphabetic Index / Drug /
  Neoplasm tables via ``context.index(source)``, setting, text, mentions with section and assertion,
  candidates with their ranker scores, threshold);
- change the working list ``draft`` (:class:`CodeSetDraft`) only through its methods: ``add`` (a new code,
  merged with an existing one), ``replace`` (a combination code standing for its components, which become its
  ``replaces``), ``remove`` (into ``excluded`` with a reason naming the guideline section); reordering is the
  sequencing step's;
- call ``entry.cite(section, note)`` on every code a rule touches, so the suggestion's rationale names the
  guideline section ("I.C.9.a.2"); the same section goes in the step's docstring;
- one module per area, named after what it decides (``combination.py``, ``specificity.py``, ...); data first
  (Tabular notes, Index "with" subterms, the drug and neoplasm tables), small reviewed tables in
  ``suggest/guidelines/data/`` (a header says where each row comes from) second, code last;
- never log note text.

:func:`apply_guidelines` runs the steps and turns the draft into :class:`suggest.types.Suggestion` records:
proposed codes first in reporting order (rank 1 = principal / first-listed), the listed ones after by score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from suggest.guidelines import (  # noqa: F401 - importing the step modules registers them
    allergies,
    bmi,
    burns,
    combination,
    dementia,
    drugs,
    encounter_reason,
    excluded_cause,
    external_cause,
    external_effects,
    history_status,
    hiv,
    hypertension,
    immunization,
    index_default,
    index_subterms,
    index_terms,
    integral,
    medications,
    neoplasm,
    one_per_finding,
    organisms,
    place_names,
    poa,
    pregnancy,
    sepsis,
    sequencing,
    social_determinants,
    specificity,
    substance_use,
    word_senses,
)
from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import DEFAULT_STEPS, GuidelineStep, guideline_steps, run_steps
from suggest.rules import Ranked, code_flags, evidence_of, excludes1_flags, rationale_of, unique_flags
from suggest.types import Exclusion, Flag, Suggestion
from vocab.codeset import CodeSet

__all__ = [
    "DEFAULT_STEPS",
    "CodeSetDraft",
    "DraftCode",
    "GuidelineContext",
    "GuidelineStep",
    "apply_guidelines",
    "draft_code_set",
    "guideline_steps",
    "prepare_guidelines",
    "suggestions_of",
]


def prepare_guidelines(vocabulary: Any) -> None:
    """Load what the steps read from the vocabulary now (the imported Index and its "with" links), so that the
    first note does not pay for it; a vocabulary without an imported Index needs nothing."""
    index = vocabulary.index("index")
    if index is not None:
        combination.index_links(index, vocabulary.codeset)
        index_default._printed(index)  # its printed-code table
        # the Index-wide tables of the main-term and subterm walks (each a pass over every Index term)
        index_terms._main_table(index)
        index_subterms._entries(index)
        organisms.organism_names(index)  # the Index's B95-B97 organism names, one compiled pattern


def apply_guidelines(
    ranked: Sequence[Ranked],
    excluded: Sequence[Exclusion],
    context: GuidelineContext,
    steps: tuple[str, ...] = DEFAULT_STEPS,
) -> tuple[list[Suggestion], list[Exclusion]]:
    """Run the guideline ``steps`` over the ranked codes; the suggestions in reporting order and the exclusions."""
    return suggestions_of(draft_code_set(ranked, excluded, context, steps), context)


def draft_code_set(
    ranked: Sequence[Ranked],
    excluded: Sequence[Exclusion],
    context: GuidelineContext,
    steps: tuple[str, ...] = DEFAULT_STEPS,
) -> CodeSetDraft:
    """The draft after the guideline ``steps``: what :func:`apply_guidelines` turns into suggestions, kept as
    working entries (with their mentions) for a caller that goes on from it (an encounter's merge)."""
    draft = CodeSetDraft(
        entries=[
            DraftCode(
                code=item.code,
                score=item.score,
                mentions=list(item.mentions),
                flags=list(item.flags),
                notes=list(item.notes),
            )
            for item in ranked
        ],
        excluded=list(excluded),
    )
    run_steps(draft, context, steps)
    return draft


def suggestions_of(draft: CodeSetDraft, context: GuidelineContext) -> tuple[list[Suggestion], list[Exclusion]]:
    """The draft's codes as suggestions in its order, and its exclusions (codes suggested anyway left out)."""
    suggestions = _suggestions(draft, context)
    suggested = {suggestion.code for suggestion in suggestions}
    return suggestions, [exclusion for exclusion in draft.excluded if exclusion.code not in suggested]


def _suggestions(draft: CodeSetDraft, context: GuidelineContext) -> list[Suggestion]:
    codeset = context.codeset
    codes = draft.codes()
    conflicts = excludes1_flags(codes, codeset)
    suggestions = []
    for position, entry in enumerate(draft.entries):
        record = codeset.codes[entry.code]
        flags = unique_flags([*entry.flags, *_code_flags(entry.code, codeset), *conflicts.get(position, [])])
        rationale = rationale_of(Ranked(entry.code, entry.score, entry.mentions, notes=entry.notes))
        suggestions.append(
            Suggestion(
                rank=position + 1,
                code=entry.code,
                description=record.description,
                score=round(min(1.0, entry.score), 4),
                billable=record.billable,
                evidence=evidence_of(entry.mentions),
                flags=tuple(flags),
                rationale=rationale,
                role=entry.role,
                poa=entry.poa,
                proposed=entry.proposed,
                replaces=tuple(entry.replaces),
            )
        )
    return suggestions


def _code_flags(code: str, codeset: CodeSet) -> tuple[Flag, ...]:
    """:func:`suggest.rules.code_flags`, read once per code and code set: a code's Tabular notes are the same in
    every note that suggests it."""
    known = derived_table("suggestions.code_flags", codeset)
    flags = known.get(code)
    if flags is None:
        flags = known[code] = tuple(code_flags(code, codeset))
    return flags
