"""A spaCy tokenizer tuned for clinical text, registered as ``chartcoder.ClinicalTokenizer.v1``.

spaCy's English rules plus what charts need: shorthand such as "s/p", "h/o", "w/o" kept whole; slashes
between words split ("HTN/HLD" -> HTN / HLD); vitals and doses split from their units ("120/80", "5mg");
a review-of-systems sign split from its finding ("-fever, +cough" -> - fever , + cough) so that ConText
reads the sign as a cue; a percentage split from the word after it ("95%RA" -> 95% RA).
"""

from __future__ import annotations

from collections.abc import Callable

import spacy
from spacy.lang.en import English
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_suffix_regex

__all__ = ["CLINICAL_SHORTHAND", "create_clinical_tokenizer"]

# Kept as one token so ConText and the term matcher see them as written.
CLINICAL_SHORTHAND = (
    "s/p",
    "S/P",
    "h/o",
    "H/O",
    "w/o",
    "W/O",
    "w/",
    "W/",
    "c/o",
    "C/O",
    "r/o",
    "R/O",
    "y/o",
    "Y/O",
    "f/u",
    "F/U",
    "n/v",
    "N/V",
    "b/l",
    "B/L",
    "a/w",
    "A/W",
    "d/c",
    "D/C",
    "s/s",
    "hx",
    "Hx",
    "fx",
    "Fx",
)

_SLASH_BETWEEN_WORDS = r"(?<=[A-Za-z])/(?=[A-Za-z])"
_SIGN_BEFORE_WORD = r"[-+](?=[A-Za-z])"
_PERCENT_THEN_WORD = r"(?<=[0-9]%)(?=[A-Za-z])"
_DIGIT_THEN_UNIT = r"(?<=[0-9])(?=(?:mg|mcg|g|kg|ml|mL|L|mmHg|bpm|cm|mm|units?|IU|%)\b)"


@spacy.registry.tokenizers("chartcoder.ClinicalTokenizer.v1")
def create_clinical_tokenizer() -> Callable[[Language], Tokenizer]:
    def make_tokenizer(nlp: Language) -> Tokenizer:
        defaults = English.Defaults
        infixes = [*(defaults.infixes or ()), _SLASH_BETWEEN_WORDS, _PERCENT_THEN_WORD]
        prefixes = [*(defaults.prefixes or ()), _SIGN_BEFORE_WORD]
        suffixes = [*(defaults.suffixes or ()), r"(?<=[0-9])(?:mg|mcg|kg|ml|mL|mmHg|bpm|cm|mm)"]
        tokenizer = Tokenizer(
            nlp.vocab,
            rules=dict(defaults.tokenizer_exceptions),
            prefix_search=spacy.util.compile_prefix_regex(prefixes).search,
            suffix_search=compile_suffix_regex(suffixes).search,
            infix_finditer=compile_infix_regex(infixes).finditer,
            token_match=defaults.token_match,
            url_match=defaults.url_match,
        )
        for shorthand in CLINICAL_SHORTHAND:
            tokenizer.add_special_case(shorthand, [{"ORTH": shorthand}])
        return tokenizer

    return make_tokenizer
