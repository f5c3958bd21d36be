"""Drug names in a note -> the Table of Drugs and Chemicals row and the drug's long-term therapy class.

Data first: a word that is a main term of the Table of Drugs gives its row, and the row's T-category names
the class (``drug_table_classes.tsv``); the reviewed ``drug_classes.tsv`` covers brand names, newer generics
the table lacks, insulin products (insulin and oral agents share T38.3) and classes a T-category cannot tell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from suggest.guidelines.derived import derived_table
from suggest.guidelines.tables import read_table
from vocab.index import AlphabeticIndex, IndexTerm

__all__ = ["DrugMention", "find_drugs", "long_term_code"]

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z\-]{2,}")
# Table rows that are everyday words or not drugs a medication list means by them.
_NOT_DRUG_WORDS = frozenset(
    "water oxygen sugar salt iron vitamin alcohol tobacco nicotine food plant tea coffee milk insect smoke gas dust "
    "paint soap sodium potassium calcium oil tablet tablets pill pills capsule capsules medication medications "
    "medicine medicines drug drugs medicament substance chemical chemicals fluid fluids "
    # the Table of Drugs' main terms that are also sites of the Neoplasm Table: in a note they name the organ
    # ("adrenal hypodense mass on CT"), not its extract (Z79.52 came from "adrenal")
    "adrenal thyroid".split()
)


@dataclass(frozen=True, slots=True)
class DrugMention:
    start: int
    end: int
    name: str  # the words as written, lower-cased
    generic: str
    row: IndexTerm | None  # the Table of Drugs row (poisoning / adverse effect / underdosing columns)
    drug_class: str | None  # a long_term_codes.tsv class, or None


@lru_cache(maxsize=1)
def _reviewed() -> dict[str, dict[str, str]]:
    return {row["name"]: row for row in read_table("drug_classes")}


@lru_cache(maxsize=1)
def _class_by_category() -> list[tuple[str, str]]:
    rows = sorted(read_table("drug_table_classes"), key=lambda row: -len(row["prefix"]))
    return [(row["prefix"], row["class"]) for row in rows]


@lru_cache(maxsize=64)
def long_term_code(drug_class: str) -> str | None:
    return next((row["code"] for row in read_table("long_term_codes") if row["class"] == drug_class), None)


def _main_rows(table: AlphabeticIndex) -> dict[str, IndexTerm]:
    """The table's main terms by lower-cased title (built once per table: a dict lookup per word of a note)."""
    cached = derived_table("drug_names.main_rows", table)
    if "rows" not in cached:
        rows: dict[str, IndexTerm] = {}
        for term in table.main_terms():
            rows.setdefault(term.title.lower(), term)
        cached["rows"] = rows
    main_rows: dict[str, IndexTerm] = cached["rows"]
    return main_rows


def class_of_row(row: IndexTerm) -> str | None:
    """The class a Table of Drugs row's T-category names (its adverse-effect column, else poisoning)."""
    columns = dict(row.columns)
    code = columns.get("adverse_effect") or columns.get("poisoning_accidental")
    if not code:
        return None
    return next((drug_class for prefix, drug_class in _class_by_category() if code.startswith(prefix)), None)


def _drug_word(word: str, reviewed: dict[str, dict[str, str]], rows: dict[str, IndexTerm]) -> str:
    """The word as the tables name it: itself, else its part before a hyphen ("steroid-induced")."""
    if word in reviewed or word in rows:
        return word
    form = word.split("-")[0]
    if len(form) >= 5 and (form in reviewed or form in rows):
        return form
    return word


def find_drugs(text: str, start: int, end: int, table: AlphabeticIndex) -> Iterator[DrugMention]:
    """Every drug named in ``text[start:end]``: reviewed names first, then Table of Drugs main terms."""
    reviewed = _reviewed()
    rows = _main_rows(table)
    matches = list(_WORD_RE.finditer(text, start, end))
    skip_next = False
    for position, match in enumerate(matches):
        if skip_next:
            skip_next = False
            continue
        written = match.group().lower()
        if written not in reviewed and written not in rows and "-" not in written:
            continue  # the common case, no drug: told without a call
        word = _drug_word(written, reviewed, rows)
        begin, finish = match.start(), match.start() + len(word)
        if word in reviewed:
            entry = reviewed[word]
            row = None if entry["table_row"] == "-" else table.find(*entry["table_row"].split(", "))
            drug_class = None if entry["class"] == "-" else entry["class"]
            yield DrugMention(begin, finish, word, entry["generic"], row, drug_class)
            continue
        main = rows.get(word)
        if main is None:
            continue
        following = matches[position + 1] if position + 1 < len(matches) else None
        if following is not None and text[finish : following.start()].strip() == "" and table.children(main.id):
            pair = table.find(word, following.group().lower())  # "carbon monoxide": main term, subterm
            if pair is not None and pair.columns and table.path(pair.id)[0].lower() == word:
                name = f"{word} {following.group().lower()}"
                skip_next = True
                yield DrugMention(begin, following.end(), name, name, pair, class_of_row(pair))
                continue
        if len(word) < 5 or word in _NOT_DRUG_WORDS:
            continue
        if main.columns:
            yield DrugMention(begin, finish, word, word, main, class_of_row(main))
