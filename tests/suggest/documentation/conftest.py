"""Helpers for the documentation-check tests: facts of a short note, suggestions and mentions built by hand, and
the FY2026 vocabulary and engine for the table and seeded-set tests (``CHARTCODER_HOME`` when prepared, else
built)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from suggest.documentation.context import NoteFacts
from suggest.types import Evidence, Flag, Mention, Suggestion

TODAY = date(2026, 12, 7)


def facts(text: str, **values: object) -> NoteFacts:
    values.setdefault("today", TODAY)
    return NoteFacts.from_text(text, **values)


def span(text: str, phrase: str, section: str = "assessment_and_plan", assertion: str = "present") -> Evidence:
    start = text.index(phrase)
    return Evidence(start, start + len(phrase), phrase, section, assertion)  # type: ignore[arg-type]


def suggestion(text: str, phrase: str, code: str, description: str, flags: tuple[str, ...] = ()) -> Suggestion:
    return Suggestion(
        rank=1,
        code=code,
        description=description,
        score=0.9,
        billable=True,
        evidence=(span(text, phrase),),
        flags=tuple(Flag(kind, f"{kind} flag") for kind in flags),
        rationale="test",
        proposed=True,
    )


def mention(
    text: str, phrase: str, codes: tuple[str, ...], section: str, assertion: str = "present", occurrence: int = 0
) -> Mention:
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
        assertion=assertion,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def vocabulary(request: pytest.FixtureRequest):
    home = os.environ.get("CHARTCODER_HOME")
    if home:
        from vocab.vocabulary import load_vocabulary

        try:
            prepared = load_vocabulary(Path(home))
        except Exception:  # any unusable home: fall back to building one
            prepared = None
        if prepared is not None and "index" in set(prepared.index_sources()):
            return prepared
    return request.getfixturevalue("indexed_vocabulary")


@pytest.fixture(scope="session")
def zero_shot_engine(vocabulary):
    from suggest.pipeline import load_engine

    return load_engine(vocabulary)
