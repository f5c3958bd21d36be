"""The HTTP API's request and response bodies (pydantic), kept apart from the engine's domain records.

The suggestion bodies mirror :meth:`suggest.types.NoteSuggestions.to_dict`, the product's documented JSON,
field for field; :func:`suggestions_out` converts.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from models.manifest import ModelKind
from models.promotion import DEFAULT_PROMOTE_POLICY, PROMOTE_POLICIES, PromotePolicy
from service.store.models import POA_VALUES, JobKind, JobStatus
from suggest.errors import Errors
from suggest.types import ASSERTIONS, SETTINGS, NoteSuggestions

__all__ = [
    "CODE_PATTERN",
    "ID_PATTERN",
    "JSON_INTEGER",
    "AuditEntryOut",
    "AuditPage",
    "BatchItemOut",
    "BatchNote",
    "BatchSuggestRequest",
    "BatchSuggestResponse",
    "ChapterStat",
    "CodeDetail",
    "CodeHit",
    "CodePoa",
    "CodePoaOut",
    "CodeSearchResponse",
    "CodeStat",
    "CoderStat",
    "DayCount",
    "EncounterMetadata",
    "ErrorResponse",
    "FindingEvidenceIn",
    "FindingIn",
    "FindingOut",
    "HccCapture",
    "HccStat",
    "HealthResponse",
    "JobOut",
    "JobProgress",
    "ModelOut",
    "ModelStat",
    "ModelsResponse",
    "NoteDetail",
    "NoteInput",
    "NotePage",
    "NoteSummary",
    "PromoteResponse",
    "QueryAnswerRequest",
    "QueryAnswers",
    "QueryCreateRequest",
    "QueryDraftOut",
    "QueryDraftRequest",
    "QueryKindStat",
    "QueryOut",
    "QueryPage",
    "QueryStatsOut",
    "QuerySummary",
    "QueryWithdrawRequest",
    "QueueStatus",
    "ReadyResponse",
    "RetrainRequest",
    "ReviewOut",
    "ReviewRequest",
    "RiskHccOut",
    "RiskRequest",
    "RiskResponse",
    "ServiceInfo",
    "ServingOut",
    "StatsResponse",
    "SuggestionsOut",
    "SupersededHccOut",
    "ValidationIssue",
    "suggestions_out",
]

SettingName = Literal[SETTINGS]  # type: ignore[valid-type]
AssertionName = Literal[ASSERTIONS]  # type: ignore[valid-type]
NoteStatus = Literal["pending", "reviewed"]
# The queue also shows notes waiting on a provider query (not reviewed, a query open).
QueueStatus = Literal["pending", "query_open", "reviewed"]


def _text_only(value: str) -> str:
    """Refuse what JSON can carry but text cannot: NUL characters and unpaired UTF-16 surrogates.

    Neither can be stored (PostgreSQL refuses NUL; surrogates cannot be encoded as UTF-8), so they are
    refused here, with a message that does not quote the value.
    """
    if "\x00" in value:
        raise ValueError("contains NUL characters: binary data, not text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"contains an unpaired surrogate at character {error.start}, which is not text") from None
    return value


# What the handlers accept, stated as patterns in the schema. Text fields are checked by the functions below
# (messages that say what is wrong, never quoting the value), each the exact rule of its pattern; ids are
# checked by the patterns themselves. Escapes as JSON Schema (ECMA-262), Python and Rust regexes all read.
_CONTROL = r"\x00-\x08\x0e-\x1f\x7f-\x9f"  # control characters; tab, line and page breaks are text
_SPACE = r"\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # str.isspace()'s set
NOTE_PATTERN = rf"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"  # something to code, no control characters
LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"  # one line of text: no control characters at all
NO_NUL_PATTERN = r"^[^\x00]*$"
# A code in any spelling the code set resolves (E11.9, e119, QA0.1): a letter, a digit and a character (or
# the A0 of category QA0), then up to four more after an optional dot.
CODE_PATTERN = r"^[A-Za-z](?:[0-9][0-9A-Za-z]|[Aa]0)(?:\.?[0-9A-Za-z]{1,4})?$"
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # the ids the service makes (note, job, key): hex or url-safe
_NOTE_CONTROL_RE = re.compile(f"[{_CONTROL}]")
_LINE_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CODE_RE = re.compile(CODE_PATTERN)


def _note_text(value: str) -> str:
    """:data:`NOTE_PATTERN`, with the engine's messages: something to code, and no control characters."""
    _text_only(value)
    if not value.strip():
        raise ValueError(Errors.E001)
    control = _NOTE_CONTROL_RE.search(value)
    if control:
        raise ValueError(
            f"{Errors.E003} (U+{ord(control.group()):04X} at character {control.start()}; tabs and line breaks are "
            "fine)"
        )
    return value


