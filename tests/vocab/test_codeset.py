"""Tests of vocab.codeset, vocab.build and vocab.artifact: lookup, hierarchy, notes, 7th characters, Excludes1,
the artifact on disk, and the counts of the complete FY2026 release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from vocab.artifact import FORMAT_VERSION, codeset_folder, read_manifest
from vocab.codeset import CodeRange, CodeSet, parse_code_references
from vocab.errors import CodeSetFormatError, CodeSetNotBuiltError, InvalidCodeError, UnknownCodeError
from vocab.vocabulary import load_vocabulary

# ------------------------------------------------------------------------------------------- lookup


def test_any_spelling_finds_the_code(mini_codeset: CodeSet) -> None:
    for spelling in ("E11.22", "e1122", " e11.22 "):
        assert mini_codeset.get(spelling).code == "E11.22"
        assert spelling in mini_codeset
    assert mini_codeset.resolve("s52521a").code == "S52.521A"


def test_get_is_none_for_unknown_and_for_non_codes(mini_codeset: CodeSet) -> None:
    assert mini_codeset.get("Z99.999") is None
    assert mini_codeset.get("hello") is None
    assert 42 not in mini_codeset


def test_resolve_names_the_release_for_an_unknown_code(mini_codeset: CodeSet) -> None:
    with pytest.raises(UnknownCodeError, match=r"Z99\.999 is not a code in ICD-10-CM FY2026"):
        mini_codeset.resolve("z99999")
    with pytest.raises(InvalidCodeError):
        mini_codeset.resolve("hello")


def test_unknown_code_error_reads_as_prose_not_as_a_quoted_key(mini_codeset: CodeSet) -> None:
    with pytest.raises(KeyError) as raised:  # still a KeyError for callers that expect one
        mini_codeset.resolve("Z99.999")
    assert not str(raised.value).startswith("'")


def test_billable_means_a_leaf(mini_codeset: CodeSet) -> None:
    assert mini_codeset.is_billable("E11.22")
    assert not mini_codeset.is_billable("E11.2")
    assert not mini_codeset.is_billable("S52.521")  # needs a 7th character
    assert mini_codeset.is_billable("S52.521A")
    assert mini_codeset.is_billable("I10")  # a billable category
    assert not mini_codeset.is_billable("Z99.999")
    assert all(code.billable == (not code.children) for code in mini_codeset)


# ------------------------------------------------------------------------------------------- hierarchy


def test_ancestors_parent_first(mini_codeset: CodeSet) -> None:
    assert [code.code for code in mini_codeset.ancestors("S52.521A")] == ["S52.521", "S52.52", "S52.5", "S52"]
    assert mini_codeset.ancestors("E11") == []


def test_descendants_and_billable_descendants(mini_codeset: CodeSet) -> None:
    assert [code.code for code in mini_codeset.descendants("E11.2")] == ["E11.21", "E11.22", "E11.29"]
    assert [code.code for code in mini_codeset.billable_descendants("E11.22")] == ["E11.22"]
    billable = mini_codeset.billable_descendants("S52.52")
    assert billable and all(code.billable and code.code.startswith("S52.52") for code in billable)


def test_with_prefix_in_code_order_with_limit(mini_codeset: CodeSet) -> None:
    assert [code.code for code in mini_codeset.with_prefix("e112")] == ["E11.2", "E11.21", "E11.22", "E11.29"]
    assert [code.code for code in mini_codeset.with_prefix("E11.2")] == ["E11.2", "E11.21", "E11.22", "E11.29"]
    assert len(mini_codeset.with_prefix("S52", limit=5)) == 5
    assert mini_codeset.with_prefix("  ") == []
    assert mini_codeset.with_prefix("Z99.9") == []


def test_chapter_and_block(mini_codeset: CodeSet) -> None:
    assert mini_codeset.chapter_of("E11.22").id == "4"
    assert mini_codeset.block_of("E11.22").id == "E08-E13"


def test_block_and_code_with_the_same_name_stay_distinct(mini_codeset: CodeSet) -> None:
    assert mini_codeset.blocks["B20"].title.startswith("Human immunodeficiency virus")
    assert mini_codeset.codes["B20"].billable
    assert mini_codeset.block_of("B20").id == "B20"


# ------------------------------------------------------------------------------------------- 7th characters


def test_seventh_characters_are_inherited_from_the_category(mini_codeset: CodeSet) -> None:
    characters = mini_codeset.seventh_characters("S52.521")
    assert characters["A"] == "initial encounter for closed fracture"
    assert {"A", "D", "S"} <= set(characters)
    assert mini_codeset.needs_seventh_character("S52.521")
    assert not mini_codeset.needs_seventh_character("S52.521A")
    assert not mini_codeset.needs_seventh_character("E11.22")
    assert mini_codeset.seventh_characters("E11.22") == {}


def test_build_seventh_adds_placeholders(mini_codeset: CodeSet) -> None:
    assert mini_codeset.build_seventh("S52.521", "a").code == "S52.521A"
    assert mini_codeset.build_seventh("T36.0X1", "A").code == "T36.0X1A"
    assert mini_codeset.resolve("S52.521A").description.endswith("initial encounter for closed fracture")


def test_build_seventh_refuses_what_the_code_does_not_take(mini_codeset: CodeSet) -> None:
    with pytest.raises(InvalidCodeError, match=r"not a 7th character for S52\.521; choose one of: A \("):
        mini_codeset.build_seventh("S52.521", "Z")
    with pytest.raises(InvalidCodeError, match="takes no 7th character"):
        mini_codeset.build_seventh("E11.22", "A")


# ------------------------------------------------------------------------------------------- notes, Excludes1


def test_inherited_notes_read_upwards_to_the_chapter(mini_codeset: CodeSet) -> None:
    notes = mini_codeset.inherited_notes("E11.22", "excludes1")
    assert ("E11", "type 1 diabetes mellitus (E10.-)") in notes
    assert any(where == "chapter 4" for where, _ in notes)
    uses = [note for _, note in mini_codeset.inherited_notes("E11.22", "use_additional")]
    assert "insulin (Z79.4)" in uses
    with pytest.raises(ValueError, match="unknown note field"):
        mini_codeset.inherited_notes("E11.22", "excludes3")


def test_excludes1_between_type_1_and_type_2_diabetes_either_way(mini_codeset: CodeSet) -> None:
    assert mini_codeset.excludes1_conflict("E11.9", "E10.9") == "type 1 diabetes mellitus (E10.-)"
    assert mini_codeset.excludes1_conflict("E10.9", "E11.9") is not None
    assert mini_codeset.excludes1_conflict("E11.9", "I10") is None
    assert mini_codeset.excludes1_conflict("E11.22", "E11.9") is None  # same category: no Excludes1


def test_excludes1_span_covers_the_codes_inside_it(mini_codeset: CodeSet) -> None:
    # E11.A (in remission) excludes "type 2 diabetes mellitus, with complications (E11.0-E11.8)"
    note = mini_codeset.excludes1_conflict("E11.A", "E11.22")
    assert note is not None and "E11.0-E11.8" in note
    assert mini_codeset.excludes1_conflict("E11.22", "E11.A") == note
    assert mini_codeset.excludes1_conflict("E11.A", "I10") is None


def test_parse_code_references_reads_branches_spans_and_lists() -> None:
    references = parse_code_references("(E10.-); (N18.1-N18.6); (O10-O11, O13-O16); insulin (Z79.4); (O24.4-)")
    assert [(reference.first, reference.last) for reference in references] == [
        ("E10", "E10"),
        ("N18.1", "N18.6"),
        ("O10", "O11"),
        ("O13", "O16"),
        ("Z79.4", "Z79.4"),
        ("O24.4", "O24.4"),
    ]


@pytest.mark.parametrize(
    ("first", "last", "code", "covered"),
    [
        ("E10", "E10", "E10.9", True),
        ("E10", "E10", "E11.9", False),
        ("N18.1", "N18.6", "N18.30", True),
        ("N18.1", "N18.6", "N18.9", False),
        ("O10", "O11", "O11.3", True),
        ("Z79.4", "Z79.4", "Z79.4", True),
        ("Z79.4", "Z79.4", "Z79.84", False),
    ],
)
def test_code_range_covers(first: str, last: str, code: str, covered: bool) -> None:
    assert CodeRange(first, last, f"{first}-{last}").covers(code) is covered


def test_counts_of_the_mini_code_set(mini_codeset: CodeSet) -> None:
    counts = mini_codeset.counts()
    assert counts["codes"] == len(mini_codeset) == 3743
    assert counts["billable_codes"] == sum(1 for _ in mini_codeset.iter_billable())
    assert counts["categories"] == 15


# ------------------------------------------------------------------------------------------- artifact


def test_artifact_round_trip(mini_home: Path, mini_codeset: CodeSet) -> None:
    vocabulary = load_vocabulary(mini_home)
    assert vocabulary.codeset.codes == mini_codeset.codes
    manifest = read_manifest(codeset_folder(mini_home))
    assert manifest.format_version == FORMAT_VERSION
    assert set(manifest.files) == {"tabular.msgpack", "lexicon.msgpack"}
    assert manifest.counts["codes"] == 3743 and manifest.counts["index_entries"] == 0


def test_no_artifact_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CodeSetNotBuiltError, match="chartcoder vocab build"):
        load_vocabulary(tmp_path)


def test_a_modified_part_is_refused_by_its_hash(tmp_path: Path, mini_home: Path) -> None:
    shutil.copytree(mini_home / "codeset", tmp_path / "codeset")
    lexicon = codeset_folder(tmp_path) / "lexicon.msgpack"
    lexicon.write_bytes(lexicon.read_bytes()[:-10])
    vocabulary = load_vocabulary(tmp_path)  # the lexicon is read lazily
    with pytest.raises(CodeSetFormatError, match=r"lexicon\.msgpack does not match its sha256"):
        vocabulary.code_search  # noqa: B018


def test_the_artifact_holds_no_pickle_and_a_pickle_is_not_run(tmp_path: Path, mini_home: Path) -> None:
    """Issue 19 point 5: a part replaced by a pickle that runs code (its hash updated) is refused, not run."""
    import hashlib
    import pickle

    shutil.copytree(mini_home / "codeset", tmp_path / "codeset")
    folder = codeset_folder(tmp_path)
    assert not any(path.read_bytes().startswith(b"\x80") for path in folder.iterdir())  # no pickle protocol 2+
    marker = tmp_path / "ran.txt"
    evil = pickle.dumps(_WritesFile(str(marker)))
    (folder / "tabular.msgpack").write_bytes(evil)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["tabular.msgpack"] = hashlib.sha256(evil).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CodeSetFormatError):
        load_vocabulary(tmp_path)
    assert not marker.exists()


def test_an_old_pickled_artifact_is_refused_naming_the_upgrade(tmp_path: Path, mini_home: Path) -> None:
    shutil.copytree(mini_home / "codeset", tmp_path / "codeset")
    manifest_path = codeset_folder(tmp_path) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CodeSetFormatError, match="models upgrade"):
        load_vocabulary(tmp_path)


class _WritesFile:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


def test_a_newer_format_is_refused(tmp_path: Path, mini_home: Path) -> None:
    shutil.copytree(mini_home / "codeset", tmp_path / "codeset")
    manifest_path = codeset_folder(tmp_path) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CodeSetFormatError, match="Rebuild it"):
        load_vocabulary(tmp_path)


def test_a_garbled_manifest_is_refused(tmp_path: Path, mini_home: Path) -> None:
    shutil.copytree(mini_home / "codeset", tmp_path / "codeset")
    (codeset_folder(tmp_path) / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CodeSetFormatError, match="not a chartcoder code-set manifest"):
        load_vocabulary(tmp_path)


# ------------------------------------------------------------------------------------------- the full release


@pytest.mark.slow
def test_full_release_counts(indexed_vocabulary) -> None:
    codeset = indexed_vocabulary.codeset
    counts = codeset.counts()
    # 74,719 billable codes: the 74,714 often quoted leaves out five billable 3-character codes whose names are
    # also block ids (B20, F99, P84, R99, Z66).
    assert counts["billable_codes"] == 74_719
    assert counts["codes"] == 98_186
    assert counts["chapters"] == 22
    for code in ("B20", "F99", "P84", "R99", "Z66"):
        assert codeset.is_billable(code), code
        assert code in codeset.blocks, code
    assert codeset.release == "FY2026 (April 1, 2026)"
    assert indexed_vocabulary.manifest.counts["billable_codes"] == 74_719


@pytest.mark.slow
def test_full_release_spot_checks(indexed_vocabulary) -> None:
    codeset = indexed_vocabulary.codeset
    assert codeset.is_billable("S52.521A")
    assert codeset.resolve("S52.521A").description == (
        "Torus fracture of lower end of right radius, initial encounter for closed fracture"
    )
    assert codeset.is_billable("E11.22") and not codeset.is_billable("E11.2")
    assert codeset.is_billable("J69.0") and codeset.is_billable("I10")
    assert codeset.build_seventh("T36.0X1", "A").code == "T36.0X1A"
    assert codeset.is_valid("QA0.0101")  # new in April 2026: a category with a letter second
    assert codeset.excludes1_conflict("E11.9", "E10.9") is not None
    assert not codeset.is_valid("Z99.999")


def _conflicts_pair_by_pair(codeset: CodeSet, codes: list[str]) -> list[tuple[int, int, str]]:
    """The definition, every pair against every note: what the bisection must reproduce."""

    def first_note(this: str, other: str) -> str | None:
        for note, reference in codeset.excludes1_references(this):
            if reference.covers(other) and not reference.covers(this):
                return note
        return None

    found = []
    for i, first in enumerate(codes):
        for j in range(i + 1, len(codes)):
            note = first_note(first, codes[j]) or first_note(codes[j], first)
            if note:
                found.append((i, j, note))
    return found


@pytest.mark.parametrize("seed", range(5))
def test_excludes1_conflicts_match_the_pair_by_pair_definition(mini_codeset: CodeSet, seed: int) -> None:
    import random

    shuffle = random.Random(seed)
    diabetes = [code for code in sorted(mini_codeset.codes) if code.startswith(("E10", "E11"))]
    codes = shuffle.sample(sorted(mini_codeset.codes), k=min(40, len(mini_codeset.codes))) + diabetes
    shuffle.shuffle(codes)
    codes += codes[:3]  # a code listed twice is never in conflict with itself
    expected = _conflicts_pair_by_pair(mini_codeset, codes)
    assert expected, "type 1 beside type 2 diabetes codes: Excludes1 pairs to find"
    assert mini_codeset.excludes1_conflicts(codes) == expected


def test_rebuilding_an_old_artifact_with_imported_indexes_asks_for_the_upgrade_first(
    tmp_path: Path, mini_home: Path, mini_codeset: CodeSet
) -> None:
    """Rebuilding used to keep imported indexes by reading the old artifact; a pickled one is not read, so the
    rebuild stops instead of dropping them without a word."""
    from vocab.vocabulary import build_vocabulary

    shutil.copytree(mini_home / "codeset", tmp_path / "codeset")
    manifest_path = codeset_folder(tmp_path) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.update(format_version=1, files={"tabular.pkl": "0" * 64, "index-index.pkl": "1" * 64})
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CodeSetFormatError, match="models upgrade"):
        build_vocabulary(tmp_path, codeset=mini_codeset)
