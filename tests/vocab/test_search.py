"""Tests of vocab.search: codes and prefixes, phrases, typos, abbreviations, autocomplete, bad queries, and the
ranking a coder should see on the complete FY2026 code set (with and without the Alphabetic Index)."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import pytest

from vocab import search as search_module
from vocab.errors import ChartcoderError, CodeSetFormatError, QueryError, UnknownCodeError
from vocab.lexicon import LexiconTerm, load_abbreviations
from vocab.search import MAX_QUERY_LENGTH, CodeSearch, SearchResult, check_query, term_tokens_of
from vocab.vocabulary import Vocabulary


def codes_for(vocabulary: Vocabulary, query: str, limit: int = 10, **options: bool) -> list[str]:
    return [result.code for result in vocabulary.search(query, limit=limit, **options)]


# ------------------------------------------------------------------------------------------- codes and prefixes


@pytest.mark.parametrize("query", ["E11.22", "e1122", " e11.22 "])
def test_an_exact_code_lists_itself(mini_vocabulary: Vocabulary, query: str) -> None:
    [result] = mini_vocabulary.search(query)
    assert result == SearchResult(
        "E11.22", mini_vocabulary.codeset.codes["E11.22"].description, 1.0, True, "E11.22", "code"
    )


@pytest.mark.parametrize("query", ["E11.2", "e112", "E112", "e11.2"])
def test_a_code_prefix_lists_its_branch_in_code_order(mini_vocabulary: Vocabulary, query: str) -> None:
    assert codes_for(mini_vocabulary, query) == ["E11.2", "E11.21", "E11.22", "E11.29"]


def test_a_branch_is_cut_at_the_limit_and_can_be_billable_only(mini_vocabulary: Vocabulary) -> None:
    assert codes_for(mini_vocabulary, "S52.5", limit=3) == ["S52.5", "S52.50", "S52.501"]
    billable = codes_for(mini_vocabulary, "e112", billable_only=True)
    assert billable == ["E11.21", "E11.22", "E11.29"]
    scores = [result.score for result in mini_vocabulary.search("S52.5", limit=50)]
    assert scores == sorted(scores, reverse=True)


def test_a_seventh_character_code(mini_vocabulary: Vocabulary) -> None:
    assert codes_for(mini_vocabulary, "s52521a") == ["S52.521A"]


def test_a_code_that_does_not_exist_is_an_unknown_code_error(mini_vocabulary: Vocabulary) -> None:
    with pytest.raises(UnknownCodeError, match=r"Z99\.999 is not a code in ICD-10-CM FY2026, and no code starts"):
        mini_vocabulary.search("Z99.999")


# ------------------------------------------------------------------------------------------- words


def test_the_title_phrase_ranks_its_code_first(mini_vocabulary: Vocabulary) -> None:
    results = mini_vocabulary.search("type 2 diabetes with chronic kidney disease")
    assert results[0].code == "E11.22"
    assert results[0].source in {"title", "inclusion", "index"}
    assert all(0.0 < result.score <= 1.0 for result in results)
    assert [result.score for result in results] == sorted((result.score for result in results), reverse=True)


def test_word_order_does_not_matter(mini_vocabulary: Vocabulary) -> None:
    assert codes_for(mini_vocabulary, "chronic kidney disease type 2 diabetes")[0] == "E11.22"
    assert codes_for(mini_vocabulary, "pneumonia aspiration")[0] == "J69.0"


def test_a_typo_is_forgiven(mini_vocabulary: Vocabulary) -> None:
    assert codes_for(mini_vocabulary, "diabetis type 2 chronic kidney disease")[0] == "E11.22"
    assert codes_for(mini_vocabulary, "atrial fibrilation", limit=3)[0] == "I48.91"


def test_abbreviations_are_expanded(mini_vocabulary: Vocabulary) -> None:
    assert codes_for(mini_vocabulary, "htn", limit=1) == ["I10"]
    assert codes_for(mini_vocabulary, "CHF", limit=1) == ["I50.9"]
    assert codes_for(mini_vocabulary, "afib", limit=1) == ["I48.91"]
    assert codes_for(mini_vocabulary, "t2dm ckd", limit=3)[0] == "E11.22"


def test_the_last_word_completes_as_it_is_typed(mini_vocabulary: Vocabulary) -> None:
    assert codes_for(mini_vocabulary, "aspiration pneu", limit=1) == ["J69.0"]
    assert codes_for(mini_vocabulary, "atrial fib", limit=3)[0].startswith("I48")


def test_parenthesised_words_are_optional(mini_vocabulary: Vocabulary) -> None:
    # "Essential (primary) hypertension": a coder need not type "primary"
    [result] = mini_vocabulary.search("essential hypertension", limit=1)
    assert result.code == "I10" and result.score > 0.9


def test_an_inclusion_term_counts_as_much_as_a_title(mini_vocabulary: Vocabulary) -> None:
    [result] = mini_vocabulary.search("aspiration pneumonia", limit=1)
    assert (result.code, result.source, result.score) == ("J69.0", "inclusion", 1.0)


def test_billable_only_drops_categories_and_subcategories(mini_vocabulary: Vocabulary) -> None:
    results = mini_vocabulary.search("diabetes", limit=20, billable_only=True)
    assert results and all(result.billable for result in results)


def test_a_billable_code_wins_a_tie(mini_vocabulary: Vocabulary) -> None:
    # "Cough" (R05, a category) and "Cough, unspecified" (R05.9) explain the query equally well
    assert codes_for(mini_vocabulary, "cough", limit=2) == ["R05.9", "R05"]


def test_a_word_that_matches_nothing_gives_no_results(mini_vocabulary: Vocabulary) -> None:
    assert mini_vocabulary.search("qwxzv") == []
    assert mini_vocabulary.search("of the") == []  # stop words alone find nothing


def test_results_serialise_to_the_documented_fields(mini_vocabulary: Vocabulary) -> None:
    [result] = mini_vocabulary.search("aspiration pneumonia", limit=1)
    assert set(result.to_dict()) == {"code", "description", "score", "billable", "matched_term", "source"}


# ------------------------------------------------------------------------------------------- bad queries


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   \t\n", "empty"),
        ("x" * (MAX_QUERY_LENGTH + 44), "characters long; the limit is 256"),
        ("!!! ... ???", "no letters or digits"),
        (None, "must be text"),
        (b"pneumonia", "must be text"),
    ],
)
def test_bad_queries_are_query_errors(mini_vocabulary: Vocabulary, query: object, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        mini_vocabulary.search(query)  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # QueryError is also a ValueError ...
        check_query(query)  # type: ignore[arg-type]
    assert issubclass(QueryError, ChartcoderError)  # ... and a chartcoder error (exit 2, HTTP 4xx)


def test_a_limit_below_one_is_refused(mini_vocabulary: Vocabulary) -> None:
    with pytest.raises(QueryError, match="at least 1"):
        mini_vocabulary.search("asthma", limit=0)


def test_a_query_at_the_length_limit_is_searched(mini_vocabulary: Vocabulary) -> None:
    query = ("diabetes " * 40)[:MAX_QUERY_LENGTH]
    assert isinstance(mini_vocabulary.search(query), list)


# ------------------------------------------------------------------------------------------- how terms are read


@pytest.mark.parametrize(
    ("term", "essential", "optional"),
    [
        (LexiconTerm("Essential (primary) hypertension", "I10", "title"), ["essential", "hypertension"], ["primary"]),
        (
            LexiconTerm("Hypertension, hypertensive", "I10", "index", ("benign", "essential")),
            ["hypertension"],
            ["benign", "essential", "hypertensive"],
        ),
        (
            LexiconTerm("Diabetes, diabetic, type 2", "E11.9", "index"),
            ["diabete", "type", "2"],
            ["diabetic"],
        ),
        (LexiconTerm("Failure, failed, heart", "I50.9", "index"), ["failure", "heart"], ["failed"]),
        # different words that merely share a beginning both stay essential
        (LexiconTerm("Pneumonia, pneumococcal", "J13", "index"), ["pneumonia", "pneumococcal"], []),
        (LexiconTerm("Navicular [scaphoid] bone", "S62.0", "title"), ["navicular", "bone"], ["scaphoid"]),
        (LexiconTerm("(primary)", "I10", "title"), ["primary"], []),
    ],
)
def test_term_tokens(term: LexiconTerm, essential: list[str], optional: list[str]) -> None:
    assert term_tokens_of(term) == (essential, optional)


def test_search_is_blocked_never_a_full_scan(mini_vocabulary: Vocabulary, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only terms holding a query word are scored, and only the best few hundred reach rapidfuzz."""
    search = mini_vocabulary.code_search
    scored: list[int] = []
    real_cdist = search_module.process.cdist

    def counting_cdist(queries, choices, **options):  # type: ignore[no-untyped-def]
        scored.append(len(choices))
        return real_cdist(queries, choices, **options)

    monkeypatch.setattr(search_module.process, "cdist", counting_cdist)
    mini_vocabulary.search("fracture")
    assert scored and max(scored) <= search_module._CANDIDATES < search.term_count
    reached = search._reached_terms([search._word_matches("aspiration", False)])
    assert 0 < reached.size < search.term_count / 20


