"""The standards a finding rests on, worded once (a finding's ``basis`` names its section or rule)."""

from __future__ import annotations

__all__ = [
    "ABNORMAL_FINDINGS",
    "AUTHENTICATION",
    "BMI",
    "COMPLIANT_QUERY",
    "CONFLICTING",
    "COPY_PASTE",
    "DATES",
    "DIAGNOSTIC_STATEMENT",
    "PATIENT_IDENTIFICATION",
]

COMPLIANT_QUERY = "AHIMA/ACDIS Guidelines for Achieving a Compliant Query Practice (2022 update)"
AUTHENTICATION = (
    "CMS Conditions of Participation 42 CFR 482.24(c)(1): every entry legible, complete, dated, timed and "
    "authenticated by the person responsible"
)
DATES = "CMS Conditions of Participation 42 CFR 482.24(c)(1): every entry dated and timed"
PATIENT_IDENTIFICATION = "The Joint Commission RC.02.01.01: the record holds the patient's identifying information"
DIAGNOSTIC_STATEMENT = (
    "ICD-10-CM Official Guidelines I.A.19: code assignment rests on the provider's diagnostic statement"
)
CONFLICTING = (
    "ICD-10-CM Official Guidelines I.B.14: conflicting documentation, from the same or different clinicians, "
    f"is clarified by querying the attending provider; {COMPLIANT_QUERY}"
)
COPY_PASTE = "AHIMA: Appropriate Use of the Copy and Paste Functionality in Electronic Health Records (2014)"
ABNORMAL_FINDINGS = (
    "ICD-10-CM Official Guidelines III.B: abnormal findings are not coded unless the provider indicates their "
    f"clinical significance; I.A.19; {COMPLIANT_QUERY}"
)
BMI = (
    "ICD-10-CM Official Guidelines I.B.14 and I.C.21.c.3: a BMI (documented by any clinician) is reported only "
    "with an associated reportable diagnosis the provider documents"
)
