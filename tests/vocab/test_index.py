"""Tests of vocab.index: the Alphabetic Index and the index tables, from tiny fixtures and from the real files."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from vocab.errors import IndexFormatError, VocabError
from vocab.index import (
    CSV_HEADER,
    DRUG_COLUMNS,
    NEOPLASM_COLUMNS,
    AlphabeticIndex,
    CodedPath,
    IndexTerm,
    read_index,
    read_index_csv,
    read_index_xml,
    validate_codes,
)

# ------------------------------------------------------------------------------------------------ fixtures

INDEX_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2026</version>
  <title>ICD-10-CM INDEX TO DISEASES and INJURIES</title>
  <letter>
    <title>D</title>
    <mainTerm>
      <title>Dementia</title>
      <code>F03.90</code>
      <term level="1">
        <title>in</title>
        <term level="2">
          <title>Alzheimer's disease</title>
          <code>G30.9</code>
          <manif>F02.80</manif>
        </term>
      </term>
    </mainTerm>
    <mainTerm>
      <title>Diabetes, diabetic<nemod>(mellitus)   (sugar)</nemod></title>
      <code>E11.9</code>
      <term level="1">
        <title>type 2</title>
        <code>e119</code>
        <term level="2">
          <title>with</title>
          <code>E11.8</code>
          <term level="3">
            <title>chronic kidney
               disease</title>
            <code>E11.22</code>
          </term>
          <term level="3">
            <title>foot ulcer</title>
            <code>E11.621</code>
            <seeAlso>Ulcer, foot</seeAlso>
          </term>
          <term level="3">
            <title>kidney complications</title>
            <code>E11.2-</code>
          </term>
        </term>
      </term>
    </mainTerm>
    <mainTerm>
      <title>Disease, diseased</title>
      <seeAlso>Syndrome</seeAlso>
      <term level="1">
        <title>kidney<nemod>(functional) (pelvis)</nemod> NEC</title>
        <code>N28.9</code>
        <term level="2">
          <title>chronic</title>
          <code>N18.9</code>
        </term>
      </term>
    </mainTerm>
  </letter>
  <letter>
    <title>N</title>
    <mainTerm>
      <title>Nephropathy</title>
      <see>Disease, kidney</see>
    </mainTerm>
    <mainTerm>
      <title>Nephrosis</title>
      <see>Disease, kidney, chronic</see>
    </mainTerm>
    <mainTerm>
      <title>Nephritis<nemod>(albuminuric) (azotemic)</nemod></title>
      <see>Diseases (of), kidney, by site</see>
    </mainTerm>
    <mainTerm>
      <title>Neoplasm</title>
      <see>Table of Neoplasms</see>
    </mainTerm>
    <mainTerm>
      <title>Strangulation</title>
      <seecat>T71</seecat>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""

EINDEX_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2026</version>
  <title>ICD-10-CM EXTERNAL CAUSE of INJURIES INDEX</title>
  <letter>
    <title>A</title>
    <mainTerm>
      <title>Accident<nemod>(to)</nemod></title>
      <code>X58</code>
      <term level="1">
        <title>step<nemod>(stepping) exercise (class)</nemod></title>
        <code>Y93.A3</code>
      </term>
      <term level="1">
        <title>lightning</title>
        <subcat>T75.0</subcat>
      </term>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""

DRUG_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2026</version>
  <indexHeading>
    <head col="1">Substance</head>
    <head col="2">Poisoning Accidental (unintentional)</head>
    <head col="3">Poisoning Intentional self-harm</head>
    <head col="4">Poisoning Assault</head>
    <head col="5">Poisoning Undetermined</head>
    <head col="6">Adverse effect</head>
    <head col="7">Underdosing</head>
  </indexHeading>
  <letter>
    <title>A</title>
    <mainTerm>
      <title>Absinthe</title>
      <cell col="2">T51.0X1</cell>
      <cell col="3">T51.0X2</cell>
      <cell col="4">T51.0X3</cell>
      <cell col="5">T51.0X4</cell>
      <cell col="6">--</cell>
      <cell col="7">--</cell>
      <term level="1">
        <title>beverage</title>
        <cell col="2">T51.0X1</cell>
      </term>
    </mainTerm>
    <mainTerm>
      <title>Air contaminant<nemod>(s)</nemod>, source/type NOS</title>
      <see>Toxicity</see>
      <cell col="2">T65.91</cell>
    </mainTerm>
    <mainTerm>
      <title>Aspirin<nemod>(aluminum) (soluble)</nemod></title>
      <cell col="2">T39.011</cell>
      <cell col="3">T39.012</cell>
      <cell col="4">T39.013</cell>
      <cell col="5">T39.014</cell>
      <cell col="6">T39.015</cell>
      <cell col="7">T39.016</cell>
    </mainTerm>
  </letter>
  <letter>
    <title>S</title>
    <mainTerm>
      <title>Sodium</title>
      <term level="1">
        <title><nemod>(mono)</nemod> semicarbazone</title>
        <cell col="2">T46.991</cell>
      </term>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""

NEOPLASM_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2026</version>
  <indexHeading>
    <head col="1">Neoplasm</head>
    <head col="2">Malignant Primary</head>
    <head col="3">Malignant Secondary</head>
    <head col="4">Ca in situ</head>
    <head col="5">Benign</head>
    <head col="6">Uncertain Behavior</head>
    <head col="7">Unspecified Behavior</head>
  </indexHeading>
  <letter>
    <title>N</title>
    <mainTerm>
      <title>Neoplasm, neoplastic</title>
      <cell col="2">C80.1</cell>
      <term level="1">
        <title>book-leaf<nemod>(mouth)</nemod></title>
        <manif>ventral surface of tongue and floor of mouth</manif>
        <cell col="2">C06.89</cell>
      </term>
      <term level="1">
        <title>lung</title>
        <cell col="2">C34.9-</cell>
        <cell col="3">C78.0-</cell>
        <cell col="4">D02.2-</cell>
        <cell col="5">D14.3-</cell>
        <cell col="6">D38.1</cell>
        <cell col="7">D49.1</cell>
      </term>
      <term level="1">
        <title>skin</title>
        <cell col="2">C44.-</cell>
        <cell col="4">-</cell>
      </term>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""

INDEX_CSV = """RowID,Letter,Level,Term,See,SeeAlso,NonEssModif,Code
1,A,0,Abasia,,,(-astasia) (hysterical),F44.4
2,A,0,"Abdomen, abdominal",,condition,,
3,A,1,acute,,,,R10.0
4,A,1,angina,,,,K55.1
5,A,0,Abdominalgia,"Pain, abdominal",,,
6,A,0,Alder,,,(-Reilly) anomaly or syndrome  (leukocyte granulation),D72.0
7,A,0,Amnes,,,(t)ic syndrome (post-traumatic),f04
8,P,0,Pain(s),,,,R52
9,P,1,abdominal,,,,R10.9
10,P,2,lower,,,,R10.30
11,P,0,Pneumonia,,,(acute) (double),J18.9
12,P,1,aspiration,,,(due to food and vomit),J69.0
13,P,1,   lobar  ,,,,J18.1
14,P,2,with,,,,
15,P,3,influenza,"Influenza, with, pneumonia",,,
16,P,0,Pain,,,,R52.9
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def index(tmp_path: Path) -> AlphabeticIndex:
    return read_index(write(tmp_path, "icd10cm-index-April-1-2026-XML.xml", INDEX_XML))


