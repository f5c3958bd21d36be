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

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from suggest.guidelines.note import NoteView

__all__ = ["folded", "folded_note", "ranges_saying_any", "says_any", "says_any_at_word_start", "text_says_any"]

# the four characters re.IGNORECASE matches to an ASCII letter that str.lower() does not give as one
_RE_ASCII_FOLDS = (("\u212a", "k"), ("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"))


def folded(text: str) -> str:
    """``text`` in lower case, one character for one, as ``re.IGNORECASE`` compares ASCII letters."""
    if not text.isascii():
        # replace only the characters present: str.translate walks the whole text a character at a time
        for character, letter in _RE_ASCII_FOLDS:
            if character in text:
                text = text.replace(character, letter)
    return text.lower()


def folded_note(note: NoteView) -> str:
    return _folded_text(note.text)


@lru_cache(maxsize=16)  # several rules pre-check the same note: fold it once per note
def _folded_text(text: str) -> str:
    return folded(text)


def says_any(folded_text: str, words: tuple[str, ...], start: int = 0, end: int | None = None) -> bool:
    """Whether ``folded_text[start:end]`` contains one of ``words`` (lower case, letters as ``re`` folds them)."""
    if end is None:
        end = len(folded_text)
    return any(folded_text.find(word, start, end) >= 0 for word in words)


def text_says_any(text: str, words: tuple[str, ...], start: int = 0, end: int | None = None) -> bool:
    """``says_any(folded(text), words, start, end)`` (offsets not negative), for rules that ask it of each
    sentence of one note: where the words occur in the note is found once per note and word list, and each
    sentence looks its range up (a few bisections) instead of searching its folded text for every word."""
    if end is None:
        end = len(text)
    for length, starts in _word_starts(text, words):
        found = bisect_left(starts, start)
        if found < len(starts) and starts[found] + length <= end:
            return True
    return False


def ranges_saying_any(text: str, words: tuple[str, ...], starts: Sequence[int], ends: Sequence[int]) -> set[int]:
    """The positions ``i`` of the ranges ``starts[i]:ends[i]`` (ascending, not overlapping) for which
    ``text_says_any(text, words, starts[i], ends[i])`` holds: found from where the words occur (once per note and
    word list), not by asking it of every range (a rule that reads every sentence of a note for a few words)."""
    found: set[int] = set()
    for length, word_starts in _word_starts(text, words):
        for at in word_starts:
            # the one range that can hold the word: the last one starting at or before it
            position = bisect_right(starts, at) - 1
            if position >= 0 and at + length <= ends[position]:
                found.add(position)
    return found


_WORD_CHARACTER = re.compile(r"\w")  # what re's \b tells a word from its surroundings by


def says_any_at_word_start(text: str, words: tuple[str, ...]) -> bool:
    """Whether the folded ``text`` holds one of ``words`` where no word character stands right before it: the
    pre-check of a pattern ``\b(?:word...|...)`` whose every match starts with one of them (a short word such
    as "ega" inside "negative" does not count)."""
    for _, starts in _word_starts(text, words):
        if any(at == 0 or not _WORD_CHARACTER.match(text, at - 1) for at in starts):
            return True
    return False


@lru_cache(maxsize=64)  # a few word lists per note, asked of each of its sentences
def _word_starts(text: str, words: tuple[str, ...]) -> tuple[tuple[int, list[int]], ...]:
    """For each word of ``words`` the folded ``text`` holds: its length and every offset it starts at."""
    lowered = _folded_text(text)
    found = []
    for word in words:
        starts = []
        at = lowered.find(word)
        while at >= 0:
            starts.append(at)
            at = lowered.find(word, at + 1)
        if starts:
            found.append((len(word), starts))
    return tuple(found)
