"""Fixtures for the guideline rule tests: notes split into sections as the engine does, and the FY2026
vocabulary with the Alphabetic Index and the drug, neoplasm and external-cause tables imported.

The vocabulary is the prepared home named by ``CHARTCODER_HOME`` when it has the tables (fast), else the
session's ``indexed_vocabulary`` (built from ../shared/data/icd10cm_index; skipped with a reason without it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


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