@pytest.fixture
def drug(tmp_path: Path) -> AlphabeticIndex:
    return read_index(write(tmp_path, "icd10cm-drug-2026.xml", DRUG_XML))


@pytest.fixture
def neoplasm(tmp_path: Path) -> AlphabeticIndex:
    return read_index(write(tmp_path, "tables.xml", NEOPLASM_XML))


@pytest.fixture
def csv_index(tmp_path: Path) -> AlphabeticIndex:
    return read_index(write(tmp_path, "index_2025.csv", INDEX_CSV))


def found(index: AlphabeticIndex, *path: str) -> IndexTerm:
    term = index.find(*path)
    assert term is not None, f"{path} not in the index"
    return term


# ------------------------------------------------------------------------------------------ XML: the tree


def test_xml_index_source_release_and_document_order(index: AlphabeticIndex) -> None:
    assert index.source == "index"
    assert index.release == "FY2026 (April 1, 2026)"
    assert [term.id for term in index.terms] == list(range(len(index.terms)))
    assert [term.title for term in index.main_terms()] == [
        "Dementia",
        "Diabetes, diabetic",
        "Disease, diseased",
        "Nephropathy",
        "Nephrosis",
        "Nephritis",
        "Neoplasm",
        "Strangulation",
    ]


def test_xml_parents_levels_paths_and_children(index: AlphabeticIndex) -> None:
    ckd = found(index, "Diabetes, diabetic", "type 2", "with", "chronic kidney disease")
    assert ckd.level == 3
    assert ckd.codes == ("E11.22",)
    assert index.path(ckd.id) == ("Diabetes, diabetic", "type 2", "with", "chronic kidney disease")
    with_term = index.terms[ckd.parent] if ckd.parent is not None else None
    assert with_term is not None and with_term.title == "with" and with_term.level == 2
    assert [child.title for child in index.children(with_term.id)] == [
        "chronic kidney disease",
        "foot ulcer",
        "kidney complications",
    ]
    assert index.children(ckd.id) == ()
    main = found(index, "Diabetes, diabetic")
    assert main.parent is None and main.level == 0


