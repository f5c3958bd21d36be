"""Sentence boundaries for charts: line breaks, headings and list items matter as much as full stops.

Boundaries are found with one regular-expression pass over the text and written to the Doc in one array
operation: a Python loop over every token cost more than the tokenizer itself.
"""

import bisect
import re

import numpy
from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["ClinicalSentences"]

# After a line break; or after . ? ! ; and spaces, before a capital, a digit or an opening bracket.
_BOUNDARY = re.compile(r"\n[ \t\r\f\v\n]*(?=\S)|(?<=[.?!;])[ \t]+(?=[A-Z0-9(\[\"'])")
_WORD_BEFORE = re.compile(r"(\w+)\.$")
# Abbreviations that end in a full stop without ending a sentence.
_NOT_SENTENCE_END = frozenset(
    {"dr", "mr", "mrs", "ms", "vs", "eg", "ie", "approx", "st", "no", "pt", "fig", "e.g", "i.e"}
)


class ClinicalSentences:
    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        starts = doc.to_array([IDX]).tolist()
        values = numpy.full(len(doc), -1, dtype="int32")
        values[0] = 1
        text = doc.text
        for match in _BOUNDARY.finditer(text):
            if match.group(0)[0] != "\n" and self._abbreviation_before(text, match.start()):
                continue
            token = bisect.bisect_left(starts, match.end())
            if token < len(doc) and starts[token] == match.end():
                values[token] = 1
        doc.from_array([SENT_START], values.reshape(-1, 1).astype("uint64"))  # type: ignore[arg-type]  # -1 wraps
        return doc

    @staticmethod
    def _abbreviation_before(text: str, end: int) -> bool:
        found = _WORD_BEFORE.search(text[max(0, end - 12) : end])
        return found is not None and found.group(1).lower() in _NOT_SENTENCE_END


@Language.factory(
    "chartcoder_sentences",
    assigns=["token.is_sent_start"],
    default_config={},
)
def make_clinical_sentences(nlp: Language, name: str) -> ClinicalSentences:
    return ClinicalSentences(name)
