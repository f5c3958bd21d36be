"""Completeness by document type: signature and credentials, patient identifier, required sections, and an
assessment that names a diagnosis.

- ``completeness.signature_missing`` (error): no signature or electronic-signature line, or a blank one
  (42 CFR 482.24(c)(1): entries authenticated by their author);
- ``completeness.credentials_missing`` (warning): a signature without the author's credentials (MD, DO, NP,
  PA-C, ...): I.A.19 and I.B.14 let only the patient's provider establish a diagnosis, so the coder must know
  who signed;
- ``completeness.patient_id_missing`` (warning): no patient name, MRN or date-of-birth field
  (The Joint Commission RC.02.01.01);
- ``completeness.section_missing`` (warning): a section the document type requires is absent
  (:data:`suggest.documentation.document_type.REQUIRED_SECTIONS`);
- ``completeness.assessment_without_diagnosis`` (warning): an assessment section in which the engine found no
  condition stated as present or uncertain (I.A.19: codes rest on the provider's diagnostic statement;
  Section IV.D: without one, only symptoms can be coded).
"""

from __future__ import annotations

import re
from functools import lru_cache

from suggest.documentation import bases
from suggest.documentation.context import NoteFacts, on_folded
from suggest.documentation.document_type import REQUIRED_SECTIONS, detect_document_type
from suggest.documentation.finding import Finding
from suggest.documentation.headings import headings
from suggest.documentation.registry import documentation_checks
from suggest.guidelines.folding import says_any

__all__ = ["check_completeness", "signature_lines"]

_SIGNATURE_RE = re.compile(
    r"^[ \t*]*(?:(?:electronically signed|e-?signed|digitally signed|signed|signature|authenticated|attested)\b"
    r"|/s/)[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE_LABEL_RE = re.compile(
    r"^[ \t*]*(?:electronically |digitally |e-?)?(?:signed|signature|authenticated|attested)(?: (?:by|on))?\s*:?"
    r"|^[ \t*]*/s/",
    re.IGNORECASE,
)
_CREDENTIALS_RE = re.compile(
    r"\b(?:M\.?D|D\.?O|N\.?P|APRN|FNP(?:-[BC])?|ACNP|DNP|PA-?C|P\.?A|CNM|CRNA|DPM|DDS|DMD|MBBS|MBChB|OD|PhD|PsyD)\b\.?"
)
_NAME_RE = re.compile(r"[A-Za-z]{2,}")
_PATIENT_ID_RE = re.compile(
    r"^[ \t*]*(?:patient(?: name)?|pt(?: name)?|name|mrn|medical record (?:number|no\.?|#)|dob|d\.o\.b\.?|"
    r"date of birth|account(?: number| no\.?| #)?|acct|fin)\s*[:#]\s*\S"
    r"|\bmrn\s*[:#]?\s*\d",
    re.IGNORECASE | re.MULTILINE,
)
# Run on the folded note (context.on_folded); every match holds a field mark or "mrn": a note without any is
# not scanned.
_FOLDED_PATIENT_ID_RE = on_folded(_PATIENT_ID_RE)
_PATIENT_ID_WORDS = (":", "#", "mrn")
_DIAGNOSIS_SECTIONS = ("assessment_and_plan", "diagnoses")
_STATED = ("present", "possible")


def signature_lines(text: str) -> list[re.Match[str]]:
    """The lines that sign the note ("Electronically signed by: ...", "Signature: ...", "/s/ ...")."""
    return list(_signature_lines(text))


@lru_cache(maxsize=4)  # the completeness and the dates checks both read a note's signature lines: once per note
def _signature_lines(text: str) -> tuple[re.Match[str], ...]:
    return tuple(match for match in _SIGNATURE_RE.finditer(text) if _SIGNATURE_LABEL_RE.match(match.group()))