def test_find_is_case_and_space_insensitive_and_exact_otherwise(index: AlphabeticIndex) -> None:
    assert found(index, "  diabetes,   DIABETIC ", "TYPE 2").codes == ("E11.9",)
    assert index.find("Diabetes", "type 2") is None
    assert index.find("Diabetes, diabetic", "type 3") is None
    assert index.find() is None


def test_nemod_inside_title_is_split_from_the_title(index: AlphabeticIndex) -> None:
    diabetes = found(index, "Diabetes, diabetic")
    assert diabetes.nemod == ("mellitus", "sugar")
    kidney = found(index, "Disease, diseased", "kidney NEC")
    assert kidney.title == "kidney NEC"  # text after the modifier stays in the title
    assert kidney.nemod == ("functional", "pelvis")


def test_essential_words_inside_nemod_markup_go_back_to_the_title(tmp_path: Path) -> None:
    eindex = read_index(write(tmp_path, "icd10cm-eindex-2026.xml", EINDEX_XML))
    step = found(eindex, "Accident", "step exercise")
    assert step.nemod == ("stepping", "class")


def test_codes_are_normalised_and_manifestations_kept(index: AlphabeticIndex) -> None:
    assert found(index, "Diabetes, diabetic", "type 2").codes == ("E11.9",)  # printed "e119"
    assert found(index, "Diabetes, diabetic", "type 2", "with", "kidney complications").codes == ("E11.2-",)
    alzheimer = found(index, "Dementia", "in", "Alzheimer's disease")
    assert alzheimer.codes == ("G30.9", "F02.80")
    assert alzheimer.manifestation == ("F02.80",)


def test_see_and_see_also(index: AlphabeticIndex) -> None:
    assert found(index, "Nephropathy").see == "Disease, kidney"
    assert found(index, "Disease, diseased").see_also == "Syndrome"
    assert found(index, "Strangulation").see == "category T71"
    references = [(term.title, kind, target) for term, kind, target in index.cross_references()]
    assert ("foot ulcer", "see_also", "Ulcer, foot") in references
    assert ("Nephropathy", "see", "Disease, kidney") in references
    assert sum(kind == "see" for _, kind, _ in references) == 5
    assert sum(kind == "see_also" for _, kind, _ in references) == 2


def test_resolve_see_follows_main_term_and_subterms(index: AlphabeticIndex) -> None:
    kidney = index.resolve_see(found(index, "Nephropathy").id)
    assert kidney is not None and index.path(kidney.id) == ("Disease, diseased", "kidney NEC")
    chronic = index.resolve_see(found(index, "Nephrosis").id)
    assert chronic is not None and index.path(chronic.id) == ("Disease, diseased", "kidney NEC", "chronic")
    # plural, modifier and a trailing instruction ("by site") do not prevent the walk
    by_site = index.resolve_see(found(index, "Nephritis").id)
    assert by_site is not None and by_site.title == "kidney NEC"


