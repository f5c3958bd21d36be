"""A filed encounter as a FHIR R4B ``Bundle``: the Encounter, one Condition per code, a draft Claim's diagnoses.

- ``Encounter``: status finished, class from the setting, period from the service dates, one ``diagnosis`` entry
  per reported code (``rank`` its place in the reporting order, ``use`` billing).
- ``Condition`` per code: ICD-10-CM coding (system ``http://hl7.org/fhir/sid/icd-10-cm``), verification status
  from the review (accepted or added: confirmed; rejected: refuted), the supporting words as ``note`` while the
  note's text exists (the retention purge removes them).
- ``Claim`` (status draft): the reported codes as ``diagnosis`` entries with ``sequence`` and ``onAdmission``
  (system ``http://terminology.hl7.org/CodeSystem/ex-diagnosis-on-admission``; a POA-exempt code, indicator 1,
  carries none). What chartcoder does not know (the provider, the coverage; the patient when no id was given)
  is stated with FHIR's data-absent-reason extension, never made up.

R4B is wire-compatible with R4 for these resources. Every Bundle is validated by ``fhir.resources``' R4B models
before it leaves (:func:`encounter_bundle`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from service.store.filed_search import FiledCodeRecord, FiledRecord

__all__ = [
    "ICD10CM_SYSTEM",
    "ON_ADMISSION_SYSTEM",
    "Describe",
    "EvidenceWords",
    "encounter_bundle",
    "encounter_resources",
    "search_bundle",
]

ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
ON_ADMISSION_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-diagnosis-on-admission"
_VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-category"
_ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_DIAGNOSIS_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
_DIAGNOSIS_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype"
_CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
_PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/processpriority"
_DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
ENCOUNTER_ID_SYSTEM = "urn:chartcoder:encounter"
PATIENT_ID_SYSTEM = "urn:chartcoder:patient"
_NAMESPACE = uuid.UUID("5b0c3f4e-8a43-4a55-9d5e-63686172636f")  # fixed: the same filing gives the same ids

# POA indicator -> the code system's code; "1" (exempt from POA reporting) has none.
_ON_ADMISSION = {"Y": ("y", "Yes"), "N": ("n", "No"), "U": ("u", "Unknown"), "W": ("w", "Undetermined")}
_CLASS = {"inpatient": ("IMP", "inpatient encounter"), "outpatient": ("AMB", "ambulatory")}
_CLAIM_TYPE = {"inpatient": "institutional", "outpatient": "professional"}

Describe = Callable[[str], str | None]  # a code's title in the code set, None when unknown
EvidenceWords = Callable[[dict[str, Any]], str | None]  # an evidence place's words, None once purged


def _no_words(_place: dict[str, Any]) -> str | None:
    return None


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(parts))}"


def _unknown() -> dict[str, Any]:
    return {"extension": [{"url": _DATA_ABSENT, "valueCode": "unknown"}]}


def _patient(filed: FiledRecord) -> dict[str, Any]:
    if filed.patient_id is None:
        return _unknown()
    return {"type": "Patient", "identifier": {"system": PATIENT_ID_SYSTEM, "value": filed.patient_id}}


def _coding(code: str, describe: Describe) -> dict[str, Any]:
    coding = {"system": ICD10CM_SYSTEM, "code": code}
    title = describe(code)
    if title:
        coding["display"] = title
    return {"coding": [coding], **({"text": title} if title else {})}


def _condition(
    filed: FiledRecord, code: FiledCodeRecord, encounter_url: str, describe: Describe, words: EvidenceWords
) -> dict[str, Any]:
    verification = "refuted" if code.decision == "rejected" else "confirmed"
    notes = [{"text": f"chartcoder review: {code.decision} by the coder (version {filed.version})."}]
    notes += [{"text": f"Evidence: {text}"} for place in code.evidence if (text := words(place))]
    return {
        "resourceType": "Condition",
        "identifier": [{"system": ENCOUNTER_ID_SYSTEM, "value": f"{filed.encounter_id}/{code.code}"}],
        "verificationStatus": {"coding": [{"system": _VERIFICATION_SYSTEM, "code": verification}]},
        "category": [{"coding": [{"system": _CATEGORY_SYSTEM, "code": "encounter-diagnosis"}]}],
        "code": _coding(code.code, describe),
        "subject": _patient(filed),
        "encounter": {"reference": encounter_url},
        "recordedDate": filed.filed_at.isoformat(),
        "note": notes,
    }


def _period(filed: FiledRecord) -> dict[str, str]:
    period = {"start": filed.service_start.isoformat()}
    if filed.service_end is not None:
        period["end"] = filed.service_end.isoformat()
    return period


def _claim_diagnosis(filed: FiledRecord, place: int, code: FiledCodeRecord, describe: Describe) -> dict[str, Any]:
    entry: dict[str, Any] = {"sequence": place, "diagnosisCodeableConcept": _coding(code.code, describe)}
    if place == 1 and filed.setting == "inpatient":
        entry["type"] = [{"coding": [{"system": _DIAGNOSIS_TYPE_SYSTEM, "code": "principal"}]}]
    if code.poa in _ON_ADMISSION:
        poa_code, display = _ON_ADMISSION[code.poa]
        entry["onAdmission"] = {"coding": [{"system": ON_ADMISSION_SYSTEM, "code": poa_code, "display": display}]}
    return entry


def _claim(
    filed: FiledRecord, reported: list[FiledCodeRecord], encounter_url: str, describe: Describe
) -> dict[str, Any]:
    return {
        "resourceType": "Claim",
        "status": "draft",  # coded, not submitted: chartcoder files codes, it bills nothing
        "type": {"coding": [{"system": _CLAIM_TYPE_SYSTEM, "code": _CLAIM_TYPE.get(filed.setting, "professional")}]},
        "use": "claim",
        "patient": _patient(filed),
        "created": filed.filed_at.isoformat(),
        "provider": _unknown(),
        "priority": {"coding": [{"system": _PRIORITY_SYSTEM, "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": _unknown()}],
        "diagnosis": [_claim_diagnosis(filed, place, code, describe) for place, code in enumerate(reported, start=1)],
        "item": [
            {
                "sequence": 1,
                "diagnosisSequence": list(range(1, min(len(reported), 4) + 1)) or None,
                "productOrService": {"text": "encounter"},
                "encounter": [{"reference": encounter_url}],
            }
        ]
        if reported
        else None,
    }


def encounter_resources(
    filed: FiledRecord, describe: Describe, words: EvidenceWords = _no_words
) -> list[tuple[str, dict[str, Any]]]:
    """(fullUrl, resource) for the Encounter, its Conditions and its Claim, as plain JSON-ready dicts."""
    encounter_url = _urn("encounter", filed.id)
    reported = filed.reported  # reporting order: sequence 1 is the principal / first-listed diagnosis
    conditions = {code.code: (_urn("condition", filed.id, code.code), code) for code in filed.codes}
    class_code, class_display = _CLASS.get(filed.setting, _CLASS["outpatient"])
    encounter = {
        "resourceType": "Encounter",
        "identifier": [{"system": ENCOUNTER_ID_SYSTEM, "value": filed.encounter_id}],
        "status": "finished",
        "class": {"system": _ACT_CODE_SYSTEM, "code": class_code, "display": class_display},
        "subject": _patient(filed),
        "period": _period(filed),
        "diagnosis": [
            {
                "condition": {"reference": conditions[code.code][0]},
                "use": {"coding": [{"system": _DIAGNOSIS_ROLE_SYSTEM, "code": "billing"}]},
                "rank": place,
            }
            for place, code in enumerate(reported, start=1)
        ]
        or None,
    }
    resources: list[tuple[str, dict[str, Any]]] = [(encounter_url, _pruned(encounter))]
    resources += [(url, _condition(filed, code, encounter_url, describe, words)) for url, code in conditions.values()]
    resources.append((_urn("claim", filed.id), _pruned(_claim(filed, reported, encounter_url, describe))))
    return resources


def _pruned(resource: dict[str, Any]) -> dict[str, Any]:
    """FHIR has no nulls: an absent element is left out."""
    return {key: value for key, value in resource.items() if value is not None}


def _validated(bundle: dict[str, Any]) -> dict[str, Any]:
    """The Bundle as FHIR JSON, after ``fhir.resources``' R4B models accepted it (a ValueError otherwise)."""
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