def _line_text(value: str) -> str:
    """:data:`LINE_PATTERN`: one line of text, no control characters."""
    _text_only(value)
    control = _LINE_CONTROL_RE.search(value)
    if control:
        raise ValueError(f"contains a control character (U+{ord(control.group()):04X} at character {control.start()})")
    return value


def _code_text(value: str) -> str:
    """:data:`CODE_PATTERN`; the message does not quote the value (it is not a code, so it may be anything)."""
    if not _CODE_RE.match(value):
        raise ValueError(
            "not shaped like an ICD-10-CM code: a letter, a digit, a character, then up to four more "
            "after an optional dot (E11.9, S52.521A)"
        )
    return value


# Each: a string whose schema states the pattern, validated by the function applying the same rule.
NoteText = Annotated[str, Field(json_schema_extra={"pattern": NOTE_PATTERN}), AfterValidator(_note_text)]
# In a batch the engine judges each note (an empty one gets its own error entry): only NUL is refused outright.
BatchNoteText = Annotated[str, Field(json_schema_extra={"pattern": NO_NUL_PATTERN}), AfterValidator(_text_only)]
LineText200 = Annotated[
    str, Field(max_length=200, json_schema_extra={"pattern": LINE_PATTERN}), AfterValidator(_line_text)
]
LineText100 = Annotated[
    str, Field(max_length=100, json_schema_extra={"pattern": LINE_PATTERN}), AfterValidator(_line_text)
]


def _json_integer(value: Any) -> Any:
    """JSON integers only: ``true``/``false`` and numeric strings are refused (lax pydantic would store them as
    1/0 and numbers); ``15.0`` is an integer in JSON Schema and is kept, ``15.5`` is refused by ``int`` itself."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer, not true/false or a string")
    return value


# Placed after a field's bounds (``Annotated[int, Field(ge=1), JSON_INTEGER]``): before them, pydantic cannot
# write the bounds into the JSON schema as minimum and maximum.
JSON_INTEGER = BeforeValidator(_json_integer)
CodeText = Annotated[
    str,
    Field(max_length=16, examples=["E11.9"], json_schema_extra={"pattern": CODE_PATTERN}),
    AfterValidator(_code_text),
]

EXAMPLE_NOTE = (
    "ASSESSMENT AND PLAN:\n1. Type 2 diabetes mellitus without complications. Continue metformin.\n"
    "2. Essential hypertension, well controlled.\nDenies chest pain."
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors -----------------------------------------------------------------------------------------------
class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body: ``detail`` says what is wrong in words (a list of issues for a malformed request)."""

    detail: str | list[ValidationIssue]
    error: str | None = Field(default=None, description="Machine-readable kind, e.g. EmptyNoteError.")
    code: str | None = Field(default=None, description="The offending code, for code errors.")
    field: str | None = Field(default=None, description="The request field holding the offending value.")
    job: str | None = Field(default=None, description="The model job already running, for a refused retrain.")


# --- suggest ----------------------------------------------------------------------------------------------
class EncounterMetadata(_Strict):
    """About the encounter, not the note text; stored with queued notes."""

    encounter_id: LineText200 | None = None
    encounter_date: date | None = Field(
        default=None, description="Date of service: the note is coded with the ICD-10-CM release in force that day."
    )
    discharge_date: date | None = Field(
        default=None,
        description="Inpatient discharge date: when given, it picks the ICD-10-CM release instead of encounter_date.",
    )
    patient_age: Annotated[int, Field(ge=0, le=130), JSON_INTEGER] | None = None
    patient_sex: Literal["female", "male", "other", "unknown"] | None = None
    specialty: LineText100 | None = None


