"""Provider queries: drafted from a documentation finding, edited and sent by a coder, tracked to an answer.

chartcoder delivers nothing itself: "sent" means the coder copied or exported the query to the provider's
channel. Every write is audited (``query.created`` / ``query.answered`` / ``query.withdrawn``) and so is every
read of a query's words (``query.read``); the queue shows no words. Queries quote the note: PHI, never logged.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from service.deps import SessionDep, require_role
from service.errors import InvalidQueryError, NoteNotFoundError, QueryNotFoundError, QueryStateError
from service.routers._responses import errors
from service.routing import Utf8Route
from service.schemas import (
    ID_PATTERN,
    EvidenceOut,
    FindingIn,
    QueryAnswerRequest,
    QueryCreateRequest,
    QueryDraftOut,
    QueryDraftRequest,
    QueryOut,
    QueryPage,
    QueryStatusName,
    QuerySummary,
    QueryWithdrawRequest,
)
from service.security import Principal
from service.store.models import Note, ProviderQuery, utcnow
from service.store.queries import NewQuery, QueryFilter, QueryRepository
from service.store.repositories import NoteRepository
from suggest.documentation.finding import Finding
from suggest.documentation.query import (
    OTHER_OPTION,
    UNDETERMINED_OPTION,
    QueryDraft,
    draft_query,
    noncompliant_phrases,
    render_query,
)
from suggest.errors import QueryDraftError
from suggest.types import Evidence

__all__ = ["router"]

_coder = require_role("coder")  # coder and admin keys; one callable, so a request checks its key once
CoderKey = Annotated[Principal, Depends(_coder)]

router = APIRouter(
    prefix="/v1/queries",
    tags=["queries"],
    route_class=Utf8Route,
    dependencies=[Depends(_coder)],
    responses=errors(401, 403, 422),
)

QueryId = Annotated[str, Path(pattern=ID_PATTERN, description="The id the service gave the query.")]


def _finding(finding: FindingIn) -> Finding:
    def spans(items: list) -> tuple[Evidence, ...]:
        return tuple(Evidence(item.start, item.end, item.text, item.section, item.assertion) for item in items)

    return Finding(
        kind=finding.kind,
        severity=finding.severity,
        message=finding.message,
        basis=finding.basis,
        evidence=spans(finding.evidence),
        indicators=spans(finding.indicators),
        codes=tuple(finding.codes),
        needs_query=finding.needs_query,
    )


def _note_with_text(session: SessionDep, note_id: str) -> Note:
    note = NoteRepository(session).get(note_id)
    if note is None:
        raise NoteNotFoundError("No note has this id.")
    if note.text is None:
        raise QueryStateError("This note's text was purged by the retention setting: there is nothing to quote.")
    return note


def _checked_draft(note: Note, finding: FindingIn) -> QueryDraft:
    """The draft for ``finding``, once every span it quotes is the note's own words at those offsets."""
    assert note.text is not None
    for field, items in (("finding.evidence", finding.evidence), ("finding.indicators", finding.indicators)):
        for index, item in enumerate(items):
            if not item.start <= item.end <= len(note.text) or note.text[item.start : item.end] != item.text:
                raise InvalidQueryError(
                    f"{field}[{index}] does not quote the note: its text differs from the note's words at "
                    f"{item.start}:{item.end}.",
                    field=field,
                )
    try:
        return draft_query(_finding(finding))
    except QueryDraftError as error:
        raise InvalidQueryError(str(error), field="finding") from None


def _check_wording(question: str, options: list[str]) -> None:
    """Refuse a query a compliant practice would not send: leading or financial words, or the required answers
    ("other", "unable to determine") missing."""
    for field, text in (("question", question), *((f"options[{n}]", option) for n, option in enumerate(options))):
        found = noncompliant_phrases(text)
        if found:
            raise InvalidQueryError(
                f"{field} has wording a compliant query avoids ({', '.join(sorted(set(found)))}): a query may not "
                "lead the provider or mention payment.",
                field=field.split("[")[0],
            )
    for required in (OTHER_OPTION, UNDETERMINED_OPTION):
        if required not in options:
            raise InvalidQueryError(f"options must include {required!r}.", field="options")
    if len({option.strip().lower() for option in options}) != len(options) or not all(o.strip() for o in options):
        raise InvalidQueryError("options must be distinct and not empty.", field="options")


