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


@pytest.fixture(scope="session")
def indexed_vocabulary(request):
    """The indexed FY2026 vocabulary: from ``$CHARTCODER_TEST_INDEXED_HOME`` when a developer has one built
    (seconds), else built from ../shared like every other suite (minutes)."""
    import os
    from pathlib import Path

    from vocab.vocabulary import load_vocabulary

    prepared = os.environ.get("CHARTCODER_TEST_INDEXED_HOME")
    if prepared:
        return load_vocabulary(Path(prepared))
    return load_vocabulary(request.getfixturevalue("indexed_home"))