class BatchNote(_Strict):
    """One note of a batch. Its text is judged by the engine: an empty or binary note gets an error entry of
    its own in the answer and the other notes are still coded."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": EXAMPLE_NOTE, "setting": "outpatient", "note_id": "visit-0001"}]},
    )

    text: BatchNoteText = Field(description="The note, as UTF-8 text (at most max_note_bytes bytes).")
    setting: SettingName = "outpatient"
    note_id: LineText200 | None = Field(default=None, description="The caller's id, echoed back.")
    encounter: EncounterMetadata | None = None
    top: Annotated[int, Field(ge=1, le=100), JSON_INTEGER] | None = Field(
        default=None, description="Return at most this many suggestions."
    )


class NoteInput(BatchNote):
    """One note: refused with 422 unless it has something to code and no control characters."""

    text: NoteText = Field(
        description="The note, as UTF-8 text (at most max_note_bytes bytes): something other than white space, "
        "and no control characters (tabs and line breaks are fine)."
    )


class BatchSuggestRequest(_Strict):
    notes: list[BatchNote] = Field(min_length=1, description="At most max_batch notes (413 beyond).")


class EvidenceOut(BaseModel):
    start: int
    end: int
    text: str | None = Field(description="The words at start:end; null once the note text has been purged.")
    section: str
    assertion: AssertionName


class FlagOut(BaseModel):
    kind: str
    message: str
    codes: list[str]


class HccOut(BaseModel):
    hcc: str = Field(description="CMS-HCC V28 payment category, e.g. 37.")
    label: str


class SuggestionOut(BaseModel):
    rank: int
    code: str
    description: str
    score: float
    billable: bool
    evidence: list[EvidenceOut]
    flags: list[FlagOut]
    rationale: str
    # Round 2 (defaults: suggestions stored before it read as secondary, not proposed, no POA)
    role: Literal["principal", "first_listed", "secondary"] = Field(
        default="secondary",
        description="principal (inpatient, Official Guidelines Section II), first_listed (outpatient, Section IV) "
        "or secondary; the proposed codes come first in reporting order, rank 1 the principal / first-listed.",
    )
    poa: Literal["Y", "N", "U", "W", "1"] | None = Field(
        default=None,
        description="Present on admission (inpatient notes): Y, N, U, W, or 1 for codes exempt (Appendix I).",
    )
    proposed: bool = Field(
        default=False, description="The engine proposes the code (at or above its threshold, stated as a diagnosis)."
    )
    replaces: list[str] = Field(
        default_factory=list, description="Component codes a combination code stands for (not reported beside it)."
    )
    hcc: list[HccOut] = Field(
        default_factory=list,
        description="The CMS-HCC V28 categories the code maps to for payment year 2026 (empty for most codes; "
        "suggestions stored before risk adjustment have none).",
    )


class ExclusionOut(BaseModel):
    code: str
    reason: str
    evidence: list[EvidenceOut]


class FindingOut(BaseModel):
    """A documentation finding (:class:`suggest.documentation.Finding`): what is incomplete or inconsistent."""

    kind: str = Field(description='Stable and dotted, family first: "inconsistency.laterality".')
    family: str = Field(description="completeness, inconsistency, specificity or clinical_indicator.")
    severity: Literal["error", "warning", "info"]
    message: str
    basis: str = Field(description="The guideline or standard it rests on (e.g. ICD-10-CM Official Guidelines I.B.14).")
    evidence: list[EvidenceOut] = Field(default_factory=list)
    indicators: list[EvidenceOut] = Field(
        default_factory=list, description="Words of the note a provider query would quote."
    )
    codes: list[str] = Field(default_factory=list, description="The suggested codes it concerns.")
    needs_query: bool = Field(default=False, description="Only the provider can resolve it: a query may be raised.")


class SuggestionsOut(BaseModel):
    """The engine's answer for one note (the product's JSON)."""

    note_id: str | None
    code_set: str
    model: str
    setting: SettingName
    suggestions: list[SuggestionOut]
    excluded: list[ExclusionOut]
    release_before_date: bool = Field(
        default=False,
        description="The date of service is before every loaded release: the oldest coded the note (its codes may "
        "not be those in force then).",
    )
    documentation: list[FindingOut] = Field(
        default_factory=list,
        description="Documentation findings beside the codes (incomplete, inconsistent or unspecific charts; empty "
        "for notes stored before the checks).",
    )


def suggestions_out(result: NoteSuggestions | dict[str, Any]) -> SuggestionsOut:
    data = result.to_dict() if isinstance(result, NoteSuggestions) else result
    return SuggestionsOut.model_validate(data)


class BatchItemOut(BaseModel):
    """One note of a batch: its suggestions, or why it could not be coded (the others still are)."""

    index: int
    note_id: str | None
    result: SuggestionsOut | None = None
    error: ErrorResponse | None = None


class BatchSuggestResponse(BaseModel):
    results: list[BatchItemOut]


# --- notes and reviews ------------------------------------------------------------------------------------
class NoteSummary(BaseModel):
    """A queued note in a list: never its text."""

    id: str
    external_id: str | None
    status: QueueStatus = Field(description="query_open: not reviewed yet, with a provider query open.")
    setting: SettingName
    model: str
    suggestion_count: int
    review_count: int
    open_queries: int = Field(default=0, description="Provider queries raised on the note and still open.")
    created_at: datetime


class NotePage(BaseModel):
    items: list[NoteSummary]
    total: int
    limit: int
    offset: int


PoaValue = Literal[POA_VALUES]  # type: ignore[valid-type]


class CodePoa(_Strict):
    """A code's present-on-admission indicator (ICD-10-CM Official Guidelines, Appendix I)."""

    code: CodeText
    poa: PoaValue = Field(description="Y yes, N no, U documentation insufficient, W clinically undetermined, 1 exempt.")


