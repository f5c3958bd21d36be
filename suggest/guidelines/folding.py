"""An exact, cheap pre-check before a rule's case-insensitive regular expressions: does the text hold a word
every match is built of?

Rules that scan each sentence with a few case-insensitive patterns ("\\b(smok\\w*|cigarettes?|...)\\b") pay
Python's regex engine for every character of every note (5-12 us per sentence and pattern, a fifth of the
engine's time), though most notes name none of the words those patterns are made of. When every match of a
pattern must contain one of a few plain words (``"smok"``, ``"tobacco"``, ...), a text whose folded form
(:func:`folded`) contains none of them cannot match, and ``str.find`` of a word costs a small part of a regex
scan. The pre-check only skips work: a text that holds a word still goes through the patterns themselves, so
the rules decide exactly what they decided without it.

Folding agrees with ``re.IGNORECASE``: lower case, after mapping the four non-ASCII letters that Python's
``re`` matches to an ASCII letter (KELVIN SIGN to k, LATIN CAPITAL LETTER I WITH DOT ABOVE and DOTLESS I to i,
LONG S to s; ``tests/suggest/test_guideline_folding.py`` checks all of Unicode), one character for one, so
offsets into the note are offsets into its folded text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from suggest.guidelines.note import NoteView

__all__ = ["folded", "folded_note", "says_any"]

_RE_ASCII_FOLDS = str.maketrans({"\u212a": "k", "\u0130": "i", "\u0131": "i", "\u017f": "s"})


def folded(text: str) -> str:
    """``text`` in lower case, one character for one, as ``re.IGNORECASE`` compares ASCII letters."""
    return text.lower() if text.isascii() else text.translate(_RE_ASCII_FOLDS).lower()


@lru_cache(maxsize=16)  # several rules pre-check the same note: fold it once per note
def folded_note(note: NoteView) -> str:
    return folded(note.text)


def says_any(folded_text: str, words: tuple[str, ...], start: int = 0, end: int | None = None) -> bool:
    """Whether ``folded_text[start:end]`` contains one of ``words`` (lower case, letters as ``re`` folds them)."""
    if end is None:
        end = len(folded_text)
    return any(folded_text.find(word, start, end) >= 0 for word in words)