def test_resolve_see_gives_none_outside_this_index(index: AlphabeticIndex) -> None:
    assert index.resolve_see(found(index, "Neoplasm").id) is None
    assert index.resolve_see(found(index, "Strangulation").id) is None
    assert index.resolve_see(found(index, "Dementia").id) is None  # no "see" at all


def test_unknown_term_ids_raise_index_error(index: AlphabeticIndex) -> None:
    for bad in (-1, len(index.terms)):
        with pytest.raises(IndexError):
            index.path(bad)
        with pytest.raises(IndexError):
            index.children(bad)


def test_coded_paths_cover_every_code_with_nemods_along_the_path(index: AlphabeticIndex) -> None:
    paths = list(index.coded_paths())
    assert len(paths) == sum(len(term.codes) for term in index.terms)
    ckd = next(path for path in paths if path.code == "E11.22")
    assert ckd == CodedPath(
        path=("Diabetes, diabetic", "type 2", "with", "chronic kidney disease"),
        code="E11.22",
        nemod=("mellitus", "sugar"),
        column=None,
        term_id=found(index, "Diabetes, diabetic", "type 2", "with", "chronic kidney disease").id,
        source="index",
    )
    n18 = next(path for path in paths if path.code == "N18.9")
    assert n18.nemod == ("functional", "pelvis")


def test_eindex_is_recognised_by_title(tmp_path: Path) -> None:
    eindex = read_index(write(tmp_path, "external.xml", EINDEX_XML))
    assert eindex.source == "eindex"
    assert eindex.release == "FY2026"
    assert found(eindex, "accident", "lightning").see == "subcategory T75.0"


# ---------------------------------------------------------------------------------------------- tables


def test_drug_table_columns(drug: AlphabeticIndex) -> None:
    assert drug.source == "drug"
    aspirin = found(drug, "Aspirin")
    assert aspirin.nemod == ("aluminum", "soluble")
    assert aspirin.codes == ()
    assert tuple(key for key, _ in aspirin.columns) == DRUG_COLUMNS
    assert dict(aspirin.columns)["adverse_effect"] == "T39.015"
    # "--" cells mean "no code" and are left out
    assert dict(found(drug, "Absinthe").columns) == {
        "poisoning_accidental": "T51.0X1",
        "poisoning_intentional": "T51.0X2",
        "poisoning_assault": "T51.0X3",
        "poisoning_undetermined": "T51.0X4",
    }


def test_drug_table_titles_and_see(drug: AlphabeticIndex) -> None:
    air = found(drug, "Air contaminant, source/type NOS")
    assert air.nemod == ("s",)
    assert air.see == "Toxicity"
    assert found(drug, "Sodium", "semicarbazone").nemod == ("mono",)
    assert found(drug, "Absinthe", "beverage").level == 1


def test_table_coded_paths_carry_the_column(drug: AlphabeticIndex) -> None:
    paths = [path for path in drug.coded_paths() if path.path == ("Aspirin",)]
    assert [(path.column, path.code) for path in paths] == list(found(drug, "Aspirin").columns)
    assert all(path.source == "drug" for path in paths)


def test_neoplasm_table(neoplasm: AlphabeticIndex) -> None:
    assert neoplasm.source == "neoplasm"
    lung = found(neoplasm, "Neoplasm, neoplastic", "lung")
    assert tuple(key for key, _ in lung.columns) == NEOPLASM_COLUMNS
    assert dict(lung.columns)["malignant_primary"] == "C34.9-"
    assert found(neoplasm, "Neoplasm, neoplastic", "skin").columns == (("malignant_primary", "C44.-"),)
    book_leaf = found(neoplasm, "Neoplasm, neoplastic", "book-leaf")
    assert book_leaf.manifestation == ("ventral surface of tongue and floor of mouth",)
    assert book_leaf.codes == ()  # bracketed text that is not a code is no code


def test_table_kind_from_file_name_when_columns_are_unknown(tmp_path: Path) -> None:
    xml = NEOPLASM_XML.replace("Malignant Primary", "Column A").replace("Malignant Secondary", "Column B")
    for old in ("Ca in situ", "Benign", "Uncertain Behavior", "Unspecified Behavior"):
        xml = xml.replace(old, f"Other {old}")
    table = read_index(write(tmp_path, "icd10cm-neoplasm-2026.xml", xml))
    assert table.source == "neoplasm"
    assert dict(found(table, "Neoplasm, neoplastic", "lung").columns)["column_a"] == "C34.9-"
    with pytest.raises(IndexFormatError, match="neither the Drug nor the Neoplasm"):
        read_index(write(tmp_path, "tables.xml", xml))


