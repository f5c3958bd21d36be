"""POST /v1/risk: a patient's CMS-HCC V28 categories and risk score (hccinfhir, :mod:`suggest.risk_adjustment`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from service.deps import CurrentKey, SessionDep, VocabularyDep, require_role
from service.errors import NoteNotFoundError, NoteNotReviewedError, RiskCodeError
from service.routers._responses import errors
from service.routing import Utf8Route
from service.schemas import RiskHccOut, RiskRequest, RiskResponse, SupersededHccOut
from service.store.coding_outcomes import final_codes
from service.store.database import write_transaction
from service.store.filed_search import FiledSearch, iter_filed
from service.store.repositories import AuditRepository
from suggest.risk_adjustment import risk_profile
from vocab.codes import normalize_code
from vocab.codeset import CodeSet
from vocab.errors import InvalidCodeError, UnknownCodeError

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/risk",
    tags=["risk"],
    route_class=Utf8Route,
    dependencies=[Depends(require_role("coder"))],
    responses=errors(401, 403, 404, 409, 422),
)


@router.post("", summary="CMS-HCC categories and risk score of a patient")
def risk_score(request: RiskRequest, key: CurrentKey, session: SessionDep, vocabulary: VocabularyDep) -> RiskResponse:
    """Score ``codes``, the final codes (accepted and added, latest review) of the reviewed ``note_ids``, and the
    reported codes of a patient's filed encounters over a service date range (``patient_id``). CMS's age/sex edits
    and hierarchies apply; the score is hccinfhir's (community, non-dual segment). 404 for an unknown note, 409
    for one not reviewed yet;
    a code not in this code set (another release's) is scored and listed in ``not_in_code_set``. Audited
    (``risk.scored``: who, which notes, how many codes; never the codes)."""
    given, not_in_code_set = _canonical(request.codes, vocabulary.codeset)
    codes = dict.fromkeys(given)
    if request.note_ids:
        by_note, unknown, unreviewed = final_codes(session, request.note_ids)
        if unknown:
            raise NoteNotFoundError(f"No note has the id {unknown[0]} (in 'note_ids').")
        if unreviewed:
            raise NoteNotReviewedError(f"Note {unreviewed[0]} has no review yet: it has no final codes to score.")
        for note_codes in by_note.values():
            codes.update(dict.fromkeys(note_codes))
    encounters = 0
    if request.patient_id is not None:
        search = FiledSearch(
            patient_id=request.patient_id, service_from=request.service_from, service_to=request.service_to
        )
        for filed in iter_filed(session, search, evidence=False):
            encounters += 1
            codes.update(dict.fromkeys(code.code for code in filed.reported))
    profile = risk_profile(codes, age=request.age, sex=request.sex, payment_year=request.payment_year)
    with write_transaction(session):
        AuditRepository(session).record(
            key.name,
            "risk.scored",
            actor_key_id=key.key_id,
            details={
                "notes": list(dict.fromkeys(request.note_ids)),
                **({"filed_encounters": encounters} if request.patient_id is not None else {}),  # never the id
                "codes": len(codes),
                "payment_year": request.payment_year,
            },
        )
    return RiskResponse(
        model=profile.model,
        payment_year=profile.payment_year,
        age=request.age,
        sex=request.sex,
        demographic_cell=profile.demographic_cell,
        codes=sorted(codes),
        hccs=[
            RiskHccOut(hcc=item.hcc, label=item.label, coefficient=item.coefficient, codes=list(item.codes))
            for item in profile.hccs
        ],
        superseded=[
            SupersededHccOut(hcc=item.hcc, label=item.label, codes=list(item.codes), by=list(item.by))
            for item in profile.superseded
        ],
        unmapped=list(profile.unmapped),
        not_in_code_set=sorted(set(not_in_code_set)),
        coefficients=profile.coefficients,
        risk_score=profile.risk_score,
        risk_score_demographics=profile.risk_score_demographics,
        risk_score_hcc=profile.risk_score_hcc,
    )


def _canonical(codes: list[str], codeset: CodeSet) -> tuple[list[str], list[str]]:
    """The codes in the code set's spelling, and those not in this code set (dotted): a code of another release
    is still scored (CMS's mapping spans releases), and named in the answer rather than dropped in silence."""
    canonical, unknown = [], []
    for text in codes:
        try:
            canonical.append(codeset.resolve(text).code)
        except InvalidCodeError:  # the schema's pattern lets none through; never quote free text back
            message = "A value in 'codes' is not shaped like an ICD-10-CM code."
            raise RiskCodeError(message, code="", field="codes") from None
        except UnknownCodeError:
            canonical.append(normalize_code(text))
            unknown.append(canonical[-1])
    return canonical, unknown
