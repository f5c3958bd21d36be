"""Sentence boundaries for charts: line breaks, headings and list items matter as much as full stops.

Boundaries are found with one regular-expression pass over the text and written to the Doc in one array
operation: a Python loop over every token cost more than the tokenizer itself.

A sentence is at most :data:`MAX_SENTENCE_TOKENS` long: a longer run of tokens with no boundary (a note with no
full stop or line break) is cut into sentences of that length. The term matcher and ConText work sentence by
sentence at a cost that grows with the square of a sentence's length, so one 64,000-character line cost 3.5 s
where the same words in sentences cost 1 s. The longest sentence in the CodiEsp, ACI-BENCH and coder notes
is 95 tokens: real sentences are never cut.
"""

import bisect
import itertools
import re

import numpy
from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from suggest.components.tokenizer import note_text

__all__ = ["MAX_SENTENCE_TOKENS", "ClinicalSentences"]

MAX_SENTENCE_TOKENS = 256

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
        text = note_text(doc)
        for match in _BOUNDARY.finditer(text):
            if match.group(0)[0] != "\n" and self._abbreviation_before(text, match.start()):
                continue
            token = bisect.bisect_left(starts, match.end())
            if token < len(doc) and starts[token] == match.end():
                values[token] = 1
        _cap_sentence_length(values)
        doc.from_array([SENT_START], values.reshape(-1, 1).astype("uint64"))  # type: ignore[arg-type]  # -1 wraps
        return doc

    @staticmethod
    def _abbreviation_before(text: str, end: int) -> bool:
        found = _WORD_BEFORE.search(text[max(0, end - 12) : end])
        return found is not None and found.group(1).lower() in _NOT_SENTENCE_END


def _cap_sentence_length(values: numpy.ndarray) -> None:
    """Start a sentence every :data:`MAX_SENTENCE_TOKENS` tokens within a longer one (``values``: SENT_START)."""
    bounds = [*numpy.flatnonzero(values == 1).tolist(), len(values)]
    for start, end in itertools.pairwise(bounds):
        if end - start > MAX_SENTENCE_TOKENS:
            values[start + MAX_SENTENCE_TOKENS : end : MAX_SENTENCE_TOKENS] = 1


@Language.factory(
    "chartcoder_sentences",
    assigns=["token.is_sent_start"],
    default_config={},
)
def make_clinical_sentences(nlp: Language, name: str) -> ClinicalSentences:
    return ClinicalSentences(name)
