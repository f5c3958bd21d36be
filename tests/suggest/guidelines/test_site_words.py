"""I.B.1 (I.A.15, I.B.2): the note's site word reaches the Index's subterm for that site through the Index's own
cross-references (``data/site_words.tsv``)."""

import pytest

from suggest.guidelines import index_terms
from suggest.guidelines.site_words import index_site_words, site_word_table
from suggest.guidelines.tables import read_table
from tests.suggest.guidelines.conftest import draft_of, mention


@pytest.fixture
def without_table(monkeypatch):
    """The walk as it was before the table: no site word added."""
    monkeypatch.setattr(index_terms, "index_site_words", lambda words: frozenset())


SIGMOID = "Final Dx:\n1. Acute sigmoid diverticulitis w/ 4.2 cm pericolic abscess - s/p percutaneous drain\n2. HTN\n"


def _sigmoid_draft():
    return draft_of(
        ("K57.92", 0.8, [mention(SIGMOID, "diverticulitis", ("K57.92",))]),
        ("I10", 0.8, [mention(SIGMOID, "HTN", ("I10",))]),
    )


def test_i_b_1_sigmoid_reaches_diverticulitis_of_the_large_intestine_with_abscess(run_index_terms):
    # "Diverticulum, sigmoid - see Diverticulosis, intestine, large": Diverticulitis > intestine > large > with >
    # abscess, perforation K57.20, refining the main term's default K57.92 (I.B.1, I.A.15)
    draft = run_index_terms(SIGMOID, _sigmoid_draft())
    assert "K57.20" in draft.codes() and "K57.92" not in draft.codes()
    assert "I.B.1" in draft.get("K57.20").sections


def test_i_b_1_without_the_site_table_sigmoid_stays_the_default(run_index_terms, without_table):
    draft = run_index_terms(SIGMOID, _sigmoid_draft())
    assert "K57.20" not in draft.codes()


def test_i_b_1_lumbar_strain_walk_reaches_strain_of_the_back(indexed_vocabulary, monkeypatch):
    # "Laceration, lumbar region - see Laceration, back, lower": Strain > back S39.012 (the walk itself; the
    # injury's 7th character is the specificity step's, I.C.19.a)
    index = indexed_vocabulary.index("index")
    walk = index_terms._walk_clause(index, indexed_vocabulary.codeset, "Acute lumbar paraspinal muscle strain")
    walk_codes = [code for code, _, _ in walk]
    assert walk_codes and walk_codes[0].startswith("S39.012")
    monkeypatch.setattr(index_terms, "index_site_words", lambda words: frozenset())
    before = index_terms._walk_clause(index, indexed_vocabulary.codeset, "Acute lumbar paraspinal muscle strain")
    assert not any(code.startswith("S39.012") for code, _, _ in before)


def test_i_b_1_a_word_with_no_site_row_changes_nothing(run_index_terms, monkeypatch):
    # sites the table has no row for ("gastric", "knee") add no word, so the walk reads the clause as before
    assert index_site_words({"knee", "gastric", "ulcer", "acute", "osteoarthritis"}) == frozenset()
    text = "Assessment & Plan:\n1. Acute gastric ulcer\n2. Primary osteoarthritis R knee\n3. HTN\n"

    def codes() -> list[str]:
        return run_index_terms(text, draft_of(("I10", 0.8, [mention(text, "HTN", ("I10",))]))).codes()

    with_table = codes()
    monkeypatch.setattr(index_terms, "index_site_words", lambda words: frozenset())
    assert with_table == codes() and "M17.11" in with_table


def test_site_word_rows_are_the_index_own_cross_references(indexed_vocabulary):
    # every row is a "see" / "see also" the imported Index prints, sending the word to the Index's site words
    index = indexed_vocabulary.index("index")
    for row in read_table("site_words"):
        entry = index.find(*row["index_entry"].split(" > "))
        assert entry is not None, row
        assert row["index_see"] in (entry.see, entry.see_also), row
        assert set(row["index_words"].split()) <= set(row["index_see"].lower().replace(",", " ").split()), row
    assert site_word_table()["sigmoid"] == frozenset({"intestine", "large"})


def test_i_b_1_lumbar_strain_on_the_assessment_heading_next_line_is_strain_of_the_back(run_index_terms):
    # one diagnosis stated on the line under "Assessment:" (no list mark) is the provider's statement; "lumbar"
    # is the Index's "back" (S39.012-, 7th character from the specificity step, I.C.19.a); not "Injury" T14.90
    text = "Assessment:\nAcute lumbar paraspinal muscle strain, work-related. R/o disc herniation.\n\nPlan:\nHeat\n"
    draft = run_index_terms(text, draft_of(("T14.90XA", 0.6, [mention(text, "muscle strain", ("T14.90XA",))])))
    assert any(code.startswith("S39.012") for code in draft.codes())
    assert "I.B.1" in next(entry for entry in draft.entries if entry.code.startswith("S39.012")).sections