class ReviewRequest(_Strict):
    """A coder's decisions. Accepted and rejected codes must be among the note's suggestions, added codes not;
    one code in two lists contradicts itself: each is refused with 422 naming the code and the list."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"accepted": ["E11.9"], "rejected": ["R07.9"], "added": ["I10"]}]},
    )

    accepted: list[CodeText] = Field(default_factory=list, max_length=200, description="Suggested codes kept.")
    rejected: list[CodeText] = Field(default_factory=list, max_length=200, description="Suggested codes refused.")
    added: list[CodeText] = Field(default_factory=list, max_length=200, description="Codes added by hand.")
    review_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.:-]{8,64}$",
        description="Client-chosen id; a retry with the same id returns the stored review (like Idempotency-Key).",
    )
    # Round 2, optional: a review without them is stored as before (no order, no POA).
    sequence: list[CodeText] = Field(
        default_factory=list,
        max_length=400,
        description="The coder's reporting order of accepted and added codes, first the principal (inpatient) or "
        "first-listed (outpatient) diagnosis. Each code must be accepted or added, and listed once.",
    )
    poa: list[CodePoa] = Field(
        default_factory=list,
        max_length=400,
        description="Present-on-admission indicators, inpatient notes only: one per accepted or added code at most.",
    )


class CodePoaOut(BaseModel):
    code: str
    poa: PoaValue


class ReviewOut(BaseModel):
    id: str
    note_id: str
    version: int = Field(description="1 for a note's first review; a new review of the same note adds a version.")
    coder: str
    model: str = Field(description="The model version whose suggestions were reviewed.")
    accepted: list[str]
    rejected: list[str]
    added: list[str]
    sequence: list[str] = Field(
        default_factory=list,
        description="The coder's reporting order of accepted and added codes; empty when the review sent none.",
    )
    poa: list[CodePoaOut] = Field(
        default_factory=list, description="Present-on-admission indicators the coder gave (inpatient notes)."
    )
    created_at: datetime


class NoteDetail(BaseModel):
    id: str
    external_id: str | None
    status: NoteStatus
    setting: SettingName
    encounter: EncounterMetadata | None
    model: str
    created_at: datetime
    text: str | None = Field(description="The note; null once purged by the retention setting.")
    text_purged_at: datetime | None
    suggestions: SuggestionsOut
    reviews: list[ReviewOut]


# --- codes ------------------------------------------------------------------------------------------------
class CodeHit(BaseModel):
    code: str
    description: str
    score: float
    billable: bool
    matched_term: str
    source: str


class CodeSearchResponse(BaseModel):
    query: str
    results: list[CodeHit]


class _Grouping(BaseModel):
    id: str
    title: str


class _CodeRef(BaseModel):
    code: str
    description: str


class _ChildCode(_CodeRef):
    billable: bool


class _NoteText(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: str = Field(alias="from", description="The code or grouping the note is printed under.")
    note: str


class _Term(BaseModel):
    term: str
    source: str


class CodeDetail(BaseModel):
    """Everything known about one code (:meth:`vocab.vocabulary.Vocabulary.describe`)."""

    code: str
    description: str
    billable: bool
    valid: bool
    release: str
    chapter: _Grouping
    block: _Grouping
    parents: list[_CodeRef]
    children: list[_ChildCode]
    notes: dict[str, list[_NoteText]]
    seventh_characters: dict[str, str]
    needs_seventh_character: bool
    billable_descendants: int
    terms: list[_Term]


# --- stats and audit --------------------------------------------------------------------------------------
class DayCount(BaseModel):
    day: date
    reviews: int


class CodeStat(BaseModel):
    code: str
    description: str | None
    accepted: int
    rejected: int
    acceptance_rate: float | None


class ModelStat(BaseModel):
    model: str
    reviews: int
    accepted: int
    rejected: int
    acceptance_rate: float | None


class AddedCode(BaseModel):
    code: str
    description: str | None
    count: int


class CoderStat(BaseModel):
    coder: str
    reviews: int = Field(description="Reviews submitted (every version: each is work).")
    timed_reviews: int = Field(description="Reviews whose note the coder opened (read its text) before submitting.")
    codes: int = Field(description="Codes reported (accepted and added) in the timed reviews.")
    hours: float = Field(description="Open -> submit time of the timed reviews (each capped at one hour).")
    encounters_per_hour: float | None
    codes_per_hour: float | None
    median_review_seconds: float | None


class ChapterStat(BaseModel):
    chapter: str
    title: str
    accepted: int
    rejected: int
    added: int
    acceptance_rate: float | None


class HccStat(BaseModel):
    hcc: str
    label: str
    accepted: int
    added: int
    rejected: int


class HccCapture(BaseModel):
    """Codes carrying a CMS-HCC V28 category (payment year 2026), by the coders' decisions."""

    accepted: int = Field(description="Suggested HCC codes the coders kept.")
    added: int = Field(description="HCC codes the coders added (the engine missed them).")
    rejected: int = Field(description="Suggested codes that would have carried an HCC, rejected.")
    capture_rate: float | None = Field(description="(accepted + added) / (accepted + added + rejected).")
    per_hcc: list[HccStat]


