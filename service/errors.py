"""Errors the service raises on purpose, each carrying the HTTP status it answers with."""

from __future__ import annotations

from typing import Any

from vocab.errors import ChartcoderError

__all__ = [
    "BatchTooLargeError",
    "EngineTimeoutError",
    "EngineUnavailableError",
    "FiledEncounterNotFoundError",
    "IdempotencyConflictError",
    "InvalidQueryError",
    "InvalidReviewError",
    "JobNotFoundError",
    "KeyNameTakenError",
    "KeyNotFoundError",
    "ModelJobConflictError",
    "ModelUnusableError",
    "NoteNotFoundError",
    "NoteNotReviewedError",
    "NoteTooLargeForServiceError",
    "QueryNotFoundError",
    "QueryStateError",
    "ReviewCodeError",
    "ReviewIdTakenError",
    "RiskCodeError",
    "ServiceError",
    "UnknownModelError",
    "WorkerStartError",
]


class ServiceError(ChartcoderError):
    status_code = 400

    def extra(self) -> dict[str, Any]:
        """Fields added to the JSON error body beside ``detail``."""
        return {}


class NoteNotFoundError(ServiceError):
    status_code = 404


class NoteTooLargeForServiceError(ServiceError):
    status_code = 413


class BatchTooLargeError(ServiceError):
    status_code = 413


class IdempotencyConflictError(ServiceError):
    """An idempotency key was used again for a different request."""

    status_code = 409


class ReviewIdTakenError(ServiceError):
    """A new review named a ``review_id`` that another review has (ids are visible to every coder)."""

    status_code = 409

    def __init__(self, message: str, *, review_id: str) -> None:
        super().__init__(message)
        self.review_id = review_id

    def extra(self) -> dict[str, Any]:
        return {"review_id": self.review_id}


class InvalidReviewError(ServiceError):
    """A review request that cannot be stored as sent."""

    status_code = 422


class ReviewCodeError(InvalidReviewError):
    """A code in a review is not acceptable (not a code, not in the code set, not among the suggestions...)."""

    def __init__(self, message: str, *, code: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field

    def extra(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field}


class EngineTimeoutError(ServiceError):
    status_code = 503


class EngineUnavailableError(ServiceError):
    """An engine process could not load or stopped (the server's trouble, not the client's: retry)."""

    status_code = 503


class KeyNotFoundError(ServiceError):
    status_code = 404


class KeyNameTakenError(ServiceError):
    status_code = 409


class UnknownModelError(ServiceError):
    """No model pack with that id in the registry."""

    status_code = 404


class ModelUnusableError(ServiceError):
    """The pack exists but fails verification here (files, library versions or code set): it cannot be served."""

    status_code = 409


class ModelJobConflictError(ServiceError):
    """A model job (retraining or the bootstrap build) is queued or running already: one at a time."""

    status_code = 409

    def __init__(self, message: str, *, job_id: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id

    def extra(self) -> dict[str, Any]:
        return {"job": self.job_id} if self.job_id else {}


class JobNotFoundError(ServiceError):
    status_code = 404


class WorkerStartError(ServiceError):
    """The worker process of a job could not be started (the server's fault, not the client's)."""

    status_code = 503


class NoteNotReviewedError(ServiceError):
    """A note named for risk adjustment has no review yet: it has no final codes to score."""

    status_code = 409

    def extra(self) -> dict[str, Any]:
        return {"field": "note_ids"}


class RiskCodeError(ServiceError):
    """A code sent for risk adjustment is not in the code set."""

    status_code = 422

    def __init__(self, message: str, *, code: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field

    def extra(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field}


class QueryNotFoundError(ServiceError):
    status_code = 404


class QueryStateError(ServiceError):
    """A provider query asked to change once it is closed (answered or withdrawn), or raised on a purged note."""

    status_code = 409


class InvalidQueryError(ServiceError):
    """A provider query that cannot be stored as sent (not compliant, not quoting the note, an unknown option)."""

    status_code = 422

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field

    def extra(self) -> dict[str, Any]:
        return {"field": self.field}


class FiledEncounterNotFoundError(ServiceError):
    """No filed encounter has this id (it was never reviewed, or the id is wrong)."""

    status_code = 404