# ------------------------------------------------------------------------------------------------- CSV


def test_csv_tree_codes_and_release(csv_index: AlphabeticIndex) -> None:
    assert csv_index.source == "index"
    assert csv_index.release == "FY2025"
    assert len(csv_index.terms) == 16
    aspiration = found(csv_index, "Pneumonia", "aspiration")
    assert aspiration.codes == ("J69.0",)
    assert aspiration.nemod == ("due to food and vomit",)
    assert csv_index.path(found(csv_index, "pneumonia", "lobar", "with", "influenza").id) == (
        "Pneumonia",
        "lobar",
        "with",
        "influenza",
    )
    assert found(csv_index, "Amnesic syndrome").codes == ("F04",)
    assert [term.title for term in csv_index.children(found(csv_index, "Abdomen, abdominal").id)] == [
        "acute",
        "angina",
    ]


def test_csv_modifier_column_is_split_and_stray_words_return_to_the_title(csv_index: AlphabeticIndex) -> None:
    assert found(csv_index, "Abasia").nemod == ("-astasia", "hysterical")
    alder = found(csv_index, "Alder anomaly or syndrome")
    assert alder.nemod == ("-Reilly", "leukocyte granulation")
    assert found(csv_index, "Amnesic syndrome").nemod == ("t", "post-traumatic")


def test_csv_see_also_and_resolve(csv_index: AlphabeticIndex) -> None:
    abdomen = found(csv_index, "Abdomen, abdominal")
    assert abdomen.see_also == "condition" and abdomen.see is None
    target = csv_index.resolve_see(found(csv_index, "Abdominalgia").id)
    assert target is not None and csv_index.path(target.id) == ("Pain(s)", "abdominal")
    influenza = found(csv_index, "Pneumonia", "lobar", "with", "influenza")
    assert csv_index.resolve_see(influenza.id) is None


def test_csv_level_jump_is_a_format_error(tmp_path: Path) -> None:
    bad = INDEX_CSV.replace("4,A,1,angina", "4,A,3,angina")
    with pytest.raises(IndexFormatError, match=r"line 5: level 3"):
        read_index(write(tmp_path, "jump.csv", bad))


def test_csv_bad_level_and_field_count_are_format_errors(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="not a number"):
        read_index(write(tmp_path, "a.csv", INDEX_CSV.replace("4,A,1,angina", "4,A,one,angina")))
    with pytest.raises(IndexFormatError, match="expected 8 fields"):
        read_index(write(tmp_path, "b.csv", INDEX_CSV + "17,P,0,Extra\n"))


# ------------------------------------------------------------------------------------------ validation


def test_validate_codes_reports_every_unknown_code(index: AlphabeticIndex) -> None:
    asked: list[str] = []

    def is_known(code: str) -> bool:
        asked.append(code)
        return code not in {"E11.22", "E11.2"}

    result = validate_codes(index, is_known, tabular="the FY2026 tabular list")
    assert result.total_codes == len(list(index.coded_paths()))
    assert result.valid == result.total_codes - 2
    assert {(item.code, item.reason) for item in result.invalid} == {
        ("E11.22", "not in the FY2026 tabular list"),
        ("E11.2-", "not in the FY2026 tabular list"),
    }
    assert ("Diabetes, diabetic", "type 2", "with", "kidney complications") in [i.path for i in result.invalid]
    assert "E11.2" in asked and "E11.2-" not in asked  # the trailing dash is stripped before asking
    assert len(asked) == len(set(asked))  # each distinct code is asked once


def test_validate_codes_reports_non_codes_and_table_columns(neoplasm: AlphabeticIndex) -> None:
    result = validate_codes(neoplasm, lambda code: code != "D49.1")
    reasons = {(item.code, item.reason, item.column) for item in result.invalid}
    assert reasons == {
        ("ventral surface of tongue and floor of mouth", "not code-shaped", None),
        ("D49.1", "not in the tabular list", "unspecified_behavior"),
    }
    assert result.total_codes == len(list(neoplasm.coded_paths())) + 1
    assert result.valid == result.total_codes - 2