class StatsResponse(BaseModel):
    """Counts over each note's latest review (older versions are kept but not counted twice)."""

    since: datetime | None
    reviews_total: int = Field(description="Reviews submitted, every version counted.")
    notes_reviewed: int
    reviews_per_day: list[DayCount] = Field(description="Reviews submitted per UTC day, every version counted.")
    accepted: int
    rejected: int
    acceptance_rate: float | None = Field(description="accepted / (accepted + rejected); null with no decisions.")
    per_code: list[CodeStat]
    per_model: list[ModelStat]
    most_added: list[AddedCode]
    # Issue 20 (dashboard)
    per_coder: list[CoderStat] = Field(default_factory=list, description="Throughput per coder (every version).")
    per_chapter: list[ChapterStat] = Field(default_factory=list, description="Decisions by ICD-10-CM chapter.")
    hcc_capture: HccCapture | None = None
    # Issue 16 (provider queries)
    queries: QueryStatsOut | None = Field(default=None, description="Provider queries raised in the window.")


# --- risk adjustment ---------------------------------------------------------------------------------------
class RiskRequest(_Strict):
    """A patient's codes (given, or the final codes of reviewed notes) and the demographics CMS-HCC scores."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"codes": ["E11.22", "E11.9", "I50.9"], "age": 72, "sex": "female"}]},
    )

    codes: list[CodeText] = Field(default_factory=list, max_length=500, description="ICD-10-CM codes to score.")
    note_ids: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(
        default_factory=list,
        max_length=200,
        description="Reviewed notes (an encounter's, or a patient's over a date range): the accepted and added "
        "codes of each note's latest review are scored with ``codes``.",
    )
    patient_id: LineText200 | None = Field(
        default=None,
        description="A patient's filed encounters (latest versions) over ``service_from``-``service_to``: their "
        "reported codes are scored with ``codes`` (in the body, never in a URL).",
    )
    service_from: date | None = Field(default=None, description="With patient_id: first service date included.")
    service_to: date | None = Field(default=None, description="With patient_id: last service date included.")
    age: Annotated[int, Field(ge=0, le=130), JSON_INTEGER] = Field(description="The patient's age in years.")
    sex: Literal["female", "male"]
    payment_year: Literal[2026] = Field(
        default=2026, description="CMS payment year (V28 is 100% of the CMS-HCC model from 2026)."
    )


class RiskHccOut(BaseModel):
    hcc: str = Field(description="CMS-HCC V28 payment category.")
    label: str
    coefficient: float | None = Field(description="The category's coefficient in the patient's segment.")
    codes: list[str] = Field(description="The codes that map to it.")


class SupersededHccOut(BaseModel):
    hcc: str
    label: str
    codes: list[str]
    by: list[str] = Field(description="The kept HCCs above it in CMS's hierarchy.")


class RiskResponse(BaseModel):
    """CMS-HCC V28 by hccinfhir: HCCs after CMS's age/sex edits and hierarchies, and the risk score."""

    model: str
    payment_year: int
    age: int
    sex: str
    demographic_cell: str | None = Field(description="hccinfhir's age/sex cell (community, non-dual segment).")
    codes: list[str] = Field(description="Every code scored, in the code set's spelling.")
    hccs: list[RiskHccOut]
    superseded: list[SupersededHccOut] = Field(description="HCCs the codes map to that the hierarchies drop.")
    unmapped: list[str] = Field(description="Codes that carry no payment HCC for this patient.")
    not_in_code_set: list[str] = Field(
        description="Codes given that this service's code set does not hold (another release's, or a typo): "
        "scored as CMS's mapping has them."
    )
    coefficients: dict[str, float] = Field(
        description="Every coefficient hccinfhir applied (demographic cell, HCCs, interactions)."
    )
    risk_score: float
    risk_score_demographics: float
    risk_score_hcc: float


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    actor_key_id: str | None
    action: str
    target: str | None
    model: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