@pytest.mark.parametrize(
    ("query", "prefixes"),
    [("fracture of radius", ("S52.5",)), ("diabetes with kidney", ("E11", "E10")), ("E11.2", ("E11.22",))],
)
def test_a_search_within_prefixes_scores_as_a_search_of_everything(
    mini_vocabulary: Vocabulary, query: str, prefixes: tuple[str, ...]
) -> None:
    """Restricted to some codes, a search finds the full search's results among them, with the same scores, and
    the same best one (it may find more: the full search scores only its best few hundred terms in full)."""
    everything = [result for result in mini_vocabulary.search(query, limit=500) if result.code.startswith(prefixes)]
    within = mini_vocabulary.search(query, limit=5000, within=prefixes)
    assert everything and all(result.code.startswith(prefixes) for result in within)
    assert set(everything) <= set(within) and within[0] == everything[0]
    assert mini_vocabulary.search(query, limit=500, within=("Q99",)) == []


def test_code_search_pickles_with_the_artifact(mini_vocabulary: Vocabulary) -> None:
    search = mini_vocabulary.code_search
    copy = pickle.loads(pickle.dumps(search))
    assert copy.search(mini_vocabulary.codeset, "afib") == search.search(mini_vocabulary.codeset, "afib")
    assert copy.terms_for("J69.0") == search.terms_for("J69.0")