def encounter_bundle(filed: FiledRecord, describe: Describe, words: EvidenceWords = _no_words) -> dict[str, Any]:
    """One filed encounter as a validated FHIR R4B ``collection`` Bundle."""
    entries = [{"fullUrl": url, "resource": resource} for url, resource in encounter_resources(filed, describe, words)]
    return _validated(
        {
            "resourceType": "Bundle",
            "identifier": {"system": ENCOUNTER_ID_SYSTEM, "value": f"{filed.encounter_id}/v{filed.version}"},
            "type": "collection",
            "timestamp": filed.filed_at.isoformat(),
            "entry": entries,
        }
    )


def search_bundle(
    filed: Iterable[FiledRecord],
    total: int | None,
    describe: Describe,
    words: EvidenceWords = _no_words,
    *,
    warnings: Iterable[str] = (),
) -> dict[str, Any]:
    """A page of search results as a validated FHIR R4B ``searchset`` Bundle (the Encounters are the matches;
    ``warnings`` become an OperationOutcome entry, search mode "outcome")."""
    entries: list[dict[str, Any]] = []
    issues = [{"severity": "warning", "code": "informational", "diagnostics": text} for text in warnings]
    if issues:
        outcome = {"resourceType": "OperationOutcome", "issue": issues}
        entries.append({"fullUrl": _urn("outcome", *warnings), "resource": outcome, "search": {"mode": "outcome"}})
    for one in filed:
        for url, resource in encounter_resources(one, describe, words):
            mode = "match" if resource["resourceType"] == "Encounter" else "include"
            entries.append({"fullUrl": url, "resource": resource, "search": {"mode": mode}})
    return _validated(_pruned({"resourceType": "Bundle", "type": "searchset", "total": total, "entry": entries}))
