"""The service's releases: a note is coded, and a coder's codes are checked, with the release of its date.

The server's engine (``app.state.engine``, followed to each new champion) codes with the release in force when
the server started, which also codes notes without a date. A note whose encounter has a date of service in
another release is coded by that release's engine, loaded once on its first note and kept
(:func:`suggest.releases.engine_for_release`: the champion where it fits that release, else zero-shot).
Those engines run in the server process, also when ``engine_processes`` is set.

The date of service is the encounter's ``discharge_date`` (inpatient: the discharge date picks the code set)
or else its ``encounter_date``: :func:`service_date`.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suggest.releases import mark_before_all
from vocab.releases import ReleaseChoice, parse_service_date, release_for

if TYPE_CHECKING:
    from suggest.engine import Engine
    from suggest.engine_protocol import SuggestionEngine
    from suggest.types import NoteSuggestions
    from vocab.vocabulary import Vocabulary

__all__ = ["ServiceReleases", "service_date"]


def service_date(encounter: Any) -> date | None:
    """The date of service of an encounter (schema object or stored dict): discharge date, else encounter date."""
    if encounter is None:
        return None
    if isinstance(encounter, dict):
        return parse_service_date(encounter.get("discharge_date") or encounter.get("encounter_date"))
    return getattr(encounter, "discharge_date", None) or getattr(encounter, "encounter_date", None)


class ServiceReleases:
    """The server's release (its vocabulary and engine) and the other releases' engines, by date of service."""

    def __init__(self, home: Path, model: str | None, vocabulary: Vocabulary) -> None:
        self.home = home
        self.model = model
        self.default = vocabulary
        self._engines: dict[date, Engine] = {}
        self._lock = threading.Lock()

    def choose(self, day: date | None) -> ReleaseChoice | None:
        """The release of ``day``; None when it is the server's own (no date, or the same release)."""
        if day is None:
            return None
        choice = release_for(day, self.home)
        if choice.release.effective == self.default.effective and not choice.before_all:
            return None
        return choice

    def vocabulary_for(self, day: date | None) -> Vocabulary:
        """The code set a coder's codes are checked against for a note of ``day``."""
        choice = self.choose(day)
        if choice is None or choice.release.effective == self.default.effective:
            return self.default
        return self._engine(choice.release.effective).vocabulary

    def engine_for(self, engine: Any, day: date | None) -> Any:
        """The engine that codes a note or an encounter of ``day``: the server's ``engine`` (an Engine or a pooled
        one) for its own release, else the date's release's engine (loaded once, in this process)."""
        choice = self.choose(day)
        if choice is None or choice.release.effective == self.default.effective:
            return engine
        return self._engine(choice.release.effective)

    def suggest(
        self, engine: SuggestionEngine, text: str, setting: str, note_id: str | None, top: int | None, day: date | None
    ) -> NoteSuggestions:
        """Code the note with the server's ``engine``, or with the engine of its date's release."""
        choice = self.choose(day)
        if choice is None:
            return engine.suggest(text, setting=setting, note_id=note_id, top=top)
        coder = engine if choice.release.effective == self.default.effective else self._engine(choice.release.effective)
        return mark_before_all(coder.suggest(text, setting=setting, note_id=note_id, top=top), choice)

    def _engine(self, effective: date) -> Engine:
        with self._lock:  # one load per release, whichever request thread asks first
            engine = self._engines.get(effective)
            if engine is None:
                from suggest.releases import engine_for_release

                engine = engine_for_release(self.home, effective, self.model)
                engine.vocabulary.codeset.share_with(self.default.codeset)  # one copy of the codes alike
                self._engines[effective] = engine
            return engine
