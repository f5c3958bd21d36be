"""The ordered registry of guideline steps (``chartcoder.guidelines.<area>.v1``)."""

from __future__ import annotations

from collections.abc import Callable

import catalogue

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft

__all__ = ["DEFAULT_STEPS", "GuidelineStep", "guideline_steps", "run_steps"]

GuidelineStep = Callable[[CodeSetDraft, GuidelineContext], None]

# Registered with ``@guideline_steps.register("chartcoder.guidelines.<area>.v1")``; looked up by name.
guideline_steps = catalogue.create("chartcoder", "guidelines", entry_points=False)

# The order a coder works in: build combinations from the whole note, make each code as specific as the note
# allows, keep one code per finding, drop integral symptoms, then sequence and assign POA. A new area goes
# where its decision belongs (history/status, drugs, external causes, pregnancy, neoplasm steps go before
# "one_per_finding", so duplicates they create are resolved and sequencing sees their codes).
DEFAULT_STEPS: tuple[str, ...] = (
    "chartcoder.guidelines.place_names.v1",
    "chartcoder.guidelines.word_senses.v1",
    "chartcoder.guidelines.combination.v1",
    "chartcoder.guidelines.index_terms.v1",
    "chartcoder.guidelines.hypertension.v1",
    "chartcoder.guidelines.sepsis.v1",
    "chartcoder.guidelines.hiv.v1",
    "chartcoder.guidelines.specificity.v1",
    "chartcoder.guidelines.index_subterms.v1",
    "chartcoder.guidelines.long_term_drugs.v1",
    "chartcoder.guidelines.allergies.v1",
    "chartcoder.guidelines.status.v1",
    "chartcoder.guidelines.substance_use.v1",
    "chartcoder.guidelines.bmi.v1",
    "chartcoder.guidelines.social_determinants.v1",
    "chartcoder.guidelines.immunization.v1",
    "chartcoder.guidelines.drugs.v1",
    "chartcoder.guidelines.pregnancy.v1",
    "chartcoder.guidelines.neoplasm.v1",
    "chartcoder.guidelines.external_effects.v1",
    "chartcoder.guidelines.external_cause.v1",
    "chartcoder.guidelines.organisms.v1",
    "chartcoder.guidelines.family_history.v1",
    "chartcoder.guidelines.encounter_reason.v1",
    "chartcoder.guidelines.burns.v1",
    "chartcoder.guidelines.one_per_finding.v1",
    "chartcoder.guidelines.index_default.v1",
    "chartcoder.guidelines.integral.v1",
    "chartcoder.guidelines.sequencing.v1",
    "chartcoder.guidelines.poa.v1",
)


def run_steps(draft: CodeSetDraft, context: GuidelineContext, steps: tuple[str, ...] = DEFAULT_STEPS) -> None:
    """Apply each named step to ``draft`` in order (a name that is not registered raises catalogue's error)."""
    for name in steps:
        step: GuidelineStep = guideline_steps.get(name)
        step(draft, context)
        # a step may read a code off the Index that this release's code set lacks (a small or older release):
        # it is no code of this release, and the steps after it look codes up in the code set
        draft.entries[:] = [entry for entry in draft.entries if entry.code in context.codeset.codes]
