"""Text normalisation shared by the lexicon, code search and the engine's term matcher.

Both sides of every comparison go through :func:`normalize_tokens`, so the rules only need to be
consistent, not linguistically perfect: lower case, accents folded ("Ménière" -> "meniere"), the shorthand
"w/" and "w/o" spelled out, punctuation to spaces, roman numerals used for types and stages to digits, and a
light plural strip.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["STOPWORDS", "fold_accents", "normalize_text", "normalize_token", "normalize_tokens", "normalized_words"]

_WORD_RE = re.compile(r"[a-z0-9]+")
# "w/o" before "w/"; the slash form only (a bare "w" may be a grade, a lead or a unit).
_SHORTHAND_RE = re.compile(r"\bw/o\b|\bw/(?=\s|[a-z0-9]|$)")
_SHORTHAND = {"w/o": " without ", "w/": " with "}
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5"}
# Words that say nothing about which code is meant; never used to find candidates, still scored.
STOPWORDS = frozenset(
    "a an and as at by for from in into of on or the to with not "
    "other others nos nec unspecified specified site".split()
)


@lru_cache(maxsize=65536)
def normalize_token(word: str) -> str:
    """One lower-case word -> its canonical form ("fractures" -> "fracture", "ii" -> "2")."""
    if word in _ROMAN:
        return _ROMAN[word]
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "is", "us", "ous")):
        return word[:-1]
    return word


def fold_accents(text: str) -> str:
    """``"Ménière's"`` -> ``"Meniere's"``; ASCII text is returned as is (the common, fast case)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalize_tokens(text: str) -> list[str]:
    """``"Type II Diabetes, w/ CKD"`` -> ``["type", "2", "diabete", "with", "ckd"]``."""
    lowered = fold_accents(text).lower().replace("'s", "")
    if "w/" in lowered:
        lowered = _SHORTHAND_RE.sub(lambda match: _SHORTHAND[match.group(0)], lowered)
    return list(map(normalize_token, _WORD_RE.findall(lowered)))


@lru_cache(maxsize=16384)
def normalized_words(text: str) -> tuple[str, ...]:
    """:func:`normalize_tokens` of a text read again and again (a code's title, a lexicon term, a mention's words
    that several rules read), normalized once while it is in use."""
    return tuple(normalize_tokens(text))


def normalize_text(text: str) -> str:
    return " ".join(normalize_tokens(text))
