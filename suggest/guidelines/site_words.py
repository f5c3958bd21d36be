"""The Alphabetic Index's own words for a site the note names another way (I.B.1; I.A.15, I.B.2 level of detail).

A coder locates the condition in the Alphabetic Index and reads down the subterms to the site the note names
(I.B.1). The Index names many sites by one word where notes use another: "sigmoid diverticulitis" is
"Diverticulitis, intestine, large" (K57.32; with perforation and abscess K57.20), and the Index itself says so
("Diverticulum, sigmoid - see Diverticulosis, intestine, large"); "lumbar strain" is "Strain, back" (S39.012;
"Laceration, lumbar region - see Laceration, back, lower"). The reviewed table ``data/site_words.tsv`` holds
those cross-references (each row names the Index entry it comes from); a walk reading the note's words adds the
Index's site words for every note word the table lists, so the subterm the note names is reached. A word with no
row adds nothing.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from functools import lru_cache

from suggest.guidelines.index_walk import content_words
from suggest.guidelines.tables import read_table

__all__ = ["GUIDELINE", "index_site_words", "site_word_table"]

GUIDELINE = "I.B.1"


@lru_cache(maxsize=1)
def site_word_table() -> dict[str, frozenset[str]]:
    """The note's site word -> the Index's words for that site (read once per process)."""
    table: dict[str, frozenset[str]] = {}
    for row in read_table("site_words"):
        for word in content_words(row["word"]):
            table[word] = table.get(word, frozenset()) | content_words(row["index_words"])
    return table


def index_site_words(words: AbstractSet[str]) -> frozenset[str]:
    """The Index's site words for the note's ``words`` (normalised content words): empty when none has a row."""
    table = site_word_table()
    found: frozenset[str] = frozenset()
    for word in words:
        if word in table:
            found |= table[word]
    return found
