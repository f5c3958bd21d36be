"""The spaCy pipeline: clinical tokenizer -> sentences -> sections -> abbreviation senses -> terms -> assertion."""

from __future__ import annotations

import spacy
from spacy.language import Language

# Importing the component modules registers their factories with spaCy.
from suggest.components import sentences as _sentences  # noqa: F401
from suggest.components import tokenizer as _tokenizer  # noqa: F401
from suggest.components.abbreviations import AbbreviationSenses
from suggest.components.assertion import ClinicalAssertion
from suggest.components.sections import ClinicalSections
from suggest.components.terms import TermMatcher
from suggest.termtable import TermTable

__all__ = ["build_nlp"]


def build_nlp(table: TermTable) -> Language:
    """The spaCy pipeline with every component initialised; serialisable with ``nlp.to_disk``."""
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "chartcoder.ClinicalTokenizer.v1"}}})
    nlp.add_pipe("chartcoder_sentences")
    sections: ClinicalSections = nlp.add_pipe("chartcoder_sections")  # type: ignore[assignment]
    senses: AbbreviationSenses = nlp.add_pipe("chartcoder_abbreviations")  # type: ignore[assignment]
    terms: TermMatcher = nlp.add_pipe("chartcoder_terms")  # type: ignore[assignment]
    assertion: ClinicalAssertion = nlp.add_pipe("chartcoder_assertion")  # type: ignore[assignment]
    sections.initialize(nlp=nlp)
    senses.initialize(nlp=nlp)
    terms.initialize(nlp=nlp, table=table)
    assertion.initialize(nlp=nlp)
    return nlp