def test_validate_codes_asks_with_the_stem_of_dotted_dash_codes(neoplasm: AlphabeticIndex) -> None:
    asked: set[str] = set()

    def is_known(code: str) -> bool:
        asked.add(code)
        return True

    validate_codes(neoplasm, is_known)
    assert "C44" in asked and "C34.9" in asked


# --------------------------------------------------------------------------------------------- records


@pytest.mark.parametrize("fixture_name", ["index", "drug", "neoplasm", "csv_index"])
def test_records_round_trip_through_json_and_pickle(fixture_name: str, request: pytest.FixtureRequest) -> None:
    original: AlphabeticIndex = request.getfixturevalue(fixture_name)
    records = original.to_records()
    rebuilt = AlphabeticIndex.from_records(json.loads(json.dumps(records)))
    assert rebuilt == original
    assert rebuilt.terms == original.terms
    assert pickle.loads(pickle.dumps(records)) == records
    unpickled = pickle.loads(pickle.dumps(original))
    assert unpickled == original
    assert unpickled.children(0) == original.children(0)


@pytest.mark.parametrize(
    "records",
    [
        None,
        {"format": "something else"},
        {"format": "chartcoder.alphabetic-index", "version": 99, "source": "index", "release": "", "terms": []},
        {"format": "chartcoder.alphabetic-index", "version": 1, "source": "index", "release": "", "terms": "x"},
        {"format": "chartcoder.alphabetic-index", "version": 1, "source": "bogus", "release": "", "terms": []},
        {
            "format": "chartcoder.alphabetic-index",
            "version": 1,
            "source": "index",
            "release": "",
            "terms": [[None, 0, "A", [], [], [], None, None, []], [5, 1, "b", [], [], [], None, None, []]],
        },
        {
            "format": "chartcoder.alphabetic-index",
            "version": 1,
            "source": "index",
            "release": "",
            "terms": [[None, 0, 7, [], [], [], None, None, []]],
        },
        {
            "format": "chartcoder.alphabetic-index",
            "version": 1,
            "source": "index",
            "release": "",
            "terms": [[None, 1, "A", [], [], [], None, None, []]],
        },
    ],
)
def test_from_records_rejects_malformed_records(records: object) -> None:
    with pytest.raises(IndexFormatError):
        AlphabeticIndex.from_records(records)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path: Path) -> None:
    for reader in (read_index, read_index_xml, read_index_csv):
        with pytest.raises(IndexFormatError, match="does not exist") as caught:
            reader(tmp_path / "absent.xml")
        assert "absent.xml" in str(caught.value)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="directory"):
        read_index(tmp_path)