def _summary(stored: ProviderQuery) -> QuerySummary:
    return QuerySummary(
        id=stored.id,
        note_id=stored.note_id,
        encounter_id=stored.encounter_id,
        finding_kind=stored.finding_kind,
        status=stored.status,  # type: ignore[arg-type]
        created_by=stored.created_by_name,
        created_at=stored.created_at,
        closed_at=stored.closed_at,
        answer_kind=stored.answer_kind,  # type: ignore[arg-type]
    )


def _out(stored: ProviderQuery) -> QueryOut:
    indicators = stored.indicators
    text = None
    if stored.question is not None and indicators is not None and stored.options is not None:
        text = render_query(stored.question, [(item["text"], item["section"]) for item in indicators], stored.options)
    return QueryOut(
        **_summary(stored).model_dump(),
        question=stored.question,
        indicators=None if indicators is None else [EvidenceOut.model_validate(item) for item in indicators],
        options=stored.options,
        text=text,
        closed_by=stored.closed_by_name,
        answer_option=stored.answer_option,
        answer_text=stored.answer_text,
        withdraw_reason=stored.withdraw_reason,
        text_purged_at=stored.text_purged_at,
    )


@router.post("/draft", summary="Draft a compliant query from a finding (nothing stored)", responses=errors(404, 409))
def draft(request: QueryDraftRequest, session: SessionDep) -> QueryDraftOut:
    """Quotes the finding's clinical indicators, asks one neutral question, offers the clinical options plus
    "other" and "unable to determine". The finding's spans must be the note's words (422 otherwise)."""
    result = _checked_draft(_note_with_text(session, request.note_id), request.finding)
    return QueryDraftOut.model_validate(result.to_dict())


@router.post("", status_code=201, summary="Record a query sent to the provider", responses=errors(404, 409))
def create(request: QueryCreateRequest, session: SessionDep, key: CoderKey) -> QueryOut:
    """Stores the coder's edited query as ``open`` (audited). The quoted indicators are the finding's, checked
    against the note; the wording may not lead or mention payment; "other" and "unable to determine" stay."""
    note = _note_with_text(session, request.note_id)
    checked = _checked_draft(note, request.finding)
    options = [option.strip() for option in request.options]
    _check_wording(request.question, options)
    finding = _finding(request.finding).to_dict()
    stored = QueryRepository(session).add(
        note,
        NewQuery(
            finding=finding,
            question=request.question.strip(),
            indicators=[item.to_dict() for item in checked.indicators],
            options=options,
        ),
        key,
    )
    return _out(stored)


@router.get("", summary="The query queue (never the queries' words)")
def list_queries(
    session: SessionDep,
    status: QueryStatusName | None = None,
    note_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    encounter_id: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")] = None,
    kind: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")] = None,
    older_than_days: Annotated[
        int | None, Query(ge=0, le=3660, description="Only queries raised at least this many days ago.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> QueryPage:
    where = QueryFilter(
        status=status,
        note_id=note_id,
        encounter_id=encounter_id,
        kind=kind,
        raised_before=None if older_than_days is None else utcnow() - timedelta(days=older_than_days),
    )
    rows, total = QueryRepository(session).page(where, limit, offset)
    return QueryPage(items=[_summary(row) for row in rows], total=total, limit=limit, offset=offset)


@router.get("/{query_id}", summary="One query with its words (audited read)", responses=errors(404))
def get_query(query_id: QueryId, session: SessionDep, key: CoderKey) -> QueryOut:
    stored = QueryRepository(session).read(query_id, key)
    if stored is None:
        raise QueryNotFoundError("No provider query has this id.")
    return _out(stored)


@router.post("/{query_id}/answer", summary="Record the provider's answer", responses=errors(404, 409))
def answer(query_id: QueryId, request: QueryAnswerRequest, session: SessionDep, key: CoderKey) -> QueryOut:
    """The option the provider chose and, for "other" (required) or any answer, their words; 409 once closed."""
    return _out(QueryRepository(session).answer(query_id, request.option, request.text, key))


@router.post("/{query_id}/withdraw", summary="Withdraw an open query", responses=errors(404, 409))
def withdraw(query_id: QueryId, request: QueryWithdrawRequest, session: SessionDep, key: CoderKey) -> QueryOut:
    return _out(QueryRepository(session).withdraw(query_id, request.reason, key))
