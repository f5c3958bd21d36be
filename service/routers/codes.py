"""Code look-up for the review page: a type-ahead search and the full record of one code."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from service.deps import VocabularyDep, get_current_key
from service.routers._responses import errors
from service.schemas import CODE_PATTERN, CodeDetail, CodeHit, CodeSearchResponse
from vocab.errors import QueryError
from vocab.search import MAX_QUERY_LENGTH

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/codes", tags=["codes"], dependencies=[Depends(get_current_key)], responses=errors(401, 422)
)


@router.get("/search", summary="Type-ahead code search", responses=errors(404))
def search_codes(
    vocabulary: VocabularyDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH, description="Words, a code or a prefix.")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    billable_only: bool = False,
) -> CodeSearchResponse:
    """Ranked codes for what the coder has typed so far: 'type 2 diab', 'E11.2', 'pneumo' (none for a query with
    no letters or digits)."""
    try:
        results = vocabulary.search(q, limit=limit, billable_only=billable_only)
    except QueryError:  # white space or punctuation only: nothing to search for, so nothing found
        results = []
    return CodeSearchResponse(query=q, results=[CodeHit(**result.to_dict()) for result in results])  # type: ignore[arg-type]


@router.get("/{code}", summary="Everything known about one code", responses=errors(404))
def describe_code(
    vocabulary: VocabularyDep,
    code: Annotated[str, Path(pattern=CODE_PATTERN, max_length=16, description="Any spelling: E11.9, e119.")],
) -> CodeDetail:
    """404 for a well-formed code the code set lacks, 422 for text that is not shaped like a code."""
    described: dict[str, Any] = vocabulary.describe(code)
    return CodeDetail.model_validate(described)