@pytest.mark.parametrize("name", ["blob.bin", "blob.xml", "blob.csv"])
def test_binary_file(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe")
    with pytest.raises(IndexFormatError) as caught:
        read_index(path)
    assert name in str(caught.value)
    with pytest.raises(IndexFormatError):
        read_index_xml(path)
    with pytest.raises(IndexFormatError):
        read_index_csv(path)


def test_utf8_binary_with_nul_bytes_as_csv(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="NUL"):
        read_index_csv(write(tmp_path, "nul.csv", ",".join(CSV_HEADER).encode() + b"\n1,A,0,X\x00,,,,\n"))


def test_non_utf8_csv(tmp_path: Path) -> None:
    content = INDEX_CSV.replace("Abasia", "Ménière").encode("latin-1")
    with pytest.raises(IndexFormatError, match="not UTF-8") as caught:
        read_index(write(tmp_path, "latin.csv", content))
    assert "latin.csv" in str(caught.value)


def test_non_utf8_xml(tmp_path: Path) -> None:
    content = INDEX_XML.replace("Dementia", "Ménière").encode("latin-1")
    with pytest.raises(IndexFormatError, match="not UTF-8") as caught:
        read_index(write(tmp_path, "latin.xml", content))
    assert "latin.xml" in str(caught.value)


def test_xml_with_a_declared_legacy_encoding_is_read(tmp_path: Path) -> None:
    xml = INDEX_XML.replace('encoding="utf-8"', 'encoding="iso-8859-1"').replace("Dementia", "Ménière")
    index = read_index(write(tmp_path, "legacy.xml", xml.encode("latin-1")))
    assert found(index, "Ménière").codes == ("F03.90",)


def test_wrong_xml_root(tmp_path: Path) -> None:
    path = write(tmp_path, "tabular.xml", '<?xml version="1.0"?><ICD10CM.tabular><chapter/></ICD10CM.tabular>')
    with pytest.raises(IndexFormatError, match=r"root element is <ICD10CM.tabular>") as caught:
        read_index(path)
    assert "tabular.xml" in str(caught.value)


def test_malformed_xml(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="not well-formed XML"):
        read_index(write(tmp_path, "cut.xml", INDEX_XML[:500]))


def test_xml_without_terms(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="without any terms"):
        read_index(write(tmp_path, "empty.xml", "<ICD10CM.index><version>2026</version></ICD10CM.index>"))


def test_xml_with_a_dtd_is_refused(tmp_path: Path) -> None:
    xml = INDEX_XML.replace(
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE x [<!ENTITY a "aaaa">]>',
    )
    with pytest.raises(IndexFormatError, match="DTD"):
        read_index(write(tmp_path, "dtd.xml", xml))


def test_wrong_csv_header(tmp_path: Path) -> None:
    path = write(tmp_path, "codes.csv", "code,description\nE11.9,Type 2 diabetes mellitus\n")
    with pytest.raises(IndexFormatError, match="expected the header") as caught:
        read_index(path)
    assert "codes.csv" in str(caught.value)
    with pytest.raises(IndexFormatError, match="found nothing"):
        read_index_csv(write(tmp_path, "empty.csv", ""))


def test_csv_with_header_only(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="no index terms"):
        read_index(write(tmp_path, "header.csv", ",".join(CSV_HEADER) + "\n"))


def test_csv_read_as_xml_and_xml_as_csv(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError):
        read_index_xml(write(tmp_path, "index.csv", INDEX_CSV))
    with pytest.raises(IndexFormatError):
        read_index_csv(write(tmp_path, "index.xml", INDEX_XML))


def test_content_sniffing_without_a_telling_suffix(tmp_path: Path) -> None:
    assert len(read_index(write(tmp_path, "index.txt", INDEX_CSV)).terms) == 16
    assert read_index(write(tmp_path, "index.data", INDEX_XML)).source == "index"
    with pytest.raises(IndexFormatError, match="neither"):
        read_index(write(tmp_path, "notes.txt", "just some text\n"))


@pytest.mark.parametrize("suffix", [".gz", ".xz"])
def test_compressed_files_are_read_like_the_plain_ones(tmp_path: Path, suffix: str) -> None:
    import gzip
    import lzma

    compress = gzip.compress if suffix == ".gz" else lzma.compress
    csv_index = read_index(write(tmp_path, f"index_2025.csv{suffix}", compress(INDEX_CSV.encode())))
    assert csv_index == read_index(write(tmp_path, "index_2025.csv", INDEX_CSV))
    assert csv_index.release == "FY2025"
    xml_index = read_index_xml(write(tmp_path, f"icd10cm-index-April-1-2026.xml{suffix}", compress(INDEX_XML.encode())))
    assert xml_index.release == "FY2026 (April 1, 2026)" and found(xml_index, "Dementia").codes == ("F03.90",)


@pytest.mark.parametrize("suffix", [".gz", ".xz"])
def test_a_damaged_compressed_file_is_a_format_error(tmp_path: Path, suffix: str) -> None:
    import gzip
    import lzma

    compressed = (gzip.compress if suffix == ".gz" else lzma.compress)(INDEX_CSV.encode())
    for name, content in [("cut", compressed[: len(compressed) // 2]), ("plain", INDEX_CSV.encode())]:
        with pytest.raises(IndexFormatError, match=f"not a readable \\{suffix} file") as caught:
            read_index(write(tmp_path, f"{name}.csv{suffix}", content))
        assert f"{name}.csv{suffix}" in str(caught.value)


def test_a_compressed_file_that_inflates_without_end_is_refused(tmp_path: Path, monkeypatch) -> None:
    import gzip

    import vocab.index

    monkeypatch.setattr(vocab.index, "_MAX_DECOMPRESSED_BYTES", 1000)
    with pytest.raises(IndexFormatError, match="decompresses to more than"):
        read_index(write(tmp_path, "bomb.csv.gz", gzip.compress(b"RowID," + b" " * 5000)))


def test_errors_are_vocab_errors() -> None:
    assert issubclass(IndexFormatError, VocabError)


# --------------------------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def index_data_dir(shared_data_dir: Path) -> Path:
    folder = shared_data_dir / "icd10cm_index"
    if not folder.is_dir():
        pytest.skip(f"ICD-10-CM index data not found at {folder}")
    return folder


@pytest.fixture(scope="module")
def real_csv(index_data_dir: Path) -> AlphabeticIndex:
    return read_index(index_data_dir / "index_2025.csv")


@pytest.mark.shared_data
def test_real_csv_spot_checks(real_csv: AlphabeticIndex) -> None:
    assert real_csv.source == "index" and real_csv.release == "FY2025"
    assert len(real_csv.terms) == 81_024
    assert found(real_csv, "Pneumonia", "aspiration").codes == ("J69.0",)
    ckd = found(real_csv, "Diabetes, diabetic", "type 2", "with", "chronic kidney disease")
    assert ckd.codes == ("E11.22",)
    assert found(real_csv, "Hypertension, hypertensive").codes == ("I10",)


@pytest.mark.shared_data
def test_real_csv_counts_match_the_source_notes(real_csv: AlphabeticIndex) -> None:
    references = [kind for _, kind, _ in real_csv.cross_references()]
    assert sum(1 for term in real_csv.terms if term.codes) == 62_721
    assert references.count("see") == 12_136
    assert references.count("see_also") == 2_057
    assert len(real_csv.main_terms()) == sum(1 for term in real_csv.terms if term.level == 0)


@pytest.mark.shared_data
def test_real_csv_see_references_mostly_resolve(real_csv: AlphabeticIndex) -> None:
    with_see = [term for term in real_csv.terms if term.see]
    resolved = sum(real_csv.resolve_see(term.id) is not None for term in with_see)
    assert resolved / len(with_see) > 0.95  # the rest point outside this index ("Table of Drugs ...")


@pytest.mark.shared_data
def test_real_eindex(index_data_dir: Path) -> None:
    eindex = read_index(index_data_dir / "icd10cm-eindex-April-1-2026-XML.xml")
    assert eindex.source == "eindex"
    assert eindex.release == "FY2026 (April 1, 2026)"
    assert len(list(eindex.coded_paths())) > 1000
    accident = found(eindex, "Accident")
    assert accident.nemod == ("to",) and accident.codes == ("X58",)
    assert found(eindex, "Abandonment NEC").nemod == (
        "causing exposure to weather conditions",
        "with intent to injure or kill",
    )


@pytest.mark.shared_data
def test_real_drug_table(index_data_dir: Path) -> None:
    drug = read_index(index_data_dir / "icd10cm-drug-April-1-2026-XML.xml")
    assert drug.source == "drug"
    assert dict(found(drug, "Aspirin").columns)["adverse_effect"] == "T39.015"
    used = {column for path in drug.coded_paths() for column in [path.column]}
    assert used == set(DRUG_COLUMNS)


@pytest.mark.shared_data
def test_real_neoplasm_table(index_data_dir: Path) -> None:
    neoplasm = read_index(index_data_dir / "icd10cm-neoplasm-April-1-2026-XML.xml")
    assert neoplasm.source == "neoplasm"
    lung = found(neoplasm, "Neoplasm, neoplastic", "lung")
    assert dict(lung.columns)["malignant_primary"] == "C34.9-"
    assert dict(lung.columns)["malignant_secondary"] == "C78.0-"


@pytest.mark.shared_data
def test_real_files_round_trip_through_records(index_data_dir: Path) -> None:
    eindex = read_index(index_data_dir / "icd10cm-eindex-April-1-2026-XML.xml")
    assert AlphabeticIndex.from_records(json.loads(json.dumps(eindex.to_records()))) == eindex
