"""Helpers for the guideline-step tests: a short note, its mentions, a draft and a context over FY2026; notes
split into sections as the engine does; the FY2026 vocabulary with the Alphabetic Index and the drug, neoplasm
and external-cause tables imported.

``vocabulary`` is the prepared home named by ``CHARTCODER_HOME`` when it has the tables (fast), else the
session's ``indexed_vocabulary`` (built from ../shared/data/icd10cm_index; skipped with a reason without it).
"""

from __future__ import annotations

import os
from pathlib import Path

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


@pytest.fixture(scope="session")
def vocabulary(request: pytest.FixtureRequest):
    home = os.environ.get("CHARTCODER_HOME")
    if home:
        from vocab.vocabulary import load_vocabulary

        try:
            prepared = load_vocabulary(Path(home))
        except Exception:  # any unusable home: fall back to building one
            prepared = None
        if prepared is not None and {"index", "drug", "neoplasm", "eindex"} <= set(prepared.index_sources()):
            return prepared
    return request.getfixturevalue("indexed_vocabulary")


@pytest.fixture(scope="session")
def sectioner():
    import spacy

    from suggest.components import sentences as _sentences  # noqa: F401 - registers the factories
    from suggest.components import tokenizer as _tokenizer  # noqa: F401
    from suggest.components.sections import ClinicalSections

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "chartcoder.ClinicalTokenizer.v1"}}})
    nlp.add_pipe("chartcoder_sentences")
    sections: ClinicalSections = nlp.add_pipe("chartcoder_sections")  # type: ignore[assignment]
    sections.initialize(nlp=nlp)
    return nlp


@pytest.fixture(scope="session")
def note(sectioner):
    """``note(text)`` -> a NoteView with the engine's sections."""
    from suggest.guidelines.note import NoteView

    def make(text: str) -> NoteView:
        return NoteView.from_doc(sectioner(text))

    return make


@pytest.fixture
def run_index_terms(indexed_vocabulary, note):
    """``run_index_terms(text, draft)``: the Index-terms step over ``draft``, the note split into sections as the
    engine splits it."""
    from dataclasses import replace

    from suggest.guidelines.index_terms import code_index_terms

    def run(text: str, draft: CodeSetDraft) -> CodeSetDraft:
        context = context_of(indexed_vocabulary.codeset, text, draft, vocabulary=indexed_vocabulary)
        code_index_terms(draft, replace(context, sections=note(text).starts))
        return draft

    return run
