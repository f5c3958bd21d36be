"""What the rest of chartcoder asks of an engine, as typing protocols: spaCy-free, so a module can type
against an engine without importing one.

* :class:`SuggestionEngine`: a note in, :class:`~suggest.types.NoteSuggestions` out;
* :class:`BatchEngine`: one that also codes a stream of notes (``batch``, Spark);
* :class:`ReloadableEngine`: one that can also serve another model (the service: an in-process
  :class:`suggest.engine.Engine` or a pool of engine processes, :class:`service.engine_pool.PooledEngine`);
* :class:`ScoringEngine`: one that also shows its candidates and threshold (evaluation and training; the
  reference baseline's adapter is one too).

:class:`suggest.engine.Engine` is all three.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from suggest.errors import NoteError
from suggest.types import Candidate, NoteSuggestions

__all__ = ["BatchEngine", "ReloadableEngine", "ScoringEngine", "SuggestionEngine"]


@runtime_checkable
class SuggestionEngine(Protocol):
    """Codes a note with one model."""

    model_id: str

    def suggest(
        self, text: str, setting: str = "outpatient", note_id: str | None = None, top: int | None = None
    ) -> NoteSuggestions: ...


@runtime_checkable
class BatchEngine(SuggestionEngine, Protocol):
    """Codes a stream of ``(note_id, text, setting)`` notes, in order; a bad note yields its error, not a result."""

    @property
    def code_set(self) -> str: ...

    def suggest_many(
        self, notes: Iterable[tuple[str | None, str, str]], batch_size: int = 32, top: int | None = None
    ) -> Iterator[NoteSuggestions | NoteError]: ...


@runtime_checkable
class ReloadableEngine(SuggestionEngine, Protocol):
    """Codes a note, and can serve another model (``"zero-shot"`` or a model id, from ``home``'s registry)."""

    def with_model(self, model: str, *, home: Path | None = None) -> ReloadableEngine: ...


@runtime_checkable
class ScoringEngine(SuggestionEngine, Protocol):
    """Codes a note, and shows every candidate code before coding rules and its threshold (for evaluation)."""

    threshold: float

    def candidates(self, text: str, setting: str = "outpatient") -> list[Candidate]: ...