# --- models and jobs --------------------------------------------------------------------------------------


class ModelOut(BaseModel):
    """A registered model pack (its manifest's headline facts)."""

    id: str
    kind: ModelKind
    created: str
    parent: str | None
    description: str
    code_set_release: str
    training_notes: int
    metrics: dict[str, float] = Field(description="On the held-out validation notes (see validation).")
    validation: str
    threshold: float
    champion: bool
    compatible: bool = Field(
        description="Built for the code set and library versions this server runs (files are checked on promote)."
    )


class ServingOut(BaseModel):
    id: str = Field(description="The model this server process answers with now.")
    follows_champion: bool = Field(description="False when CHARTCODER_MODEL pins the model.")
    reload_error: str | None = Field(description="Why the champion could not be loaded here, if it could not.")
    since: datetime | None = Field(description="When this process last switched models (null: since start-up).")


class ModelsResponse(BaseModel):
    champion: str | None = Field(description="The registry's champion; null: the zero-shot heuristic.")
    serving: ServingOut
    models: list[ModelOut] = Field(description="Oldest first.")


class RetrainRequest(_Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"promote": "if-better", "seed": 0}]})

    promote: PromotePolicy = Field(
        default=DEFAULT_PROMOTE_POLICY,
        description=f"{' | '.join(PROMOTE_POLICIES)} (if-better: higher MAP than the champion on the same notes).",
    )
    seed: Annotated[int, Field(ge=0, le=2**31 - 1), JSON_INTEGER] = Field(
        default=0, description="Same reviews and seed, same model."
    )


class JobProgress(BaseModel):
    stage: str
    done: int
    total: int


class JobOut(BaseModel):
    """A model job: retraining from the stored reviews, or building the bootstrap model."""

    id: str
    kind: JobKind
    status: JobStatus
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    options: dict[str, Any]
    progress: JobProgress | None = Field(description="The stage the worker reached (while running).")
    model: str | None = Field(description="The model the job registered.")
    promoted: bool | None
    metrics: dict[str, Any] | None = Field(description="Validation figures of the new model and of the champion.")
    error: str | None = Field(description="Why the job failed.")


class PromoteResponse(BaseModel):
    champion: str
    previous: str | None
    serving: str = Field(description="The model this server process answers with now (others follow within seconds).")
    reload_error: str | None


# --- health -----------------------------------------------------------------------------------------------
class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str]


class ServiceInfo(BaseModel):
    service: str
    version: str
    docs: str
    openapi: str


# --- provider queries -------------------------------------------------------------------------------------
def _free_text(value: str) -> str:
    """:data:`NOTE_PATTERN` with its own message: some words, no control characters (line breaks are fine)."""
    _text_only(value)
    if not value.strip():
        raise ValueError("is empty: write something other than white space")
    control = _NOTE_CONTROL_RE.search(value)
    if control:
        raise ValueError(f"contains a control character (U+{ord(control.group()):04X} at character {control.start()})")
    return value