def test_a_lexicon_from_another_version_is_refused(
    mini_vocabulary: Vocabulary, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = pickle.dumps(mini_vocabulary.code_search)
    monkeypatch.setattr(search_module, "SEARCH_FORMAT", search_module.SEARCH_FORMAT + 1)
    with pytest.raises(CodeSetFormatError, match="chartcoder vocab build"):
        pickle.loads(data)


def test_build_from_a_handful_of_terms() -> None:
    terms = [
        LexiconTerm("Pneumonia, unspecified organism", "J18.9", "title"),
        LexiconTerm("Pneumonia", "J18.9", "index"),
        LexiconTerm("Pneumonia, aspiration", "J69.0", "index", ("due to food",)),
        LexiconTerm("Pneumothorax", "J93.9", "index"),
    ]
    search = CodeSearch.build(terms, load_abbreviations())
    assert search.term_count == 4 and search.source_counts() == {"index": 3, "title": 1}
    assert search.terms_for("J69.0") == [("Pneumonia, aspiration", "index")]
    assert search.terms_for("Z99.9") == []


# ------------------------------------------------------------------------------------------- the full code set

# (query, expected code, within the top k): codes, prefixes, phrases, typos, abbreviations, autocomplete.
RANKING_WITH_INDEX = [
    ("E11.22", "E11.22", 1),
    ("e112", "E11.2", 1),
    ("S52.521A", "S52.521A", 1),
    ("S52.5", "S52.5", 1),
    ("i10", "I10", 1),
    ("type 2 diabetes with chronic kidney disease", "E11.22", 1),
    ("aspiration pneumonia", "J69.0", 1),
    ("pneumo", "J18.9", 1),
    ("diabetis type 2 ckd", "E11.22", 1),
    ("hypertension", "I10", 1),
    ("essential hypertension", "I10", 1),
    ("htn", "I10", 1),
    ("chf", "I50.9", 1),
    ("afib", "I48.91", 1),
    ("copd", "J44.9", 1),
    ("copd exacerbation", "J44.1", 1),
    ("uti", "N39.0", 1),
    ("urinary tract infection", "N39.0", 1),
    ("t2dm", "E11.9", 3),
    ("dm2 with hyperglycemia", "E11.65", 1),
    ("sob", "R06.02", 1),
    ("abd pain", "R10.9", 1),
    ("migrane", "G43.909", 3),
    ("pnuemonia", "J18.9", 1),
    ("asthma", "J45.909", 3),
    ("acute mi", "I21.9", 3),
    ("atrial fibrilation", "I48.91", 3),
    ("hypothyroidism", "E03.9", 1),
    ("hyperlipidemia", "E78.5", 1),
    ("chronic kidney disease stage 3", "N18.30", 3),
    ("ckd stage 4", "N18.4", 1),
    ("end stage renal disease", "N18.6", 1),
    ("gerd", "K21.9", 1),
    ("obstructive sleep apnea", "G47.33", 1),
    ("heart failure with reduced ejection fraction", "I50.2", 3),
    ("acute kidney injury", "N17.9", 1),
    ("sepsis", "A41.9", 1),
    ("cellulitis of left lower leg", "L03.116", 1),
    ("torus fracture right radius", "S52.521", 3),
    ("morbid obesity", "E66.01", 1),
    ("iron deficiency anemia", "D50.9", 1),
    ("chest pain", "R07.9", 1),
    ("low back pain", "M54.50", 3),
    ("dvt", "I82.40", 1),
    ("tia", "G45.9", 1),
    ("alzheimers", "G30.9", 3),
    ("nausea and vomiting", "R11.2", 3),
    ("covid 19", "U07.1", 1),
    ("menieres", "H81.09", 3),
    ("type ii diabetes", "E11.9", 3),
    ("breast cancer", "C50.91", 1),
    ("history of breast cancer", "Z85.3", 1),
    ("family history of breast cancer", "Z80.3", 1),
    ("long term use of insulin", "Z79.4", 1),
    ("rubeola", "B05.9", 1),
    ("broken wrist", "S62.10", 1),
]

RANKING_TABULAR_ONLY = [
    ("E11.22", "E11.22", 1),
    ("e112", "E11.2", 1),
    ("s52521a", "S52.521A", 1),
    ("J69", "J69", 1),
    ("type 2 diabetes with chronic kidney disease", "E11.22", 1),
    ("diabetis type 2 ckd", "E11.22", 1),
    ("aspiration pneumonia", "J69.0", 1),
    ("htn", "I10", 1),
    ("chf", "I50.9", 1),
    ("afib", "I48.91", 1),
    ("uti", "N39.0", 1),
    ("copd exacerbation", "J44.1", 1),
    ("hypothyroidism", "E03.9", 1),
    ("ckd stage 4", "N18.4", 1),
    ("acute kidney injury", "N17.9", 1),
    ("chest pain", "R07.9", 1),
    ("headache", "R51.9", 1),
    ("low back pain", "M54.50", 3),
    ("covid 19", "U07.1", 1),
    ("anxiety", "F41.9", 1),
    ("menieres", "H81.09", 3),
    ("obstructive sleep apnea", "G47.33", 1),
    ("long term use of insulin", "Z79.4", 1),
    ("hyperlipidemia", "E78.5", 1),
    ("pharyngitis", "J02.9", 1),
]


def _rank_of(vocabulary: Vocabulary, query: str, expected: str) -> int | None:
    found = codes_for(vocabulary, query, limit=10)
    return found.index(expected) + 1 if expected in found else None


@pytest.mark.slow  # the bundled Alphabetic Index: no shared data needed
@pytest.mark.parametrize(("query", "expected", "within"), RANKING_WITH_INDEX)
def test_ranking_with_the_index(indexed_vocabulary: Vocabulary, query: str, expected: str, within: int) -> None:
    rank = _rank_of(indexed_vocabulary, query, expected)
    assert rank is not None and rank <= within, f"{query!r}: {expected} ranked {rank}"


@pytest.mark.slow
@pytest.mark.parametrize(("query", "expected", "within"), RANKING_TABULAR_ONLY)
def test_ranking_from_the_tabular_list_alone(
    full_vocabulary: Vocabulary, query: str, expected: str, within: int
) -> None:
    rank = _rank_of(full_vocabulary, query, expected)
    assert rank is not None and rank <= within, f"{query!r}: {expected} ranked {rank}"


@pytest.mark.slow
def test_index_terms_explain_the_match(indexed_vocabulary: Vocabulary) -> None:
    [result] = indexed_vocabulary.search("rubeola", limit=1)  # "Rubeola, see Measles": a followed reference
    assert (result.code, result.matched_term, result.source) == ("B05.9", "Rubeola", "index")
    assert ("Pneumonia, aspiration", "index") in indexed_vocabulary.code_search.terms_for("J69.0")
    sources = indexed_vocabulary.code_search.source_counts()
    assert {"title", "inclusion", "index", "eindex", "drug", "neoplasm", "abbreviation"} <= set(sources)


@pytest.mark.slow  # builds the mini code set in two more processes
def test_the_lexicon_is_the_same_bytes_whatever_the_hash_seed(mini_home) -> None:
    """Model packs pin the lexicon's sha256: rebuilding the same code set must not change it. Sets iterate in
    hash order, which differs per process (PYTHONHASHSEED), so a set written as-is would."""
    import json
    import subprocess
    import sys

    from vocab.artifact import PART_SUFFIX, codeset_folder

    program = (
        "import sys\n"
        "from pathlib import Path\n"
        "from vocab.build import build_codeset\n"
        "from vocab.vocabulary import build_vocabulary\n"
        "fixtures = Path(sys.argv[1])\n"
        "codeset = build_codeset(fixtures / 'tabular_mini.xml', fixtures / 'code_list_mini.txt')\n"
        "print(build_vocabulary(Path(sys.argv[2]), codeset=codeset).manifest.files[sys.argv[3]])\n"
    )
    name = f"lexicon{PART_SUFFIX}"
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    manifest = json.loads((codeset_folder(mini_home) / "manifest.json").read_text(encoding="utf-8"))
    digests = {manifest["files"][name]}  # this process's build
    for seed in ("1", "2"):
        with tempfile.TemporaryDirectory() as home:
            digests.add(
                subprocess.run(
                    [sys.executable, "-c", program, str(fixtures), home, name],
                    env={**os.environ, "PYTHONHASHSEED": seed},
                    cwd=Path(__file__).resolve().parents[2],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
            )
    assert len(digests) == 1
