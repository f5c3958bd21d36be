"""Provider query drafts: compliant (AHIMA/ACDIS "Guidelines for Achieving a Compliant Query Practice")."""

from __future__ import annotations

import re

import pytest

from suggest.documentation import Finding, draft_query
from suggest.documentation.query import OTHER_OPTION, UNDETERMINED_OPTION, noncompliant_phrases
from suggest.errors import QueryDraftError
from suggest.types import Evidence

NOTE = (
    "HPI: Patient with type 1 diabetes and shortness of breath.\n"
    "Echo: ejection fraction 30%.\n"
    "ASSESSMENT: Heart failure. Type 2 diabetes mellitus. Left knee pain.\n"
    "PLAN: Right knee x-ray."
)

# Leading or financial wording no query may hold (the brief's "never mention reimbursement" and "non-leading").
FORBIDDEN = [
    "reimbursement",
    "payment",
    "DRG",
    "CC/MCC",
    "revenue",
    "financial",
    "please document that",
    "do you agree",
    "would you agree",
    "it appears that",
    "the patient has",
    "please add",
    "more specific code",
    "unspecified code",
    "ICD-10",
    "billable",
]


def _span(words: str, section: str = "assessment") -> Evidence:
    start = NOTE.index(words)
    return Evidence(start, start + len(words), words, section, "present")


FINDINGS = [
    Finding(
        kind="specificity.heart_failure_type",
        severity="info",
        message="Heart failure without a type; the note has an ejection fraction.",
        basis="ICD-10-CM Official Guidelines I.C.9.a; Tabular I50",
        evidence=(_span("Heart failure"),),
        indicators=(_span("ejection fraction 30%", "echo"), _span("shortness of breath", "hpi")),
        codes=("I50.9",),
        needs_query=True,
    ),
    Finding(
        kind="inconsistency.diabetes_type",
        severity="warning",
        message="Type 1 in the HPI, type 2 in the assessment.",
        basis="ICD-10-CM Official Guidelines I.C.4.a",
        evidence=(_span("type 1 diabetes", "hpi"), _span("Type 2 diabetes mellitus")),
        needs_query=True,
    ),
    Finding(
        kind="inconsistency.laterality",
        severity="warning",
        message="Left knee in the assessment, right knee in the plan.",
        basis="ICD-10-CM Official Guidelines I.B.13",
        evidence=(_span("Left knee pain"), _span("Right knee x-ray", "plan")),
        needs_query=True,
    ),
    Finding(
        kind="inconsistency.something_new",
        severity="warning",
        message="Two statements disagree.",
        basis="policy",
        evidence=(_span("Left knee pain"), _span("Right knee x-ray", "plan")),
        needs_query=True,
    ),
    Finding(
        kind="completeness.assessment_without_diagnosis",
        severity="warning",
        message="m",
        basis="policy",
        evidence=(_span("Heart failure"),),
        needs_query=True,
    ),
]


@pytest.mark.parametrize("finding", FINDINGS, ids=lambda finding: finding.kind)
def test_a_draft_quotes_the_indicators_offers_other_and_undetermined_and_never_leads(finding: Finding) -> None:
    draft = draft_query(finding)
    text = draft.text()
    for item in finding.indicators or finding.evidence:
        assert f'"{item.text}"' in text, "every clinical indicator is quoted word for word"
        assert NOTE[item.start : item.end] == item.text
    assert draft.options[-2:] == (OTHER_OPTION, UNDETERMINED_OPTION)
    assert "Other" in text and "Unable to determine" in text and "clinically undetermined" in text
    for phrase in FORBIDDEN:
        assert not re.search(rf"\b{re.escape(phrase)}\b", text, re.IGNORECASE), phrase
    assert noncompliant_phrases(draft.question) == []
    assert all(noncompliant_phrases(option) == [] for option in draft.options)
    assert len(set(draft.options)) == len(draft.options)


def test_the_question_names_the_attribute_and_offers_every_clinical_value_not_one_answer() -> None:
    heart_failure = draft_query(FINDINGS[0])
    assert "type of heart failure" in heart_failure.question
    assert {"Systolic (reduced ejection fraction)", "Diastolic (preserved ejection fraction)"} <= set(
        heart_failure.options
    )
    laterality = draft_query(FINDINGS[2])
    assert laterality.options[:3] == ("Right", "Left", "Bilateral")


def test_conflicting_statements_without_a_known_attribute_are_offered_as_documented() -> None:
    draft = draft_query(FINDINGS[3])
    assert draft.options[0] == 'As documented (assessment): "Left knee pain"'
    assert draft.options[1] == 'As documented (plan): "Right knee x-ray"'


def test_a_finding_quoting_nothing_cannot_be_queried() -> None:
    with pytest.raises(QueryDraftError, match="E020"):
        draft_query(Finding(kind="specificity.heart_failure_type", severity="info", message="m", basis="b"))


def test_noncompliant_phrases_are_found_as_words_only() -> None:
    assert noncompliant_phrases("This changes the DRG and reimbursement.") == ["DRG", "reimbursement"]
    assert noncompliant_phrases("Hydrogen and paidless") == []  # no match inside words


def test_every_option_row_names_its_source() -> None:
    from suggest.documentation.query import _read_table

    header, *rows = _read_table("query_options.tsv")
    assert header == ["attribute", "subject", "option", "source"]
    assert rows and all(len(row) == 4 and row[3].strip() for row in rows)


def test_every_attribute_of_the_table_drafts_a_compliant_query() -> None:
    from suggest.documentation.query import _attributes

    indicator = _span("ejection fraction 30%", "echo")
    for name in _attributes():
        draft = draft_query(
            Finding(kind=f"specificity.{name}", severity="info", message="m", basis="b", indicators=(indicator,))
        )
        text = draft.text()
        assert '"ejection fraction 30%" (echo)' in text
        assert draft.options[-2:] == (OTHER_OPTION, UNDETERMINED_OPTION) and len(draft.options) >= 4, name
        assert noncompliant_phrases(draft.question) == [] and not any(map(noncompliant_phrases, draft.options)), name
        for phrase in FORBIDDEN:
            assert not re.search(rf"\b{re.escape(phrase)}\b", text, re.IGNORECASE), (name, phrase)
