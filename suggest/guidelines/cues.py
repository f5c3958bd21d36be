"""Cue words the guideline rules look for in a sentence, and whether one stands near a drug's (or any) words.

The drug, substance-use, external-cause and medication rules each read a sentence for a few words ("due to",
"on purpose", "while working", "continue"): :func:`cue_words` builds such a case-insensitive whole-word pattern
from its alternatives, :func:`cue_near` says whether a cue stands within a few characters of given words.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

__all__ = ["cue_near", "cue_words", "forget_cues"]

# How far from a drug's words a cue still speaks of it ("overdose of acetaminophen"), in characters.
REACH = 60


def cue_words(*alternatives: str) -> re.Pattern[str]:
    r"""A case-insensitive pattern matching any of ``alternatives`` (regular expressions) as whole words:
    ``\b(a|b|...)\b``, the match's group 1 the cue."""
    return re.compile(r"\b(" + "|".join(alternatives) + r")\b", re.IGNORECASE)


def cue_near(pattern: re.Pattern[str], text: str, where: tuple[int, int], reach: int = REACH) -> bool:
    """A cue of ``pattern`` within ``reach`` characters of ``text[where[0]:where[1]]`` (not anywhere in a long
    sentence)."""
    # finditer's matches do not overlap, so starts and ends both ascend: of those starting early enough, the last
    # ends latest. One scan per sentence and cue, not one per drug (a 64 kB line naming 1,700 drugs: 1.1 s).
    starts, ends = _cue_bounds(pattern, text)
    last = bisect.bisect_right(starts, where[1] + reach) - 1
    return last >= 0 and ends[last] >= where[0] - reach


@lru_cache(maxsize=16)
def _cue_bounds(pattern: re.Pattern[str], text: str) -> tuple[list[int], list[int]]:
    matches = list(pattern.finditer(text))
    return [match.start() for match in matches], [match.end() for match in matches]


def forget_cues() -> None:
    """Drop the cached cue positions: their keys are a note's sentences, which must not outlive its coding."""
    _cue_bounds.cache_clear()
