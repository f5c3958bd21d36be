"""What the guideline steps cache must never go stale: tables derived from one release's Index belong to that
Index object (two releases in one process, or an Index freed and another loaded in its place, each get their own),
and the memoised sentence around a mention equals the regular-expression definition it replaces."""

from __future__ import annotations

import gc
import random
import re

from suggest.guidelines import GuidelineContext
from suggest.guidelines import derived as derived_module
from suggest.guidelines.derived import derived_table
from suggest.guidelines.index_subterms import index_subterm_code
from suggest.guidelines.index_walk import subterm_rows
from vocab.index import AlphabeticIndex, IndexTerm


def _term(term_id: int, parent: int | None, level: int, title: str, codes: tuple[str, ...] = ()) -> IndexTerm:
    return IndexTerm(term_id, parent, level, title, (), codes, (), None, None)


def _index(release: str, subterm: str, code: str) -> AlphabeticIndex:
    """A one-entry Index: "Rhinitis" (J31.0) > "allergic" (J30.9) > ``subterm`` (``code``)."""
    return AlphabeticIndex(
        source="index",
        release=release,
        terms=(
            _term(0, None, 0, "Rhinitis", ("J31.0",)),
            _term(1, 0, 1, "allergic", ("J30.9",)),
            _term(2, 1, 2, subterm, (code,)),
        ),
    )


class _Codes:
    """The few code records ``billable_choice`` reads (every code here is billable)."""

    class _Record:
        def __init__(self, code: str) -> None:
            self.code, self.billable, self.description = code, True, code

    def get(self, code: str):
        return self._Record(code)


def test_two_releases_in_one_process_keep_their_own_subterm_walks():
    pollen = _index("FY2026", "due to pollen", "J30.1")
    animal = _index("FY2027", "due to animal dander", "J30.81")
    assert [row[0].title for row in subterm_rows(pollen, pollen.term(0))] == ["allergic", "due to pollen"]
    assert [row[0].title for row in subterm_rows(animal, animal.term(0))] == ["allergic", "due to animal dander"]
    # the per-code walks (once keyed by code and id(index)) are the asked release's too
    codes = _Codes()
    assert index_subterm_code(pollen, codes, "J30.9", {"allergic", "pollen"}) == "J30.1"  # type: ignore[arg-type]
    assert index_subterm_code(animal, codes, "J30.9", {"allergic", "pollen"}) is None  # type: ignore[arg-type]
    assert index_subterm_code(animal, codes, "J30.9", {"allergic", "animal", "dander"}) == "J30.81"  # type: ignore[arg-type]


def test_an_index_loaded_where_a_freed_one_was_never_reads_its_tables():
    old = _index("FY2026", "due to pollen", "J30.1")
    subterm_rows(old, old.term(0))
    old_id = id(old)
    del old
    gc.collect()
    # CPython usually gives the next object of the same size the freed one's address: loop until it does
    candidates = [_index("FY2027", "due to animal dander", "J30.81") for _ in range(50)]
    reused = next((index for index in candidates if id(index) == old_id), candidates[0])
    titles = [row[0].title for row in subterm_rows(reused, reused.term(0))]
    assert titles == ["allergic", "due to animal dander"]


def test_a_freed_owner_takes_its_tables_with_it():
    owner = _index("FY2026", "due to pollen", "J30.1")
    derived_table("test.freed", owner)["rows"] = ["kept while the owner lives"]
    assert derived_table("test.freed", owner) == {"rows": ["kept while the owner lives"]}
    key = ("test.freed", id(owner))
    assert key in derived_module._TABLES
    del owner
    gc.collect()
    assert key not in derived_module._TABLES  # no release is kept alive by what was derived from it


_SENTENCE_END = re.compile(r"\n|[.;:](?=\s)")


def _sentence_by_split(text: str, start: int, end: int, limit: int) -> str:
    """The definition ``GuidelineContext.sentence_around`` had before it was memoised."""
    lowered = text.lower()
    left, right = max(0, start - limit), min(len(lowered), end + limit)
    head = _SENTENCE_END.split(lowered[left:start])[-1]
    tail = _SENTENCE_END.split(lowered[end:right])[0]
    return head + lowered[start:end] + tail


def test_sentence_around_equals_its_regular_expression_definition():
    pieces = ["a", "B", "x", " ", " ", "\n", ".", ";", ":", "\t", "3", "é"]
    generator = random.Random(7)
    for _ in range(300):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 60)))
        context = GuidelineContext(
            codeset=None,  # type: ignore[arg-type]
            setting="outpatient",
            text=text,
            candidates=(),
            scores=(),
            threshold=0.35,
        )
        for _ in range(20):
            start = generator.randint(0, len(text))
            end = generator.randint(start, len(text))
            limit = generator.choice((0, 1, 3, 8, 400))
            expected = _sentence_by_split(text, start, end, limit)
            assert context.sentence_around(start, end, limit) == expected, (text, start, end, limit)
            assert context.sentence_around(start, end, limit) == expected  # the memoised answer too
