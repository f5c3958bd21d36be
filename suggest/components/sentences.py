"""Sentence boundaries for charts: line breaks, headings and list items matter as much as full stops."""

import itertools

from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["ClinicalSentences"]

# Abbreviations that end in a full stop without ending a sentence.
_NOT_SENTENCE_END = frozenset({"dr", "mr", "mrs", "ms", "vs", "e.g", "i.e", "approx", "st", "no", "pt", "fig"})


class ClinicalSentences:
    """A new sentence after a line break, after ``.``/``?``/``!``/``;`` before a capital or digit."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        tokens = list(doc)
        if not tokens:
            return doc
        tokens[0].is_sent_start = True
        for previous, token in itertools.pairwise(tokens):
            token.is_sent_start = self._starts_sentence(previous, token)
        return doc

    @staticmethod
    def _starts_sentence(previous, token) -> bool:  # type: ignore[no-untyped-def]
        if "\n" in previous.text or "\n" in previous.whitespace_:
            return True
        if previous.text in {"?", "!", ";"}:
            return True
        if previous.text == "." or previous.text.endswith("."):
            stem = previous.text.rstrip(".").lower()
            return stem not in _NOT_SENTENCE_END and (
                token.is_title or token.is_upper or token.like_num or token.is_punct
            )
        return False


@Language.factory(
    "chartcoder_sentences",
    assigns=["token.is_sent_start"],
    default_config={},
)
def make_clinical_sentences(nlp: Language, name: str) -> ClinicalSentences:
    return ClinicalSentences(name)
