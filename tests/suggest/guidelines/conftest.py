"""Helpers for the guideline-step tests: a short note, its mentions, a draft and a context over FY2026."""

from __future__ import annotations

import pytest

from suggest.guidelines import CodeSetDraft, DraftCode, GuidelineContext
from suggest.types import Candidate, Evidence, Mention


def mention(
    text: str,
    phrase: str,
    codes: tuple[str, ...],
    section: str = "assessment_and_plan",
    assertion: str = "present",
    occurrence: int = 0,
) -> Mention:
    """The mention of ``phrase`` (its ``occurrence``-th appearance) in ``text``."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(phrase, start + 1)
    piece = Evidence(start, start + len(phrase), phrase, section, assertion)  # type: ignore[arg-type]
    return Mention(
        evidence=(piece,),
        term=phrase,
        term_source="index",
        codes=codes,
        match_type="exact",
        match_score=1.0,
        sentence=0,
        section=section,
        assertion=assertion,
    )  # type: ignore[arg-type]


def draft_of(*entries: tuple[str, float, list[Mention]]) -> CodeSetDraft:
    return CodeSetDraft(
        entries=[DraftCode(code=code, score=score, mentions=list(found)) for code, score, found in entries]
    )


def context_of(
    codeset, text: str, draft: CodeSetDraft, setting: str = "outpatient", vocabulary=None, threshold: float = 0.35
) -> GuidelineContext:
    candidates = [Candidate(code=entry.code, mentions=tuple(entry.mentions)) for entry in draft.entries]
    return GuidelineContext(
        codeset=codeset,
        setting=setting,  # type: ignore[arg-type]
        text=text,
        candidates=candidates,
        scores=[entry.score for entry in draft.entries],
        threshold=threshold,
        index=(vocabulary.index if vocabulary is not None else (lambda source: None)),
    )


@pytest.fixture(scope="session")
def codeset(indexed_vocabulary):
    return indexed_vocabulary.codeset
