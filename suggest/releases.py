"""Coding by date of service: one engine per ICD-10-CM release, the release chosen by the note's date.

A coder uses the codes in force on the date of service (for an inpatient stay, the discharge date).
:func:`vocab.releases.release_for` turns a date into a release; :class:`ReleaseEngines` holds one engine per
release (loaded on first use, then kept) and codes each note with the one in force on its date. A note
without a date is coded with the release in force today; a date before every loaded release gets the
oldest, with a ``release_before_date`` note in the output (:func:`mark_before_all`).

Models: a model pack is pinned to the code set it was trained on. The champion codes the notes of its own
release; for another release it is used only when it fits that release's code set, else that release is
coded zero-shot (its ``model`` says so: ``zero-shot-fy2027``), until a pack for it is promoted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suggest.errors import NoteError
from suggest.types import ZERO_SHOT_MODEL, NoteSuggestions
from vocab.errors import UnknownCodeError
from vocab.releases import ReleaseChoice, ReleaseDateError, parse_service_date, release_for

if TYPE_CHECKING:
    from suggest.engine import Engine
    from vocab.vocabulary import Vocabulary

log = logging.getLogger("chartcoder.releases")

__all__ = ["CodeNotInReleaseError", "ReleaseEngines", "check_codes_on_date", "engine_for_release", "release_for"]


class CodeNotInReleaseError(UnknownCodeError):
    """A code entered for a note that is not valid in the release in force on the note's date of service."""


@dataclass(frozen=True)
class ReleaseEngines:
    """Engines by release effective date, each loaded once by ``load(effective)`` on first use."""

    home: Path
    load: Callable[[date], Engine]
    _engines: dict[date, Engine]

    @property
    def model_id(self) -> str:
        """The model of the release in force today (each result names its own)."""
        return self.engine_for(None)[0].model_id

    @property
    def code_set(self) -> str:
        """The release in force today (each result names its own)."""
        return self.engine_for(None)[0].code_set

    def choose(self, date_of_service: date | str | None) -> ReleaseChoice:
        return release_for(date_of_service, self.home)

    def engine_for(self, date_of_service: date | str | None) -> tuple[Engine, ReleaseChoice]:
        choice = self.choose(date_of_service)
        effective = choice.release.effective
        if effective not in self._engines:
            engine = self.load(effective)
            for other in self._engines.values():  # the codes both releases have alike: one copy in memory
                engine.vocabulary.codeset.share_with(other.vocabulary.codeset)
                break
            self._engines[effective] = engine
        return self._engines[effective], choice

    def suggest(
        self,
        text: str,
        setting: str = "outpatient",
        note_id: str | None = None,
        top: int | None = None,
        date_of_service: date | str | None = None,
    ) -> NoteSuggestions:
        engine, choice = self.engine_for(date_of_service)
        return mark_before_all(engine.suggest(text, setting=setting, note_id=note_id, top=top), choice)

    def suggest_many(
        self, notes: Iterable[tuple[str | None, str, str, date | str | None]], top: int | None = None
    ) -> Iterator[NoteSuggestions | NoteError]:
        """``(note_id, text, setting, date of service)`` in, results in order; each release's notes go through
        its engine's batched pipe together."""
        batch = list(notes)
        results: list[NoteSuggestions | NoteError | None] = [None] * len(batch)
        groups: dict[date, list[int]] = {}
        choices = {}
        for position, (_, _, _, day) in enumerate(batch):
            try:
                choice = self.choose(day)
            except ReleaseDateError as error:
                results[position] = NoteError(str(error))
                continue
            choices[position] = choice
            groups.setdefault(choice.release.effective, []).append(position)
        for positions in groups.values():
            engine, _ = self.engine_for(batch[positions[0]][3])
            coded = engine.suggest_many(((batch[p][0], batch[p][1], batch[p][2]) for p in positions), top=top)
            for position, result in zip(positions, coded, strict=True):
                results[position] = (
                    result if isinstance(result, NoteError) else mark_before_all(result, choices[position])
                )
        for outcome in results:
            assert outcome is not None
            yield outcome


def mark_before_all(result: NoteSuggestions, choice: ReleaseChoice) -> NoteSuggestions:
    """The result, flagged when its date of service came before every loaded release."""
    if not choice.before_all:
        return result
    return replace(result, release_before_date=True)


def engine_for_release(home: Path, effective: date, model: str | None = None, **options: Any) -> Engine:
    """The engine over the release effective on ``effective``, with ``model`` (None: the champion) where the
    pack fits that release's code set, else zero-shot: every result's ``model`` names the one that coded it
    (``zero-shot-fy2027``), and the substitution is logged once per release."""
    from models.errors import ModelCodeSetMismatchError
    from suggest.loading import load_engine
    from vocab.vocabulary import load_vocabulary

    vocabulary = load_vocabulary(home, effective)
    try:
        return load_engine(home=home, vocabulary=vocabulary, model=model, **options)
    except ModelCodeSetMismatchError as error:
        log.warning("ICD-10-CM %s is coded zero-shot: %s", vocabulary.release, error)
        return load_engine(home=home, vocabulary=vocabulary, model=ZERO_SHOT_MODEL, **options)


def check_codes_on_date(vocabulary: Vocabulary, codes: Iterable[str], date_of_service: date | str | None) -> None:
    """Refuse any code not valid in ``vocabulary`` (the release in force on the date of service), naming the
    release and the date: a coder's code from another year is an error to fix, never stored silently."""
    day = parse_service_date(date_of_service)
    invalid = [code for code in codes if not vocabulary.codeset.is_valid(code)]
    if invalid:
        on = f" in force on {day}" if day is not None else ""
        raise CodeNotInReleaseError(
            f"{', '.join(invalid)} {'is' if len(invalid) == 1 else 'are'} not valid in {vocabulary.code_set}, the "
            f"release{on}; use a code of that release (`chartcoder codes search --date {day or 'YYYY-MM-DD'}`)."
        )
