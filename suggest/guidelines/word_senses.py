"""A bare word that names a procedure, a test or the weather is not the condition an Index main term makes of it
(I.B.1, IV.J).

"Anesthesia" indexes to R20.0 (anesthesia of skin), "Cold" to J00 (common cold), "Stress" to F43.9 (reaction to
severe stress); in a chart the words are more often "general anesthesia", "cold snare polypectomy", "stress echo".
The reviewed table ``data/word_senses.tsv`` lists such words with the words that say the condition ("numb skin",
"URI", "reaction to stress"): a code read only from the bare word, in sentences that say none of them, leaves the
list (the code is found from the term that documents the condition, I.B.1; code what is documented, IV.J).
"""

from __future__ import annotations

import re
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.data import read_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps

__all__ = ["drop_other_word_senses"]

SECTION = "I.B.1"


@lru_cache(maxsize=1)
def _senses() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    rows = []
    for code, word, cues, _why in read_table("word_senses.tsv"):
        alternatives = "|".join(
            re.escape(cue[:-1]) + r"\w*" if cue.endswith("*") else re.escape(cue) for cue in cues.split()
        )
        rows.append((code, word, re.compile(r"\b(?:" + alternatives + r")\b")))
    return tuple(rows)


@guideline_steps.register("chartcoder.guidelines.word_senses.v1")
def drop_other_word_senses(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Remove a code read only from a bare word whose sentences do not say the condition (I.B.1, IV.J)."""
    # an entry read as a word's code has it as its code or among its first mention's codes: their categories
    # (found once, not once per word) leave out nearly every entry before it is read in full
    categories = [(entry, _categories(entry)) for entry in draft.entries]
    for code, word, says_condition in _senses():
        category = code[:3]
        for entry in [
            entry
            for entry, read in categories
            if (category in read or len(category) < 3) and _read_as(entry, code) and entry in draft.entries
        ]:
            if _only_the_word(entry, word) and not any(
                says_condition.search(context.sentence_around(piece.start, piece.end)) for piece in _pieces(entry)
            ):
                draft.remove(
                    entry.code,
                    f"'{word}' names a procedure, a test or the weather here, not the condition ({SECTION})",
                )


def _read_as(entry: DraftCode, code: str) -> bool:
    """The entry is the condition's code, or a code made of it (a personal history code of "s/p cold snare": the
    history step read J00 there first), its every mention being a reading of the condition."""
    return entry.code.startswith(code) or (
        bool(entry.mentions) and all(any(c.startswith(code) for c in mention.codes) for mention in entry.mentions)
    )


def _categories(entry: DraftCode) -> frozenset[str]:
    """The categories of the entry's code and of its first mention's codes."""
    first = entry.mentions[0].codes if entry.mentions else ()
    return frozenset(code[:3] for code in (entry.code, *first))


def _only_the_word(entry: DraftCode, word: str) -> bool:
    pieces = _pieces(entry)
    return bool(pieces) and all(piece.text.strip().lower() == word for piece in pieces)


def _pieces(entry: DraftCode) -> list:
    return [piece for mention in entry.mentions for piece in mention.evidence]
