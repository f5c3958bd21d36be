"""Following the registry's champion: a promoted model is served without a restart.

Each server process runs one :class:`ChampionFollower` in its lifespan. Every ``model_poll_s`` it stats
``registry.json`` (a promotion replaces that file, so a changed inode, size or mtime means "look"); when the
champion differs from the model being served, it loads the new pack in a thread, off the event loop, as an
engine sharing the running engine's code set and spaCy pipeline (only the pack is read), and replaces
``app.state.engine`` in one assignment. Requests hold the engine they started with, so those in flight finish
on the old one. A pack that does not load here (another code set, modified files) is logged, once per
champion, and skipped; the old model keeps serving until the champion changes again.

A champion trained on another code-set artifact (the code set was rebuilt under it, e.g. when an upgrade
bundled the Alphabetic Index) does not stop a server from starting: :func:`unfit_champion` finds it, the
server serves the zero-shot heuristic and says why once, and switches as soon as a model for this code set
is promoted (the bootstrap model is rebuilt by itself when the champion was one: see
:func:`is_outdated_bootstrap`). With engine processes
(:mod:`service.engine_pool`) a new pool of processes loads the model, and the old one exits once the notes
queued to it are coded. With ``CHARTCODER_MODEL`` set the server serves that
model and follows nothing.

Unpickling a pack imports ``training`` (its classes live there): that happens here, in the background load,
never in a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from models.errors import ModelCodeSetMismatchError, ModelError
from models.manifest import code_set_ref
from models.registry import REGISTRY_FILE, ModelRegistry
from service.store.models import utcnow
from suggest.engine_protocol import ReloadableEngine, SuggestionEngine
from suggest.loading import register_pack_parts
from suggest.types import ZERO_SHOT_MODEL
from vocab.errors import ChartcoderError
from vocab.vocabulary import Vocabulary

__all__ = ["ChampionFollower", "close_engine", "is_outdated_bootstrap", "serves", "unfit_champion"]

log = logging.getLogger(__name__)

ZERO_SHOT_PREFIX = ZERO_SHOT_MODEL  # also "zero-shot-<release>": the id of the heuristic model


def serves(engine: SuggestionEngine, champion: str | None) -> bool:
    """Whether ``engine`` is the champion's (no champion: the zero-shot heuristic)."""
    model_id = str(getattr(engine, "model_id", ""))
    return model_id.startswith(ZERO_SHOT_PREFIX) if champion is None else model_id == champion


def close_engine(engine: object) -> None:
    """Release what an engine holds beyond memory (a :class:`service.engine_pool.PooledEngine`'s processes)."""
    close = getattr(engine, "close", None)
    if callable(close):
        close()


def unfit_champion(registry: ModelRegistry, vocabulary: Vocabulary) -> tuple[str, str] | None:
    """(champion id, the registry's refusal) when the champion was trained on another code-set artifact.

    None when there is no champion or it fits; any other problem of the pack (versions, modified files) is
    left to the engine's load, which refuses it as before.
    """
    champion = registry.champion()
    if champion is None:
        return None
    try:
        registry.verify(champion, code_set=code_set_ref(vocabulary))
    except ModelCodeSetMismatchError as error:
        return champion, str(error)
    except ModelError:
        return None
    return None


def is_outdated_bootstrap(registry: ModelRegistry, model_id: str, vocabulary: Vocabulary) -> bool:
    """Whether ``model_id`` is a bootstrap pack built from another code-set artifact than ``vocabulary``'s.

    Such a champion is the system's own choice, not an operator's: it is rebuilt for the current code set
    and replaced. A trained champion that no longer fits stays the champion until an operator promotes another.
    """
    try:
        manifest = registry.manifest(model_id)
    except ModelError:
        return False
    return manifest.kind == "bootstrap" and bool(manifest.code_set.differences(code_set_ref(vocabulary)))


class ChampionFollower:
    def __init__(self, state: Any, home: Path, interval_s: float, *, pinned: bool = False) -> None:
        self.state = state  # app.state: holds .engine
        self.home = home
        self.interval_s = interval_s
        self.pinned = pinned
        register_pack_parts()  # /v1/models verifies each pack's part types against the registered ones
        self.registry = ModelRegistry.for_home(home)
        self.reload_error: str | None = None
        self.swapped_at: datetime | None = None
        self._signature: tuple[int, int, int] | None = None
        self._checked = False
        self._refused: str | None = None  # the champion that failed to load here, already logged
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    @property
    def registry_file(self) -> Path:
        return self.registry.folder / REGISTRY_FILE

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            status = os.stat(self.registry_file)
        except OSError:
            return None
        return (status.st_ino, status.st_size, status.st_mtime_ns)

    async def check(self, *, force: bool = False) -> bool:
        """Swap to the champion if it changed; True when the engine was replaced."""
        if self.pinned:
            return False
        async with self._lock:
            signature = self._stat()
            if self._checked and not force and signature == self._signature:
                return False
            self._checked, self._signature = True, signature
            try:
                champion = self.registry.champion()  # a few hundred bytes
            except ModelError as error:
                self.reload_error = str(error)
                log.error("model registry unreadable, still serving %s: %s", self._serving(), error)
                return False
            current = self.state.engine
            if serves(current, champion):
                self.reload_error, self._refused = None, None
                return False
            if champion is not None and champion == self._refused:
                return False  # said once already; a newly promoted champion is tried again
            try:
                engine = await asyncio.to_thread(self._load, current, champion)
            except ChartcoderError as error:
                self.refused(champion, str(error))
                return False
            self.state.engine = engine  # one assignment: each request keeps the engine it started with
            close_engine(current)  # engine processes finish the notes queued to them, then exit
            self.reload_error, self._refused = None, None
            self.swapped_at = utcnow()
            log.info("now serving model %s (was %s)", engine.model_id, getattr(current, "model_id", "?"))
            return True

    def refused(self, champion: str | None, reason: str) -> None:
        """Log, once per champion, that it cannot be served here; ``/v1/models`` shows ``reason`` meanwhile."""
        self.reload_error = f"{champion or ZERO_SHOT_PREFIX}: {reason}"
        if champion is not None and champion == self._refused:
            return
        self._refused = champion
        log.error("champion %s cannot be served here, still serving %s: %s", champion, self._serving(), reason)

    def _load(self, current: ReloadableEngine, champion: str | None) -> ReloadableEngine:
        # An in-process engine reads only the pack; engine processes start a new pool that loads it.
        return current.with_model(champion or ZERO_SHOT_PREFIX, home=self.home)

    def _serving(self) -> str:
        return str(getattr(self.state.engine, "model_id", "?"))

    def wake(self) -> None:
        """Look now instead of at the next poll (call on the event loop)."""
        self._wake.set()

    async def run(self) -> None:
        """The lifespan's background task: check every ``interval_s`` (or when woken) until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
            self._wake.clear()
            try:
                await self.check()
            except Exception:  # never let the follower die: the next round tries again
                log.exception("checking the model registry failed")