def _signature_findings(facts: NoteFacts) -> list[Finding]:
    lines = signature_lines(facts.text)
    if not lines:
        return [
            Finding(
                kind="completeness.signature_missing",
                severity="error",
                message="The note has no signature or electronic-signature line: it cannot be coded until its "
                "author authenticates it.",
                basis=bases.AUTHENTICATION,
                needs_query=True,
            )
        ]
    last = lines[-1]
    label = _SIGNATURE_LABEL_RE.match(last.group())
    rest = last.group()[label.end() if label else 0 :]
    evidence = (facts.evidence(last.start(), last.end()),)
    if not _NAME_RE.search(_CREDENTIALS_RE.sub("", rest)):
        return [
            Finding(
                kind="completeness.signature_missing",
                severity="error",
                message="The signature line names no one: the note's author has not signed it.",
                basis=bases.AUTHENTICATION,
                evidence=evidence,
                needs_query=True,
            )
        ]
    if not _CREDENTIALS_RE.search(rest):
        return [
            Finding(
                kind="completeness.credentials_missing",
                severity="warning",
                message="The signature gives no credentials: is the author the patient's provider (MD, DO, NP, "
                "PA), whose diagnostic statement codes may rest on?",
                basis=f"ICD-10-CM Official Guidelines I.B.14 and I.A.19; {bases.AUTHENTICATION}",
                evidence=evidence,
                needs_query=True,
            )
        ]
    return []


def _patient_id_findings(facts: NoteFacts) -> list[Finding]:
    if says_any(facts.folded, _PATIENT_ID_WORDS) and _FOLDED_PATIENT_ID_RE.search(facts.folded):
        return []
    return [
        Finding(
            kind="completeness.patient_id_missing",
            severity="warning",
            message="No patient identifier (name, MRN or date of birth field) in the note.",
            basis=bases.PATIENT_IDENTIFICATION,
        )
    ]


def _section_findings(facts: NoteFacts) -> list[Finding]:
    found = headings(facts.text)
    document_type = facts.document_type or detect_document_type(facts.text, found)
    findings = []
    for required in REQUIRED_SECTIONS.get(document_type, ()):
        if any(heading.matches(required.heading) for heading in found):
            continue
        if required.phrase is not None and required.phrase.search(facts.text):
            continue
        findings.append(
            Finding(
                kind="completeness.section_missing",
                severity="warning",
                message=f"The {document_type.replace('_', ' ')} has no {required.name} section.",
                basis=_SECTION_BASES[document_type],
                needs_query=True,
            )
        )
    return findings


_SECTION_BASES = {
    "discharge_summary": "CMS Conditions of Participation 42 CFR 482.24(c)(4)(vi)-(vii): final diagnosis; "
    "outcome of hospitalization, disposition and follow-up",
    "operative_note": "CMS Conditions of Participation 42 CFR 482.51(b)(6): operative report with techniques and "
    "findings; The Joint Commission RC.02.01.03: pre- and postoperative diagnosis, procedure",
    "history_and_physical": "CMS Conditions of Participation 42 CFR 482.22(c)(5) and 482.24(c)(4)(i): the history "
    "and physical examination",
    "progress_note": f"{bases.DIAGNOSTIC_STATEMENT}; Section IV: the diagnosis chiefly responsible for the visit",
}


def _assessment_findings(facts: NoteFacts) -> list[Finding]:
    """An assessment / diagnoses section with no condition the engine read as stated there."""
    if not facts.mentions:
        return []
    findings = []
    starts = list(facts.view.starts)
    for position, (start, section) in enumerate(starts):
        if section not in _DIAGNOSIS_SECTIONS:
            continue
        end = starts[position + 1][0] if position + 1 < len(starts) else len(facts.text)
        if not facts.text[start:end].strip():
            continue
        if any(
            start <= mention.start < end and mention.assertion in _STATED and mention.codes
            for mention in facts.mentions
        ):
            continue
        heading_end = facts.text.find("\n", start)
        heading_end = end if heading_end < 0 or heading_end > end else heading_end
        findings.append(
            Finding(
                kind="completeness.assessment_without_diagnosis",
                severity="warning",
                message="The assessment names no diagnosis or condition: only symptoms, or nothing, can be coded "
                "from it.",
                basis=f"{bases.DIAGNOSTIC_STATEMENT}; Section IV.D",
                evidence=(facts.evidence(start, heading_end),),
                needs_query=True,
            )
        )
    return findings


@documentation_checks.register("chartcoder.documentation.completeness.v1")
def check_completeness(facts: NoteFacts) -> list[Finding]:
    """Signature and credentials (42 CFR 482.24(c)(1); I.B.14), patient identifier, required sections, an
    assessment with a diagnosis (I.A.19)."""
    return [
        *_signature_findings(facts),
        *_patient_id_findings(facts),
        *_section_findings(facts),
        *_assessment_findings(facts),
    ]
