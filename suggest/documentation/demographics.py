"""Codes that conflict with the patient's sex or age.

``inconsistency.sex_age`` (warning): a proposed code whose chapter, block or category is for one sex or one
age group only (``data/sex_age_codes.tsv``, from the Tabular List's own titles and notes, e.g. chapter 15
"for use only on maternal records", I.C.15.a.1) while the patient, as given with the encounter or as the note
states ("58-year-old male"), is of the other sex or outside the ages. Either the code or the demographics is
wrong: the documentation conflicts (I.B.14).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from suggest.documentation import bases
from suggest.documentation.context import NoteFacts, stated_age_and_sex
from suggest.documentation.finding import Finding
from suggest.documentation.registry import documentation_checks

__all__ = ["SexAgeRule", "check_demographics", "sex_age_rules"]


@dataclass(frozen=True, slots=True)
class SexAgeRule:
    first: str
    last: str
    sex: str | None
    min_age: float | None
    max_age: float | None
    source: str

    def holds(self, code: str) -> bool:
        width = len(self.first)
        return self.first <= code[:width] <= self.last


@lru_cache(maxsize=1)
def sex_age_rules() -> tuple[SexAgeRule, ...]:
    text = resources.files("suggest.documentation.data").joinpath("sex_age_codes.tsv").read_text(encoding="utf-8")
    lines = [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]
    header, *rows = lines
    rules = []
    for cells in rows:
        row = dict(zip(header, cells, strict=True))
        rules.append(
            SexAgeRule(
                first=row["first"],
                last=row["last"],
                sex=row["sex"] or None,
                min_age=float(row["min_age"]) if row["min_age"] else None,
                max_age=float(row["max_age"]) if row["max_age"] else None,
                source=row["source"],
            )
        )
    return tuple(rules)


@lru_cache(maxsize=4096)  # a code's rules are the same in every note: look them up once per code
def _rules_of(code: str) -> tuple[SexAgeRule, ...]:
    return tuple(rule for rule in sex_age_rules() if rule.holds(code))


def _conflict(rule: SexAgeRule, sex: str | None, age: float | None) -> str | None:
    if rule.sex is not None and sex is not None and sex != rule.sex:
        return f"is for {rule.sex} patients only; the patient is {sex}"
    if age is not None and rule.min_age is not None and age < rule.min_age:
        return f"is for patients aged {rule.min_age:g} or more; the patient is {age:g}"
    if age is not None and rule.max_age is not None and age >= rule.max_age + 1:
        return f"is for patients aged {rule.max_age:g} or less; the patient is {age:g}"
    return None


@documentation_checks.register("chartcoder.documentation.demographics.v1")
def check_demographics(facts: NoteFacts) -> list[Finding]:
    """A proposed code for the other sex or another age group (Tabular chapter and block notes; I.C.15.a.1;
    I.B.14)."""
    ruled = [(suggestion, rules) for suggestion in facts.proposed() if (rules := _rules_of(suggestion.code))]
    if not ruled:
        return []  # no code for one sex or age: the note's demographics need not be read
    stated_age, stated_sex, stated_span, _view = stated_age_and_sex(facts.text)
    sex = facts.patient_sex or stated_sex
    age = facts.patient_age if facts.patient_age is not None else stated_age
    if sex is None and age is None:
        return []
    given = facts.patient_sex is not None or facts.patient_age is not None
    findings = []
    for suggestion, rules in ruled:
        for rule in rules:
            conflict = _conflict(rule, sex, age)
            if conflict is None:
                continue
            demographic = () if given or stated_span is None else (stated_span,)
            findings.append(
                Finding(
                    kind="inconsistency.sex_age",
                    severity="warning",
                    message=f"{suggestion.code} ({rule.source.split(':')[0]}) {conflict}.",
                    basis=f"ICD-10-CM Tabular List: {rule.source}; {bases.CONFLICTING}",
                    evidence=(*suggestion.evidence[:1], *demographic),
                    indicators=(*suggestion.evidence[:1], *demographic),
                    codes=(suggestion.code,),
                    needs_query=True,
                )
            )
            break
    return findings