FreeText = Annotated[
    str, Field(max_length=4000, json_schema_extra={"pattern": NOTE_PATTERN}), AfterValidator(_free_text)
]
QuotedText = Annotated[
    str, Field(max_length=2000, json_schema_extra={"pattern": NO_NUL_PATTERN}), AfterValidator(_text_only)
]
OptionText = Annotated[
    str, Field(min_length=1, max_length=500, json_schema_extra={"pattern": LINE_PATTERN}), AfterValidator(_line_text)
]
FINDING_KIND_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"


class FindingEvidenceIn(_Strict):
    """Words of the note by offsets, as the finding quotes them: checked against the stored note's text."""

    start: Annotated[int, Field(ge=0, le=10_000_000), JSON_INTEGER]
    end: Annotated[int, Field(ge=0, le=10_000_000), JSON_INTEGER]
    text: QuotedText
    section: LineText100 = ""
    assertion: AssertionName = "present"


class FindingIn(_Strict):
    """A documentation finding as the engine reported it (the ``documentation`` list of the note's suggestions)."""

    kind: str = Field(max_length=100, pattern=FINDING_KIND_PATTERN, examples=["specificity.heart_failure_type"])
    severity: Literal["error", "warning", "info"]
    message: QuotedText = ""
    basis: LineText200 = ""
    evidence: list[FindingEvidenceIn] = Field(default_factory=list, max_length=50)
    indicators: list[FindingEvidenceIn] = Field(default_factory=list, max_length=50)
    codes: list[CodeText] = Field(default_factory=list, max_length=50)
    needs_query: bool = False


class QueryDraftRequest(_Strict):
    note_id: str = Field(pattern=ID_PATTERN, description="The stored note the finding is on.")
    finding: FindingIn


class QueryDraftOut(BaseModel):
    """A compliant, non-leading query for the coder to edit; nothing is stored until it is sent."""

    finding_kind: str
    basis: str
    question: str
    indicators: list[EvidenceOut] = Field(description="The clinical indicators quoted from the note.")
    options: list[str] = Field(description="Clinical options, then 'Other (please specify)' and 'Unable to determine'.")
    text: str = Field(description="The whole query as the provider reads it.")


class QueryCreateRequest(_Strict):
    """A query the coder edited and sent to the provider's channel (chartcoder delivers nothing itself)."""

    note_id: str = Field(pattern=ID_PATTERN)
    finding: FindingIn
    question: FreeText
    options: list[OptionText] = Field(
        min_length=2,
        max_length=20,
        description="Must include 'Other (please specify)' and 'Unable to determine / clinically undetermined'.",
    )


class QueryAnswerRequest(_Strict):
    option: Annotated[int, Field(ge=0, le=19), JSON_INTEGER] = Field(description="Index of the option answered.")
    text: FreeText | None = Field(default=None, description="The provider's words (required for 'other').")


class QueryWithdrawRequest(_Strict):
    reason: FreeText | None = None


QueryStatusName = Literal["open", "answered", "withdrawn"]


class QuerySummary(BaseModel):
    """A query in the queue: never its words."""

    id: str
    note_id: str
    encounter_id: str | None
    finding_kind: str
    status: QueryStatusName
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    answer_kind: Literal["clinical", "other", "undetermined"] | None


class QueryOut(QuerySummary):
    question: str | None = Field(description="Null once purged by the retention settings.")
    indicators: list[EvidenceOut] | None
    options: list[str] | None
    text: str | None = Field(description="The whole query as the provider reads it; null once purged.")
    closed_by: str | None
    answer_option: int | None
    answer_text: str | None
    withdraw_reason: str | None
    text_purged_at: datetime | None


class QueryPage(BaseModel):
    items: list[QuerySummary]
    total: int
    limit: int
    offset: int


class QueryKindStat(BaseModel):
    kind: str
    raised: int
    open: int
    answered: int
    withdrawn: int


class QueryAnswers(BaseModel):
    clinical: int = Field(description="Answered with one of the query's clinical options.")
    other: int
    undetermined: int


class QueryStatsOut(BaseModel):
    raised: int
    open: int
    answered: int
    withdrawn: int
    answer_rate: float | None = Field(description="answered / raised; null with no queries.")
    median_hours_to_answer: float | None
    by_kind: list[QueryKindStat]
    answers: QueryAnswers
